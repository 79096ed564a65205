"""Print-ready letters, measured from the rendered files: one page, the window, tags, type.

The packet of the embedded data is written once for the module (PDF and DOCX); every letter's
inside address is measured with ``pdftotext -bbox`` in the PDF and in the DOCX as LibreOffice
lays it out, against the window of a #10 envelope in every position the folded sheet can take.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from measure import Word, lines, pages, to_pdf, words
from pypdf import PdfReader

from advocacy.cli import cli
from advocacy.formats.window import ADDRESS_BOX, KEEP_CLEAR

DATE = "2026-12-01"
SENDER = """name = "Olena Kovalenko"
address = ["1 Market St", "San Jose, CA 95113"]
email = "olena.kovalenko@example.org"
phone = "408-555-0100"
district = "District 3"
organisation = "Bay Area Friends of Ukraine"
"""


@pytest.fixture(scope="module")
def packet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packet of the embedded data, PDF and DOCX, with a sender that fills every line."""
    folder = tmp_path_factory.mktemp("print")
    sender = folder / "sender.toml"
    sender.write_text(SENDER, encoding="utf-8")
    out = folder / "packet"
    result = CliRunner().invoke(
        cli,
        ["packet", "--out", str(out), "--date", DATE, "--format", "pdf,docx", "--quiet",
         "--sender", str(sender)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def letter_pdfs(packet: Path) -> list[Path]:
    found = sorted(packet.glob("*/*.pdf"))
    assert len(found) >= 40
    return found


def check_window(found: list[Word], name: str) -> tuple[float, int]:
    """Every word of page 1 is either inside ADDRESS_BOX or outside KEEP_CLEAR.

    Returns the smallest clearance between an address word and the edge of ADDRESS_BOX
    (inches) and the number of address lines.
    """
    first = [w for w in found if w.page == 1]
    address = [w for w in first if w.top < KEEP_CLEAR.bottom and w.bottom > KEEP_CLEAR.top
               and w.left < KEEP_CLEAR.right]  # fmt: skip
    assert address, f"{name}: no address in the window"
    clearance = 10.0
    for word in address:
        assert ADDRESS_BOX.left <= word.left and word.right <= ADDRESS_BOX.right, (name, word)
        assert ADDRESS_BOX.top <= word.top and word.bottom <= ADDRESS_BOX.bottom, (name, word)
        clearance = min(
            clearance,
            word.left - ADDRESS_BOX.left,
            ADDRESS_BOX.right - word.right,
            word.top - ADDRESS_BOX.top,
            ADDRESS_BOX.bottom - word.bottom,
        )
    count = len(lines(address))
    assert 2 <= count <= 6, name
    return clearance, count


def test_every_packet_letter_fits_one_page(packet: Path) -> None:
    letters = letter_pdfs(packet)
    counts = {path.relative_to(packet).as_posix(): pages(path) for path in letters}
    assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}
    assert pages(packet / "packet.pdf") <= 1.1 * len(letters)


def test_body_type_is_at_least_10_5_points(packet: Path) -> None:
    # the word "Dear" of the salutation: its box is the body size times DejaVu's 1.164 ems
    for path in letter_pdfs(packet)[:5]:
        dear = next(w for w in words(path) if w.text == "Dear")
        assert (dear.bottom - dear.top) * 72 >= 10.5 * 1.16


def test_pdf_address_stays_in_the_window(packet: Path) -> None:
    clearances = [check_window(words(path), path.name)[0] for path in letter_pdfs(packet)]
    assert min(clearances) >= 0


def test_docx_address_stays_in_the_window_as_libreoffice_lays_it_out(
    packet: Path, tmp_path: Path
) -> None:
    documents = []
    for path in sorted(packet.glob("*/*.docx")):
        copy = tmp_path / "in" / f"{path.parent.name}--{path.name}"
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, copy)
        documents.append(copy)
    assert len(documents) >= 40
    for pdf in to_pdf(documents, tmp_path / "out"):
        found = words(pdf)
        check_window(found, pdf.name)
        assert pages(pdf) == 1, pdf.name
        assert any(w.text == "Sincerely," for w in found), pdf.name


def test_letters_are_tagged_with_language_and_title(packet: Path) -> None:
    path = packet / "san-jose-ca" / "matt-mahan.pdf"
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert "Yekaterinburg" in reader.metadata["/Title"]
    order = tagged_text(reader)
    assert order.index("Matt Mahan") < order.index("Re:") < order.index("Sincerely,")


def tagged_text(reader: PdfReader) -> str:
    """The first page's text in the order of the structure tree (what a screen reader reads)."""
    page = reader.pages[0]
    current: list[int | None] = [None]
    texts: dict[int | None, list[str]] = {}

    def before(op: bytes, args: list, cm: list, tm: list) -> None:  # type: ignore[type-arg]
        if op == b"BDC" and len(args) > 1 and hasattr(args[1], "get"):
            current[0] = args[1].get("/MCID")

    def text(value: str, cm: list, tm: list, font: object, size: float) -> None:  # type: ignore[type-arg]
        texts.setdefault(current[0], []).append(value)

    page.extract_text(visitor_operand_before=before, visitor_text=text)
    order: list[int] = []

    def walk(node: object) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, int):
            order.append(node)
        elif isinstance(node, list):
            for child in node:
                walk(child)
        elif hasattr(node, "get"):
            if "/MCID" in node:
                order.append(int(node["/MCID"]))
            elif "/K" in node:
                walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return " ".join("".join(texts.get(mcid, [])) for mcid in order)


# -- longer letters -----------------------------------------------------------------------------


PERSONAL = (
    "Our family came to {{ city.name }} from Kharkiv in 2014, and my children go to school "
    "here. Every week we send medicine and clothes to our town."
)


def user_letter(tmp_path: Path, paragraphs: int) -> Path:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "mayor.j2").write_text(
        '{% extends "builtin:mayor.j2" %}\n{% block thanks %}\n'
        + "\n\n".join([PERSONAL] * paragraphs)
        + "\n\n{{ super() }}\n{% endblock %}\n",
        encoding="utf-8",
    )
    (tmp_path / "sender.toml").write_text(SENDER, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["letter", "--city", "Chicago", "--to", "mayor", "--format", "pdf", "--date", DATE,
         "--sender", str(tmp_path / "sender.toml"), "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [pdf] = (tmp_path / "out").rglob("*.pdf")
    return pdf


def test_a_short_personal_paragraph_still_fits_one_page(tmp_path: Path) -> None:
    assert pages(user_letter(tmp_path, 1)) == 1


def test_a_long_letter_continues_with_a_continuation_line(tmp_path: Path) -> None:
    pdf = user_letter(tmp_path, 8)
    assert pages(pdf) == 2
    found = words(pdf)
    second = lines([w for w in found if w.page == 2])
    heading = " ".join(w.text for w in second[0])
    assert heading == "Brandon Johnson — December 1, 2026 — page 2"
    body = [" ".join(w.text for w in line) for line in second[1:]]
    assert "Sincerely," in body
    assert body.index("Sincerely,") >= 2  # the closing never stands alone on the page
    check_window(found, pdf.name)


def test_packet_pdf_keeps_the_letters_tags_or_says_it_is_the_print_file(packet: Path) -> None:
    reader = PdfReader(io.BytesIO((packet / "packet.pdf").read_bytes()))
    readme = (packet / "README.txt").read_text(encoding="utf-8")
    tagged = "/StructTreeRoot" in reader.trailer["/Root"]
    assert tagged or "print file" in readme


def test_fold_marks_are_optional(tmp_path: Path) -> None:
    import dataclasses

    from samples import make_letter

    from advocacy.formats import Style
    from advocacy.formats.html import render_html
    from advocacy.templating import builtin_dir

    style = Style(template_folders=(builtin_dir(),))
    assert "fold-mark" not in render_html(make_letter(), style, inline_stylesheet=False)
    marked = render_html(
        make_letter(), dataclasses.replace(style, fold_marks=True), inline_stylesheet=False
    )
    assert marked.count('class="fold-mark') == 2
    (tmp_path / "advocacy.toml").write_text("[style]\nfold_marks = true\n", encoding="utf-8")
    from advocacy.config import load_config

    assert load_config(tmp_path).style([builtin_dir()]).fold_marks
