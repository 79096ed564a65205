"""PDF letters: text, metadata, fonts, the window-envelope address, determinism and fetching."""

from __future__ import annotations

import dataclasses
import functools
import io
import re
import zlib
from pathlib import Path

import pytest
from pypdf import PdfReader
from samples import QUOTE_TEXT, QUOTE_URL, make_letter  # noqa: E402

from advocacy.formats import Style
from advocacy.formats.pdf import (
    Renderer,
    SafeURLFetcher,
    compress_streams,
    letter_user_agent_sheets,
    parse_page,
)
from advocacy.letter import NoteRef, Paragraph
from advocacy.templating import builtin_dir

STYLE = Style(template_folders=(builtin_dir(),))
INCH = 72.0
PAGE_HEIGHT = 11 * INCH
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f0d6b60000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(STYLE)


@pytest.fixture(scope="module")
def pdf(renderer: Renderer) -> bytes:
    return renderer.render(make_letter())


@pytest.fixture(scope="module")
def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


@pytest.fixture(scope="module")
def text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_is_a_one_page_us_letter_pdf(pdf: bytes, reader: PdfReader) -> None:
    assert pdf.startswith(b"%PDF-")
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (8.5 * INCH, 11 * INCH)


def test_text(text: str) -> None:
    words = flat(text)
    assert "The Honorable José Peña" in words
    assert QUOTE_TEXT in words
    assert "Екатеринбург" in words
    assert "Dear Mayor Peña," in words
    assert "<script>alert(1)</script> & “Ёлка” O'Brien {{ 7*7 }}" in words
    assert "Volodymyr Zelenskyy, President of Ukraine, Address to mayors" in words
    assert "Page 1" not in words  # no page number on the first page


def test_source_listed_once_with_a_link(text: str, reader: PdfReader) -> None:
    assert flat(text).count("Volodymyr Zelenskyy, President of Ukraine") == 1
    links = [
        annot.get_object()["/A"]["/URI"]
        for annot in reader.pages[0].get("/Annots", [])
        if annot.get_object().get("/A", {}).get("/URI")
    ]
    assert set(links) == {QUOTE_URL}  # a link that wraps has one rectangle a line


def test_metadata(reader: PdfReader) -> None:
    info = reader.metadata
    assert info["/Title"] == "Ending Springfield's sister-city tie with Екатеринбург"
    assert info["/Author"] == "Mary O'Neil"
    assert info["/Subject"] == "Letter to Mayor José Peña, Springfield, IL"
    assert "Екатеринбург" in info["/Keywords"]
    assert info["/CreationDate"] == info["/ModDate"] == "D:20240603000000Z"


def test_fonts_are_embedded(reader: PdfReader) -> None:
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                fonts[str(descriptor["/FontName"])] = descriptor
    assert fonts
    assert any("DejaVu-Serif" in name for name in fonts)
    for descriptor in fonts.values():
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor


def test_byte_identical(pdf: bytes, renderer: Renderer) -> None:
    assert renderer.render(make_letter()) == pdf


def test_inside_address_shows_through_a_window_envelope(reader: PdfReader) -> None:
    """Each address line lies in the box that stays inside the window in every position."""
    lines: list[tuple[float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            lines.append((x, PAGE_HEIGHT - y, text.strip()))

    reader.pages[0].extract_text(visitor_text=visit)
    address = make_letter().recipient_lines
    found = [line for line in lines if line[2] in address]
    assert [line[2] for line in found] == list(address)
    for x, top, _ in found:
        assert x == pytest.approx(0.8 * INCH, abs=0.5)
        assert 2.421 * INCH + 8 < top < 3.246 * INCH - 2  # baseline, below the cap height
    # Everything else on the page stays out of the window area.
    for x, top, line in lines:
        if line not in address and x <= 5.275 * INCH:
            assert not 2.121 * INCH < top < 3.546 * INCH + 8, line


def test_long_letter_continues_on_page_two(renderer: Renderer) -> None:
    filler = "Sister-city ties matter to Екатеринбург and to Springfield alike. " * 12
    letter = dataclasses.replace(
        make_letter(),
        paragraphs=make_letter().paragraphs + tuple(Paragraph((filler,)) for _ in range(8)),
    )
    reader = PdfReader(io.BytesIO(renderer.render(letter)))
    pages = [flat(page.extract_text()) for page in reader.pages]
    assert len(pages) >= 2
    assert "page 1" not in pages[0]
    assert "The Honorable José Peña — June 3, 2024 — page 2" in pages[1]
    assert "Sincerely," in pages[-1]
    assert pages[-1].index("Sincerely,") > pages[-1].index("Springfield alike.")


# -- reading the page ----------------------------------------------------------------------


def test_built_in_layout_read_as_xml_gives_the_same_pdf(tmp_path: Path) -> None:
    """The XML parser reads the built-in layout into the tree tinyhtml5 builds, and the lean
    user-agent sheet changes nothing on the page: the same bytes as the plain HTML path."""
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    style = Style(
        template_folders=(tmp_path, builtin_dir()),
        letterhead={"logo": "logo.png", "organisation": "Friends & <Allies>", "lines": "a\tb"},
        fold_marks=True,
    )
    listed = (
        Paragraph(("What we ask",), "heading"),
        Paragraph(("Two asks:",), "list", items=(("End the tie", NoteRef(1)), ("Reply",))),
    )
    long = dataclasses.replace(
        make_letter(), paragraphs=make_letter().paragraphs + (Paragraph(("More. " * 150,)),)
    )
    lists = dataclasses.replace(make_letter(), paragraphs=make_letter().paragraphs + listed)
    assert letter_user_agent_sheets() is not None  # this WeasyPrint's sheet is the one expected
    for letter in (make_letter(), long, lists):
        fast, slow = Renderer(style), Renderer(style)
        slow._xml_layout = False
        assert fast.xml_layout and fast.builtin_look and not slow.builtin_look
        assert fast.render(letter) == slow.render(letter)


def test_a_user_stylesheet_gets_the_full_user_agent_sheet(tmp_path: Path) -> None:
    (tmp_path / "letter.css").write_text("p { color: red }", encoding="utf-8")
    renderer = Renderer(Style(template_folders=(tmp_path, builtin_dir())))
    assert renderer.xml_layout and not renderer.builtin_look


def test_only_the_built_in_layout_and_well_formed_pages_are_read_as_xml(tmp_path: Path) -> None:
    (tmp_path / "letter.html.j2").write_text(
        (builtin_dir() / "letter.html.j2").read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert not Renderer(Style(template_folders=(tmp_path, builtin_dir()))).xml_layout
    fetcher = SafeURLFetcher((tmp_path,))
    xml = parse_page("<html><body><p>a</p>\n</body>\n</html>", None, fetcher)
    html = parse_page("<html><body><p>a<br></body></html>", None, fetcher)  # not XML
    tab = parse_page('<html><body><p title="a\tb">a</p></body></html>', None, fetcher)
    assert xml.etree_element.tail is None and xml.etree_element[0].tail is None
    assert [e.tag for e in html.etree_element.iter()] == ["html", "head", "body", "p", "br"]
    assert tab.etree_element.find("body/p").get("title") == "a\tb"  # as HTML reads it


# -- fetching --------------------------------------------------------------------------------


def test_fetcher_allows_only_template_folders_and_data(tmp_path: Path) -> None:
    inside = tmp_path / "templates"
    inside.mkdir()
    (inside / "logo.png").write_bytes(b"x")
    fetcher = SafeURLFetcher((inside,))
    assert fetcher.allows((inside / "logo.png").as_uri())
    assert fetcher.allows("data:image/png;base64,iVBORw0KGgo=")
    for url in (
        "http://127.0.0.1:9/x.png",
        "https://example.org/x.png",
        "ftp://example.org/x.png",
        "file:///etc/passwd",
        (inside / ".." / "secret.png").as_uri(),
        f"file://remote-host{inside}/logo.png",
    ):
        assert not fetcher.allows(url), url


def test_render_refuses_outside_resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user stylesheet pointing at the network or at files elsewhere fetches nothing."""
    import weasyprint.urls

    user = tmp_path / "templates"
    user.mkdir()
    (user / "ok.png").write_bytes(PNG)
    (tmp_path / "outside.png").write_bytes(PNG)
    css = (builtin_dir() / "letter.css").read_text(encoding="utf-8")
    (user / "letter.css").write_text(
        '@import url("http://127.0.0.1:9/evil.css");\n'
        + css
        + "\n.sender { background: url(file:///etc/passwd); }"
        + "\n.date { background: url(http://127.0.0.1:9/x.png); }"
        + "\n.subject { background: url(../outside.png); }"
        + "\n.salutation { background: url(ok.png); }\n",
        encoding="utf-8",
    )
    fetched: list[str] = []
    real_fetch = weasyprint.urls.URLFetcher.fetch

    def recording_fetch(
        self: weasyprint.urls.URLFetcher, url: str, headers: dict[str, str] | None = None
    ) -> weasyprint.urls.URLFetcherResponse:
        fetched.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(weasyprint.urls.URLFetcher, "fetch", recording_fetch)
    renderer = Renderer(Style(template_folders=(user, builtin_dir())))
    pdf = renderer.render(make_letter())

    assert pdf.startswith(b"%PDF-")
    assert fetched == [(user / "ok.png").resolve().as_uri()]
    refused = " ".join(renderer.refused)
    assert "http://127.0.0.1:9/evil.css" in refused
    assert "http://127.0.0.1:9/x.png" in refused
    assert "file:///etc/passwd" in refused
    assert "outside.png" in refused


# -- compressing the streams -----------------------------------------------------------------


def decoded_objects(pdf: bytes) -> list[bytes]:
    """The PDF's objects with their streams inflated and without their lengths; the
    cross-reference stream (offsets) left out."""
    found = []
    for match in re.finditer(rb"\n(\d+) 0 obj\n(.*?)\nendobj", pdf, re.S):
        head, _, data = match.group(2).partition(b"\nstream\n")
        if b"/Type /XRef" in head:
            continue
        data = data.removesuffix(b"\nendstream")
        if b"/FlateDecode" in head:
            data = zlib.decompress(data)
        found.append(match.group(1) + re.sub(rb"/Length \d+", b"", head) + data)
    return found


def test_streams_compressed_at_zlibs_default_hold_the_same_objects(renderer: Renderer) -> None:
    document = renderer.layout(make_letter())
    plain = document.write_pdf(**renderer.options)
    at_nine = document.write_pdf(
        finisher=functools.partial(compress_streams, level=9), **renderer.options
    )
    ours = renderer.write(document)
    assert at_nine == plain  # the finisher writes the streams as pydyf does
    objects = decoded_objects(ours)
    assert ours != plain and any(b"/Type /ObjStm" in found for found in objects)  # and the rest
    assert objects == decoded_objects(plain)
    assert abs(len(ours) - len(plain)) < len(plain) * 0.05


def test_font_subsets_c_arrays_are_the_types_cffi_would_parse(renderer: Renderer) -> None:
    from weasyprint.text.ffi import ffi

    from advocacy.formats import pdf_ctypes

    assert pdf_ctypes.install()  # done by the renderer; this cffi is the one expected
    name = "hb_codepoint_t[4099]"
    with ffi._lock:
        parsed = ffi._get_cached_btype(ffi._parser.parse_type(name))  # cffi's own way
    array = ffi.new(name, list(range(4099)))
    assert ffi.typeof(array) is parsed and array[4098] == 4098
    with pytest.raises(KeyError):
        ffi._parsed_types["hb_codepoint_t[x]"]  # other names: parsed by cffi as before
