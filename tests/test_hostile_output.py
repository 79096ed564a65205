"""Nothing good is deleted; a damaged state file is set aside; Ctrl-C exits 130 promptly;
every output format takes every valid value; --jobs is capped.

One test per kind of failure. The runs that could hang (signals) are child processes with
timeouts.
"""

from __future__ import annotations

import csv
import errno
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from advocacy.cli import cli

DATE = "2026-12-01"
COLUMNS = ["name", "role", "city", "state", "district", "email", "address", "source", "as_of"]


def write_council(path: Path, count: int, subject_name: str = "Sherman Lea") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(count):
            name = subject_name if i == 0 else f"Member Number{i}"
            role = "mayor" if i == 0 else "council_member"
            writer.writerow(
                [name, role, "Roanoke", "VA", str(i) if i else "", f"m{i}@example.gov",
                 "215 Church Ave SW; Roanoke, VA 24011", "https://example.gov", "2026-11-01"]
            )  # fmt: skip
    return path


def fragile_templates(tmp_path: Path, broken: bool) -> Path:
    """A council template that fails for Member Number1 when ``broken``."""
    folder = tmp_path / "my-templates"
    folder.mkdir(exist_ok=True)
    fail = '{% if official.name == "Member Number1" %}{{ no_such_variable }}{% endif %}'
    (folder / "fragile.j2").write_text(
        '{% extends "builtin:council.j2" %}\n'
        f"{{% block closing %}}{fail if broken else ''}Sincerely,{{% endblock %}}\n",
        encoding="utf-8",
    )
    return folder


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# -- nothing good is deleted -----------------------------------------------------------------


def test_a_failing_rerun_keeps_the_last_good_letters_and_packet(tmp_path):
    contacts = write_council(tmp_path / "c.csv", 3)
    base = ["--contacts", str(contacts), "packet", "--out", "out", "--city", "Roanoke"]
    args = [*base, "--to", "council", "--format", "pdf,txt", "--jobs", "1", "--template"]
    good = run(*args, "fragile", "--templates", str(fragile_templates(tmp_path, False)),
               "--date", DATE)  # fmt: skip
    assert good.exit_code == 0, good.output
    out = tmp_path / "out"
    before = {p: p.read_bytes() for p in [out / "packet.pdf", *out.glob("roanoke-va/*.pdf")]}
    # the next run (a new date: every letter renders again) fails for one letter
    bad = run(*args, "fragile", "--templates", str(fragile_templates(tmp_path, True)),
              "--date", "2026-12-02")  # fmt: skip
    assert bad.exit_code == 1
    assert "no_such_variable" in bad.output
    kept = out / "roanoke-va/member-number1.pdf"
    assert kept.read_bytes() == before[kept]  # the last good letter is still there
    assert (out / "packet.pdf").read_bytes() == before[out / "packet.pdf"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["packet_pdf"].startswith("kept from the last run without failures")
    for row in manifest["letters"]:
        for relative in row["files"].values():  # the manifest lists what is on disk
            assert (out / relative).is_file(), relative
    (row,) = [r for r in manifest["letters"] if r["official"] == "Member Number1"]
    assert row["status"] == "failed" and row["files"] == {
        "pdf": "roanoke-va/member-number1.pdf",
        "txt": "roanoke-va/member-number1.txt",
    }


def test_a_full_disk_replaces_no_file_of_a_letter(tmp_path, monkeypatch):
    contacts = tmp_path / "c.csv"
    write_council(contacts, 1)
    args = ["--contacts", str(contacts), "letter", "--city", "Roanoke", "--format", "txt,eml"]
    assert run(*args, "--date", DATE).exit_code == 0
    folder = tmp_path / "out/roanoke-va"
    before = {p.name: p.read_bytes() for p in folder.glob("sherman-lea.*")}
    assert set(before) == {"sherman-lea.txt", "sherman-lea.eml"}
    import advocacy.output

    real = advocacy.output.open_temporary
    calls = []

    def full_after_one(path):  # the disk fills up while the letter's files are written
        calls.append(Path(path).name)
        if Path(path).name == "sherman-lea.txt":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path)

    monkeypatch.setattr(advocacy.output, "open_temporary", full_after_one)
    result = run(*args, "--date", "2026-12-02")
    monkeypatch.undo()
    assert result.exit_code == 1
    assert "No space left on device" in result.output
    assert calls[:2] == ["sherman-lea.eml", "sherman-lea.txt"]
    # the first format was written to its temporary name, then removed: both old files stay
    assert {p.name: p.read_bytes() for p in folder.glob("sherman-lea.*")} == before
    assert not list(folder.glob(".advocacy-*"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    (letter,) = manifest["letters"]
    assert letter["status"] == "failed"
    assert sorted(letter["files"].values()) == ["sherman-lea.eml", "sherman-lea.txt"]


def test_only_advocacy_temporaries_are_cleaned(tmp_path):
    contacts = write_council(tmp_path / "c.csv", 1)
    out = tmp_path / "out"
    (out / "roanoke-va").mkdir(parents=True)
    mine = [out / ".notes.tmp", out / "roanoke-va/.draft.tmp", out / "x.tmp"]
    ours = [out / ".advocacy-sherman-lea.txt.abc123.tmp", out / "roanoke-va/.advocacy-a.tmp"]
    for path in mine + ours:
        path.write_text("data", encoding="utf-8")
    result = run("--contacts", str(contacts), "packet", "--out", "out", "--city", "Roanoke",
                 "--format", "txt", "--date", DATE)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert all(path.read_text(encoding="utf-8") == "data" for path in mine)
    assert not any(path.exists() for path in ours)


# -- the state file ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        "{not json",
        '{"format": 1, "letters": {"roanoke-va/sherman-lea": "oops"}, "combined": {}}',
        '{"format": 1, "letters": [], "combined": 5}',
        # a record naming a file that is not the letter's: it must never be deleted
        json.dumps(
            {
                "format": 1,
                "combined": {},
                "letters": {
                    "roanoke-va/gone": {
                        "hash": "x",
                        "record": {"status": "ok", "files": {"txt": "my-notes.txt"}, "sizes": {}},
                    }
                },
            }
        ),
    ],
)
def test_a_damaged_state_file_is_set_aside_and_letters_rendered_again(tmp_path, damage):
    contacts = write_council(tmp_path / "c.csv", 2)
    args = ["--contacts", str(contacts), "packet", "--out", "out", "--city", "Roanoke",
            "--format", "txt", "--date", DATE]  # fmt: skip
    assert run(*args).exit_code == 0
    out = tmp_path / "out"
    (out / "my-notes.txt").write_text("mine", encoding="utf-8")
    (out / ".advocacy-state.json").write_text(damage, encoding="utf-8")
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "the state file was damaged: set aside as .advocacy-state.corrupt-" in result.output
    assert "2 written, 0 up to date" in result.output
    assert (out / "my-notes.txt").read_text(encoding="utf-8") == "mine"
    (aside,) = out.glob(".advocacy-state.corrupt-*.json")
    assert aside.read_text(encoding="utf-8") == damage
    again = run(*args)  # the state written by the last run is good
    assert "Everything is up to date" in again.output


# -- signals ---------------------------------------------------------------------------------


def _start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "advocacy", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )


@pytest.mark.parametrize(("command", "presses"), [("packet", 1), ("packet", 10), ("letter", 3)])
def test_any_number_of_ctrl_c_exit_130_promptly_with_the_lock_released(tmp_path, command, presses):
    contacts = write_council(tmp_path / "c.csv", 12)
    extra = ["--jobs", "2"] if command == "packet" else []
    process = _start(tmp_path, "--contacts", str(contacts), command, "--city", "Roanoke",
                     "--format", "pdf", "--date", DATE, "--out", "out", *extra)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not list((tmp_path / "out").rglob("*.pdf")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is None, "finished before it could be interrupted"
        started = time.monotonic()
        for _ in range(presses):
            process.send_signal(signal.SIGINT)
            time.sleep(0.02)
        stdout, stderr = process.communicate(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        process.kill()
    assert process.returncode == 130, stdout + stderr
    assert elapsed < 2.0, f"took {elapsed:.2f} s to stop"
    assert "Traceback" not in stderr
    lock = tmp_path / "out/.advocacy-packet.lock"
    if lock.exists():
        with lock.open() as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held


# -- format limits ---------------------------------------------------------------------------


def test_long_names_and_subjects_fit_every_format(tmp_path):
    long_name = "Sherman " + "Verylongname " * 40 + "Lea"  # 530 characters
    contacts = write_council(tmp_path / "c.csv", 1, subject_name=long_name.strip())
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "long.j2").write_text(
        '{% extends "builtin:mayor.j2" %}\n{% block subject %}'
        + "A very long subject line " * 120
        + "{% endblock %}\n",
        encoding="utf-8",
    )
    result = run("--contacts", str(contacts), "letter", "--city", "Roanoke", "--template",
                 "long", "--format", "docx,mailto,txt", "--date", DATE)  # fmt: skip
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out/roanoke-va"
    (docx,) = folder.glob("*.docx")
    with zipfile.ZipFile(docx) as archive:
        core = archive.read("docProps/core.xml").decode("utf-8")
        body = archive.read("word/document.xml").decode("utf-8")
    assert "A very long subject line " * 100 in body  # the letter keeps it all
    title = core.split("<dc:title>")[1].split("</dc:title>")[0]
    assert len(title) <= 255 and title.endswith("…")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    (letter,) = manifest["letters"]
    link = letter["mailto"]
    assert len(link) <= 1800
    subject = unquote(link.split("subject=")[1].split("&")[0])
    assert subject.startswith("A very long subject line") and subject.endswith("…")


def test_jobs_are_capped_by_the_cpus_and_the_work(monkeypatch):
    import advocacy.packet.workers as workers

    started = []

    class Recorder:
        def __init__(self, max_workers, **kwargs):
            started.append(max_workers)
            raise RuntimeError("stop here")

    monkeypatch.setattr(workers, "ProcessPoolExecutor", Recorder)
    monkeypatch.setattr(workers, "usable_cpus", lambda: 2)

    settings = SimpleNamespace(
        jobs=1000, folders=(), formats=(), sender=None, date=None, quotes=(), extras={},
        style=None, out=Path("out"),
    )  # fmt: skip
    with pytest.raises(RuntimeError):
        list(workers.render_letters(["a"] * 50, settings))  # type: ignore[arg-type]
    assert started == [2]


def test_an_interrupted_rerun_keeps_the_last_packet_and_a_manifest_of_what_is_on_disk(tmp_path):
    # many more letters than a batch of PDFs (8 are laid out together, then written): the
    # run is stopped with letters still to write, even on a busy machine
    contacts = write_council(tmp_path / "c.csv", 40)
    args = ["--contacts", str(contacts), "packet", "--out", "out", "--city", "Roanoke",
            "--format", "pdf", "--jobs", "1"]  # fmt: skip
    assert run(*args, "--date", DATE).exit_code == 0
    out = tmp_path / "out"
    packet_pdf = (out / "packet.pdf").read_bytes()
    process = _start(tmp_path, *args, "--date", "2026-12-02")  # every letter renders again
    try:
        first = out / "roanoke-va/sherman-lea.pdf"
        before = first.stat().st_mtime_ns
        deadline = time.monotonic() + 120
        while first.stat().st_mtime_ns == before and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, stdout + stderr
    assert (out / "packet.pdf").read_bytes() == packet_pdf
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert not manifest["complete"]
    statuses = {row["official"]: row["status"] for row in manifest["letters"]}
    assert "pending" in statuses.values(), statuses
    for row in manifest["letters"]:  # every letter lists its files, and they are there
        assert row["files"].get("pdf"), row
        assert (out / row["files"]["pdf"]).is_file()


def test_a_rerun_stopped_before_any_letter_keeps_the_last_packet(tmp_path, monkeypatch):
    """Ctrl-C before the first letter of a rerun is written: no letter has a new PDF, and
    the last packet.pdf is kept (it was deleted as if the packet had no PDFs any more)."""
    import advocacy.packet.build as build

    args = ["packet", "--out", "out", "--city", "Chicago", "--format", "pdf,txt", "--jobs", "1"]
    assert run(*args, "--date", DATE).exit_code == 0
    out = tmp_path / "out"
    packet_pdf = (out / "packet.pdf").read_bytes()

    def stopped(*arguments, **options):
        raise KeyboardInterrupt
        yield  # a generator, as render_letters is

    monkeypatch.setattr(build, "render_letters", stopped)
    result = run(*args, "--date", "2026-12-02")  # every letter would render again
    assert result.exit_code == 130, result.output
    assert (out / "packet.pdf").read_bytes() == packet_pdf
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert not manifest["complete"]
    assert {row["status"] for row in manifest["letters"]} == {"pending"}
