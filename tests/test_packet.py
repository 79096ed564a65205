"""`advocacy packet`: incremental reruns, failures, interruption, packet.pdf, safe CSV."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from advocacy.cli import cli
from advocacy.packet import csv_safe, manifest_csv

DATE = "2026-12-01"
QUICK = "txt,eml,mailto"
COLUMNS = ["name", "role", "city", "state", "district", "email", "address", "source", "as_of"]


def official(
    name: str, district: str = "", email: str | None = None, city: str = "Roanoke", state="VA"
) -> list[str]:
    role = "council_member" if district else "mayor"
    email = email or f"{name.split()[-1].lower()}@example.gov"
    address = f"215 Church Ave SW; {city}, {state} 24011"
    return [name, role, city, state, district, email, address, "https://example.gov", "2026-11-01"]


def write_contacts(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def council(count: int, city: str = "Roanoke", state: str = "VA") -> list[list[str]]:
    rows = [official("Sherman Lea", city=city, state=state)]
    rows += [official(f"Member Number{i}", str(i), city=city, state=state) for i in range(1, count)]
    return rows


def packet(*args: str, contacts: Path | None = None) -> object:
    base = ["--contacts", str(contacts)] if contacts else []
    return CliRunner().invoke(
        cli, [*base, "packet", "--date", DATE, "--out", "out", *args], catch_exceptions=False
    )


def stamps(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): p.stat().st_mtime_ns
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def test_default_packet_of_the_embedded_data(tmp_path):
    result = packet("--format", QUICK, "--jobs", "1")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    for name in ("index.html", "manifest.csv", "manifest.json", "README.txt"):
        assert (out / name).is_file()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    cities = {c["city"]: c for c in manifest["cities"]}
    assert "Santa Clara County, CA" not in cities  # its tie is terminated
    assert cities["Juneau, AK"]["note"] == "no officials on record"
    assert "San Jose, CA" in {row["city"] for row in manifest["letters"]}
    assert (out / "san-jose-ca" / "index.html").is_file()
    assert (out / "san-jose-ca" / "manifest.json").is_file()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="mailto:' in index and "No officials on record" in index
    assert "Skipped" in result.output or "Skipped" in index
    assert "Files:" in result.output and "Done in" in result.output


def test_rerun_with_unchanged_inputs_renders_nothing(tmp_path):
    contacts = write_contacts(tmp_path / "c.csv", council(3))
    args = ("--city", "Roanoke", "--format", QUICK, "--jobs", "1")
    assert packet(*args, contacts=contacts).exit_code == 0
    before = stamps(tmp_path / "out")
    again = packet(*args, contacts=contacts)
    assert again.exit_code == 0
    assert "Everything is up to date" in again.output
    assert stamps(tmp_path / "out") == before
    forced = packet(*args, "--force", contacts=contacts)
    assert "3 written" in forced.output


def test_a_city_left_out_of_the_next_run_is_removed(tmp_path):
    rows = council(2) + council(2, city="Norfolk")
    contacts = write_contacts(tmp_path / "c.csv", rows)
    both = ("--city", "Roanoke", "--city", "Norfolk", "--format", QUICK, "--jobs", "1")
    assert packet(*both, contacts=contacts).exit_code == 0
    out = tmp_path / "out"
    assert (out / "norfolk-va" / "sherman-lea.txt").is_file()
    (out / "roanoke-va" / "notes.md").write_text("mine", encoding="utf-8")
    mine = out / "norfolk-va" / "notes.md"
    mine.write_text("mine", encoding="utf-8")

    result = packet("--city", "Roanoke", "--format", QUICK, "--jobs", "1", contacts=contacts)
    assert result.exit_code == 0, result.output
    assert "Removed the letters of 1 city no longer in the packet: norfolk-va." in result.output
    assert sorted(p.name for p in (out / "norfolk-va").iterdir()) == ["notes.md"]  # kept
    assert (out / "roanoke-va" / "sherman-lea.txt").is_file()
    assert "Norfolk" not in (out / "manifest.csv").read_text("utf-8-sig")
    mine.unlink()
    again = packet("--city", "Roanoke", "--format", QUICK, "--jobs", "1", contacts=contacts)
    assert "Everything is up to date" in again.output
    assert packet(*both, contacts=contacts).exit_code == 0  # and back again
    assert (out / "norfolk-va" / "index.html").is_file()


def test_a_file_cut_short_is_rendered_again(tmp_path):
    # letters are not fsynced one by one: a power cut could leave a renamed file with fewer
    # bytes than were written; the recorded size tells the next run (a hand edit too)
    contacts = write_contacts(tmp_path / "c.csv", council(3))
    args = ("--city", "Roanoke", "--format", QUICK, "--jobs", "1")
    assert packet(*args, contacts=contacts).exit_code == 0
    letter = tmp_path / "out/roanoke-va/member-number2.txt"
    full = letter.read_bytes()
    letter.write_bytes(full[: len(full) // 2])
    result = packet(*args, contacts=contacts)
    assert result.exit_code == 0
    assert "1 written, 2 up to date" in result.output
    assert letter.read_bytes() == full


def test_changing_one_official_renders_only_their_letter(tmp_path):
    rows = council(3)
    contacts = write_contacts(tmp_path / "c.csv", rows)
    args = ("--city", "Roanoke", "--format", QUICK, "--jobs", "1")
    assert packet(*args, contacts=contacts).exit_code == 0
    before = stamps(tmp_path / "out")
    rows[1] = official("Member Number1", "1", email="new.address@example.gov")
    write_contacts(contacts, rows)
    result = packet(*args, contacts=contacts)
    assert result.exit_code == 0
    assert "1 written, 2 up to date" in result.output
    after = stamps(tmp_path / "out")
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {
        "roanoke-va/member-number1.eml",
        "roanoke-va/member-number1.txt",
        "roanoke-va/index.html",
        "roanoke-va/manifest.json",
        "index.html",
        "manifest.csv",
        "manifest.json",
        "README.txt",
    }
    assert "new.address@example.gov" in (tmp_path / "out/manifest.csv").read_text("utf-8-sig")


def test_a_template_edit_renders_everything_again(tmp_path):
    contacts = write_contacts(tmp_path / "c.csv", council(2))
    (tmp_path / "templates").mkdir()  # the campaign workspace's templates folder
    args = ("--city", "Roanoke", "--format", QUICK, "--jobs", "1")
    assert packet(*args, contacts=contacts).exit_code == 0
    (tmp_path / "templates" / "_campaign.j2").write_text(
        '{% extends "builtin:_campaign.j2" %}\n{% block closing %}Yours,{% endblock %}\n',
        encoding="utf-8",
    )
    result = packet(*args, contacts=contacts)
    assert "2 written, 0 up to date" in result.output


def test_a_failing_letter_does_not_stop_the_others(tmp_path):
    contacts = write_contacts(tmp_path / "c.csv", council(3))
    templates = tmp_path / "my-templates"
    templates.mkdir()
    (templates / "fragile.j2").write_text(
        textwrap.dedent(
            """\
            {% extends "builtin:council.j2" %}
            {% block closing %}{% if official.name == "Member Number1" %}{{ no_such_variable }}{% endif %}Sincerely,{% endblock %}
            """  # noqa: E501
        ),
        encoding="utf-8",
    )
    args = ["--city", "Roanoke", "--format", QUICK, "--jobs", "1", "--to", "council"]
    result = packet(*args, "--templates", str(templates), "--template", "fragile",
                    contacts=contacts)  # fmt: skip
    assert result.exit_code == 1
    assert "Member Number1" in result.output and "no_such_variable" in result.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out/manifest.csv").read_text("utf-8-sig"))))
    status = {row["official"]: row["status"] for row in rows}
    assert status == {"Member Number1": "failed", "Member Number2": "ok"}
    assert (tmp_path / "out/roanoke-va/member-number2.txt").is_file()
    assert not (tmp_path / "out/roanoke-va/member-number1.txt").exists()
    # the failed letter is tried again on the next run; the good one is up to date
    again = packet(*args, "--templates", str(templates), "--template", "fragile",
                   contacts=contacts)  # fmt: skip
    assert again.exit_code == 1 and "0 written" not in again.output
    assert "1 up to date" in again.output


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://x")', "+1 555", "-2+3", "@SUM(A1)", "\tcmd", "\r=1+1"],
)
def test_csv_safe_neutralises_formulas(value):
    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["Jane Doe", "Олена Коваленко", "a=b", 42, None, ""])
def test_csv_safe_keeps_plain_values(value):
    assert csv_safe(value) == value


def test_manifest_csv_is_safe_to_open_in_a_spreadsheet(tmp_path):
    rows = council(1) + [
        official('=HYPERLINK("http://evil.example","x")', "1", email="a@example.gov"),
        official("@SUM(1+1)", "2", email="b@example.gov"),
        official("-Minus Sign", "3", email="c@example.gov"),
        official("+Plus Sign", "4", email="d@example.gov"),
    ]
    contacts = write_contacts(tmp_path / "c.csv", rows)
    result = packet("--city", "Roanoke", "--format", QUICK, "--jobs", "1", contacts=contacts)
    assert result.exit_code == 0, result.output
    raw = (tmp_path / "out/manifest.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for Excel
    cells = [cell for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells and "'@SUM(1+1)" in cells
    # the JSON manifest keeps the values exactly as written
    manifest = json.loads((tmp_path / "out/manifest.json").read_text(encoding="utf-8"))
    assert "@SUM(1+1)" in {row["official"] for row in manifest["letters"]}


def test_manifest_csv_columns():
    text = manifest_csv([]).decode("utf-8-sig")
    assert text.startswith('"city","official","role"') and "mailto_length" in text


def test_packet_pdf_has_bookmarks_and_duplex_blank_pages(tmp_path):
    rows = council(2) + council(1, city="Tacoma", state="WA")
    contacts = write_contacts(tmp_path / "c.csv", rows)
    result = packet(
        "--city", "Tacoma", "--city", "Roanoke", "--format", "pdf", "--jobs", "1", "--duplex",
        contacts=contacts,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    reader = PdfReader(out / "packet.pdf", strict=True)
    outline = reader.outline
    assert [item.title for item in outline if not isinstance(item, list)] == [
        "Tacoma, WA",
        "Roanoke, VA",
    ]
    assert [[child.title for child in item] for item in outline if isinstance(item, list)] == [
        ["Sherman Lea (Mayor)"],
        ["Sherman Lea (Mayor)", "Member Number1 (Councilmember, District 1)"],
    ]
    letters = [out / "tacoma-wa/sherman-lea.pdf", out / "roanoke-va/sherman-lea.pdf",
               out / "roanoke-va/member-number1.pdf"]  # fmt: skip
    counts = [len(PdfReader(p).pages) for p in letters]
    starts, page = [], 0
    for count in counts:
        starts.append(page)
        page += count + (count % 2 if len(starts) < len(counts) else 0)
    assert len(reader.pages) == page
    marks = [reader.get_destination_page_number(child) for item in outline
             if isinstance(item, list) for child in item]  # fmt: skip
    assert marks == starts and all(start % 2 == 0 for start in starts)
    assert "Member Number1" in reader.pages[starts[2]].extract_text()
    assert reader.metadata.title.startswith("Sister-city campaign letters")


# -- interrupted runs ------------------------------------------------------------------------


def run_packet_process(tmp_path: Path, contacts: Path, formats: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "advocacy", "--contacts", str(contacts), "packet",
               "--city", "Roanoke", "--date", DATE, "--out", "out", "--jobs", "2",
               "--format", formats]  # fmt: skip
    return subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return [int(p) for p in handle.read().split()]


def assert_every_file_is_valid(out: Path) -> None:
    for path in out.rglob("*"):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix == ".pdf":
            assert len(PdfReader(path, strict=True).pages) >= 1, path
        elif path.suffix == ".docx":
            with zipfile.ZipFile(path) as archive:
                assert archive.testzip() is None and "word/document.xml" in archive.namelist()
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".csv":
            list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def assert_complete(out: Path, names: list[str], formats: tuple[str, ...]) -> None:
    for stem in names:
        for suffix in formats:
            assert (out / "roanoke-va" / f"{stem}{suffix}").is_file(), (stem, suffix)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] and {row["status"] for row in manifest["letters"]} == {"ok"}
    assert len(manifest["letters"]) == len(names)


STEMS = ["sherman-lea"] + [f"member-number{i}" for i in range(1, 14)]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_killed_worker_leaves_valid_files_and_a_rerun_completes(tmp_path):
    contacts = write_contacts(tmp_path / "c.csv", council(14))
    process = run_packet_process(tmp_path, contacts, "pdf,docx,txt")
    out = tmp_path / "out"
    try:
        wait_for(lambda: any(out.glob("roanoke-va/*.pdf")))
        workers = children(process.pid)
        assert workers, "no worker processes"
        os.kill(workers[0], signal.SIGKILL)
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 1, stderr
    assert "worker process stopped" in stderr
    assert_every_file_is_valid(out)
    result = packet("--city", "Roanoke", "--format", "pdf,docx,txt", "--jobs", "2",
                    contacts=contacts)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert_complete(out, STEMS, (".pdf", ".docx", ".txt"))
    assert not list(out.rglob(".*.tmp"))
    assert_every_file_is_valid(out)
    assert len(PdfReader(out / "packet.pdf").outline) == 2  # the city and its letters


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_sigkill_of_the_whole_run_then_a_rerun_completes(tmp_path):
    contacts = write_contacts(tmp_path / "c.csv", council(14))
    process = run_packet_process(tmp_path, contacts, "pdf,txt")
    out = tmp_path / "out"
    try:
        wait_for(lambda: (out / ".advocacy-state.jsonl").is_file())  # a letter is done
        workers = children(process.pid)
        process.kill()
        process.communicate(timeout=60)
        # the workers die with their parent, so they cannot hold the folder's lock
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 10)
    finally:
        process.kill()
    assert_every_file_is_valid(out)
    result = packet("--city", "Roanoke", "--format", "pdf,txt", "--jobs", "2", contacts=contacts)
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output  # what the killed run finished is kept
    assert_complete(out, STEMS, (".pdf", ".txt"))
    assert_every_file_is_valid(out)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_ctrl_c_stops_cleanly_with_exit_130(tmp_path):
    contacts = write_contacts(tmp_path / "c.csv", council(14))
    process = run_packet_process(tmp_path, contacts, "pdf,txt")
    out = tmp_path / "out"
    try:
        wait_for(lambda: any(out.glob("roanoke-va/*.pdf")))
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, stdout + stderr
    assert "Interrupted" in stderr and "Traceback" not in stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert not manifest["complete"]
    assert_every_file_is_valid(out)
