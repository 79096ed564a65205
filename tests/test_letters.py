"""Letters for one city: golden txt/eml/mailto files, quotes by city, hostile data, exit codes."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from conftest import assert_golden

from advocacy.cli import cli

SENDER = """\
[sender]
name = "Olena Kovalenko-O'Neil"
address = ["1 Market St", "San Jose, CA 95113"]
email = "olena@example.org"
phone = "408-555-0100"
district = "District 3"
"""
HOSTILE = (
    "name,role,city,state,district,email,address,source,as_of\n"
    '"Zoë <script>alert(1)</script> {{ 7*7 }} & O\'Brien ""Ёлка""",council_member,San Jose,CA,1,'
    'zoe@example.org,"1 Main St\nSan Jose, CA 95113",https://example.org,2026-10-01\n'
    '"Eve\nBcc: victim@example.org",council_member,San Jose,CA,2,eve@example.org,,,\n'
)


def run(*args: str, contacts: Path | None = None, date: str = "2026-11-23"):
    base = ["--contacts", str(contacts)] if contacts else []
    return CliRunner().invoke(cli, [*base, "letter", *args, "--date", date])


# Tallahassee's mayor John E. Dailey is in office until 2026-11-16 (embedded term_end).
BEFORE_DAILEY_LEAVES = "2026-11-13"


@pytest.fixture
def sender(tmp_path: Path) -> Path:
    path = tmp_path / "sender.toml"
    path.write_text(SENDER, encoding="utf-8")
    return path


def mailto_of(manifest: Path, name: str) -> str:
    letters = json.loads(manifest.read_text(encoding="utf-8"))["letters"]
    return next(letter["mailto"] for letter in letters if letter["official"] == name)


@pytest.mark.parametrize(
    ("city", "stem", "name", "date"),
    [
        ("San Jose, CA", "matt-mahan", "Matt Mahan", "2026-11-23"),
        ("Chicago", "brandon-johnson", "Brandon Johnson", "2026-11-23"),
        ("Tallahassee", "john-e-dailey", "John E. Dailey", BEFORE_DAILEY_LEAVES),
    ],
)
def test_golden_text_eml_mailto(tmp_path, sender, city, stem, name, date):
    result = run(
        "--city",
        city,
        "--to",
        "mayor",
        "--format",
        "txt,eml,mailto",
        "--sender",
        str(sender),
        date=date,
    )
    assert result.exit_code == 0, result.output
    folder = next((tmp_path / "out").iterdir())
    assert_golden((folder / f"{stem}.txt").read_text(encoding="utf-8"), f"letter/{stem}.txt")
    assert_golden((folder / f"{stem}.eml").read_text(encoding="utf-8"), f"letter/{stem}.eml")
    assert_golden(mailto_of(folder / "manifest.json", name) + "\n", f"letter/{stem}.mailto")


def test_letters_fit_the_status_and_the_city(tmp_path, sender):
    run("--city", "San Jose", "--to", "mayor", "--format", "txt", "--sender", str(sender))
    run("--city", "Portland, OR", "--to", "mayor", "--format", "txt", "--sender", str(sender))
    run(
        "--city",
        "Tallahassee",
        "--format",
        "txt",
        "--sender",
        str(sender),
        date=BEFORE_DAILEY_LEAVES,
    )
    san_jose = (tmp_path / "out/san-jose-ca/matt-mahan.txt").read_text(encoding="utf-8")
    assert "Yekaterinburg, which, by the way, is still twinned with the city of San Jose" in (
        " ".join(san_jose.split())
    )
    assert "I ask you to end the sister-city relationship with Yekaterinburg" in " ".join(
        san_jose.split()
    )
    portland = " ".join((tmp_path / "out/portland-or/keith-wilson.txt").read_text().split())
    assert "Khabarovsk, is still twinned with American Portland" in portland
    tallahassee = " ".join((tmp_path / "out/tallahassee-fl/john-e-dailey.txt").read_text().split())
    assert "Thank you" in tallahassee and "Take patronage over a city" in tallahassee


def test_whole_city_all_text_formats_and_index(tmp_path):
    result = run("--city", "San Jose, CA", "--format", "txt,eml,mailto")
    assert result.exit_code == 0, result.output
    assert "no sender set" in result.output  # one warning, with how to fix it
    assert result.output.count("no sender set") == 1
    folder = tmp_path / "out/san-jose-ca"
    assert len(list(folder.glob("*.txt"))) == 11
    manifest = json.loads((folder / "manifest.json").read_text())
    assert len(manifest["letters"]) == 11
    assert all(letter["mailto"].startswith("mailto:") for letter in manifest["letters"])
    index = (folder / "index.html").read_text()
    assert index.count('href="mailto:') == 11
    assert "[Your name]" in (folder / "matt-mahan.txt").read_text()


def test_hostile_data_is_literal_everywhere(tmp_path, sender):
    contacts = tmp_path / "hostile.csv"
    contacts.write_text(HOSTILE, encoding="utf-8")
    result = run(
        "--city",
        "San Jose",
        "--format",
        "txt,eml,mailto",
        "--sender",
        str(sender),
        contacts=contacts,
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out/san-jose-ca"
    (txt,) = [p for p in folder.glob("zoe*.txt")]
    text = txt.read_text(encoding="utf-8")
    assert '<script>alert(1)</script> {{ 7*7 }} & O\'Brien "Ёлка"' in text
    assert "49" not in text
    # A line break in a name cannot add a header.
    (eml_path,) = [p for p in folder.glob("eve*.eml")]
    message = email.message_from_bytes(eml_path.read_bytes(), policy=email.policy.default)
    assert message["Bcc"] is None
    assert [a.addr_spec for a in message["To"].addresses] == ["eve@example.org"]
    assert message["X-Unsent"] == "1"
    assert message["From"].addresses[0].addr_spec == "olena@example.org"
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in index and "&lt;script&gt;" in index
    link = mailto_of(
        folder / "manifest.json", 'Zoë <script>alert(1)</script> {{ 7*7 }} & O\'Brien "Ёлка"'
    )
    assert link.startswith("mailto:zoe@example.org?subject=")


def test_two_runs_are_byte_identical(tmp_path, sender):
    run("--city", "Chicago", "--format", "txt,eml,mailto", "--sender", str(sender))
    first = {p.name: p.read_bytes() for p in (tmp_path / "out/chicago-il").iterdir()}
    run("--city", "Chicago", "--format", "txt,eml,mailto", "--sender", str(sender))
    second = {p.name: p.read_bytes() for p in (tmp_path / "out/chicago-il").iterdir()}
    assert first == second


def test_single_official_and_usage_errors(tmp_path):
    result = run("--city", "San Diego", "--official", "Foster", "--format", "txt")
    assert result.exit_code == 0, result.output
    written = [p.name for p in (tmp_path / "out/san-diego-ca").glob("*.txt")]
    assert written == ["henry-foster-iii.txt"]
    assert run("--city", "Portland").exit_code == 2
    assert run("--city", "Nowhere").exit_code == 2
    unknown_template = run("--city", "Chicago", "--template", "mayr")
    assert unknown_template.exit_code == 2 and "did you mean 'mayor'" in unknown_template.output
    assert run("--city", "Chicago", "--format", "pdf,fax").exit_code == 2
    bad_date = CliRunner().invoke(cli, ["letter", "--city", "Chicago", "--date", "23/11/2026"])
    assert bad_date.exit_code == 2


def test_official_without_email_or_address_is_skipped(tmp_path):
    contacts = tmp_path / "c.csv"
    contacts.write_text(
        "name,role,city,state,email\nNo Contact,mayor,Albany,NY,\n"
        "Has Mail,council_member,Albany,NY,has@example.org\n",
        encoding="utf-8",
    )
    result = run("--city", "Albany, NY", "--format", "txt,mailto", contacts=contacts)
    assert result.exit_code == 0, result.output
    assert "skipped No Contact: no email and no postal address" in result.output
    manifest = json.loads((tmp_path / "out/albany-ny/manifest.json").read_text())
    assert [s["official"] for s in manifest["skipped"]] == ["No Contact"]


def test_missing_email_means_no_mailto_and_the_index_says_so(tmp_path):
    contacts = tmp_path / "c.csv"
    contacts.write_text(
        "name,role,city,state,address\nPaper Only,mayor,Albany,NY,"
        '"24 Eagle St\nAlbany, NY 12207"\n',
        encoding="utf-8",
    )
    result = run("--city", "Albany, NY", "--format", "txt,mailto,eml", contacts=contacts)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out/albany-ny"
    assert not list(folder.glob("*.eml"))
    assert "no email address on record" in (folder / "index.html").read_text()


def test_bad_sender_file_is_one_line_error(tmp_path):
    bad = tmp_path / "sender.toml"
    bad.write_text("[sender]\nname = 'A'\nemial = 'x'\n", encoding="utf-8")
    result = run("--city", "Chicago", "--sender", str(bad))
    assert result.exit_code == 1
    assert "unknown sender field(s) emial" in result.output and "Traceback" not in result.output


def test_sender_from_workspace_config(tmp_path):
    (tmp_path / "advocacy.toml").write_text(SENDER, encoding="utf-8")
    result = run("--city", "Chicago", "--format", "txt")
    assert result.exit_code == 0 and "no sender set" not in result.output
    assert "Olena Kovalenko-O'Neil" in (tmp_path / "out/chicago-il/brandon-johnson.txt").read_text()


def test_mailto_decodes_back_to_the_short_form(tmp_path, sender):
    run("--city", "San Jose", "--to", "mayor", "--format", "mailto", "--sender", str(sender))
    link = mailto_of(tmp_path / "out/san-jose-ca/manifest.json", "Matt Mahan")
    assert len(link) <= 1800 and "+" not in link.split("?", 1)[1]
    body = unquote(link.split("&body=", 1)[1])
    assert body.startswith("Dear Mayor Mahan:\r\n\r\n")
    assert "Sources\r\n[1]" in body


def test_san_jose_every_format_for_mayor_and_ten_council_members(tmp_path, sender):
    import io

    import docx
    from pypdf import PdfReader

    result = run("--city", "San Jose, CA", "--sender", str(sender))
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out/san-jose-ca"
    for suffix in ("pdf", "docx", "eml", "txt"):
        assert len(list(folder.glob(f"*.{suffix}"))) == 11, suffix
    reader = PdfReader(folder / "pamela-campos.pdf")
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Pamela Campos" in text and "Dear Councilmember Campos:" in text
    assert "still twinned with the city of San Jose" in text
    assert "Interfax-Ukraine" in text  # the source list
    assert reader.metadata.title.startswith("Please end San Jose")
    document = docx.Document(io.BytesIO((folder / "pamela-campos.docx").read_bytes()))
    paragraphs = [p.text for p in document.paragraphs]
    assert "Dear Councilmember Campos:" in paragraphs
    assert any("still twinned with the city of San Jose" in p for p in paragraphs)
    assert any(p.startswith("1. ") and "Interfax-Ukraine" in p for p in paragraphs)


@pytest.mark.parametrize("command", ["letter", "packet"])
def test_unwritable_output_folder_is_a_one_line_error(tmp_path, command):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be", encoding="utf-8")
    result = CliRunner().invoke(
        cli, [command, "--city", "Chicago", "--format", "txt", "--out", str(blocker / "out")]
    )
    assert result.exit_code == 1
    assert "cannot write" in result.output and "Traceback" not in result.output
