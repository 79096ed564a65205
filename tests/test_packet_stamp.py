"""The stamp of a finished run: an unchanged rerun is answered without planning a letter, and
anything that changed (an input, an option, a file in the folder) takes the usual way."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import advocacy.packet.supporters_plan as supporters_plan
from advocacy.cli import cli
from advocacy.generate import LetterFactory
from advocacy.packet import stamp

HEADER = "name,address,city,state,zip,email,district,note,organisation\n"
ROWS = (
    "Olena Kovalenko,100 Example St,San Jose,CA,95113,olena@example.org,3,My own words.,\n"
    "Ivan Petrenko,200 Example St,Portland,OR,97204,ivan@example.org,2,,\n"
    "Far Away,1 Main St,Springfield,KS,66000,,,,\n"
    "Bad Row,,,,,not-an-email,,,\n"
)
SUPPORTERS = ["packet", "--supporters", "supporters.csv", "--out", "out", "--date", "2026-12-01"]
FORMATS = ["--format", "txt,eml,mailto", "--jobs", "1"]


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def without_time(output: str) -> str:
    return re.sub(r"\(\d+\.\d s\)", "(T s)", output)


@pytest.fixture
def supporters(tmp_path: Path) -> Path:
    path = tmp_path / "supporters.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    return path


def refuse_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    def planned(*args, **kwargs):
        raise AssertionError("planned letters although nothing changed")

    monkeypatch.setattr(supporters_plan, "plan_supporters", planned)


def test_unchanged_rerun_says_what_the_usual_way_says_without_planning(
    tmp_path, supporters, monkeypatch
):
    first = run(*SUPPORTERS, *FORMATS)
    assert first.exit_code == 1, first.output  # the bad row: exit 1, the others written
    assert (tmp_path / "out" / stamp.STAMP_NAME).is_file()
    # the usual way, once the stamp is gone, finds everything up to date
    (tmp_path / "out" / stamp.STAMP_NAME).unlink()
    usual = run(*SUPPORTERS, *FORMATS)
    assert "Everything is up to date" in usual.output, usual.output
    refuse_planning(monkeypatch)
    quick = run(*SUPPORTERS, *FORMATS)
    assert quick.exit_code == usual.exit_code == 1
    assert without_time(quick.output) == without_time(usual.output)
    assert "supporters.csv:5: error" in quick.output
    assert "Far Away: no sister-city tie is recorded for Springfield, KS" in quick.output


def test_a_missing_or_cut_letter_or_page_is_written_again(tmp_path, supporters):
    run(*SUPPORTERS, *FORMATS)
    out = tmp_path / "out"
    olena = next(p for p in (out / "supporters").iterdir() if p.name.startswith("olena"))
    letter = olena / "matt-mahan.txt"
    text = letter.read_text(encoding="utf-8")
    letter.unlink()
    again = run(*SUPPORTERS, *FORMATS)
    assert "Everything is up to date" not in again.output
    assert letter.read_text(encoding="utf-8") == text
    # a page cut short (a power cut after the rename) is seen by its size and written again
    page = olena / "index.html"
    whole = page.read_bytes()
    page.write_bytes(whole[:100])
    third = run(*SUPPORTERS, *FORMATS)
    assert "Everything is up to date" not in third.output
    assert page.read_bytes() == whole
    fourth = run(*SUPPORTERS, *FORMATS)
    assert "Everything is up to date" in fourth.output


def test_a_changed_input_or_option_takes_the_usual_way(tmp_path, supporters, monkeypatch):
    run(*SUPPORTERS, *FORMATS)
    with supporters.open("a", encoding="utf-8") as handle:
        handle.write("Nova Added,300 Example St,San Jose,CA,95113,,5,,\n")
    added = run(*SUPPORTERS, *FORMATS)
    assert "2 written" in added.output, added.output
    mayor = run(*SUPPORTERS, "--to", "mayor", *FORMATS)
    assert "Everything is up to date" not in mayor.output
    other_date = run(*SUPPORTERS[:-1], "2026-12-02", "--to", "mayor", *FORMATS)
    assert "Everything is up to date" not in other_date.output
    refuse_planning(monkeypatch)
    same = run(*SUPPORTERS[:-1], "2026-12-02", "--to", "mayor", *FORMATS)
    assert "Everything is up to date" in same.output


def test_a_run_with_a_failed_letter_leaves_no_stamp(tmp_path, supporters, monkeypatch):
    run(*SUPPORTERS, *FORMATS)
    assert (tmp_path / "out" / stamp.STAMP_NAME).is_file()
    write = LetterFactory.write

    def failing(self, job, out):
        if job.official.name == "Matt Mahan":
            raise OSError("disk on fire")
        return write(self, job, out)

    monkeypatch.setattr(LetterFactory, "write", failing)
    result = run(*SUPPORTERS, "--force", *FORMATS)
    assert "disk on fire" in result.output
    assert not (tmp_path / "out" / stamp.STAMP_NAME).exists()


def test_officials_packet_is_stamped_too(tmp_path, monkeypatch):
    args = ["packet", "--city", "San Jose", "--out", "out", "--date", "2026-12-01", *FORMATS]
    first = run(*args)
    assert first.exit_code == 0, first.output
    import advocacy.packet as packet

    def planned(*a, **k):
        raise AssertionError("planned letters although nothing changed")

    monkeypatch.setattr(packet, "plan_packet", planned)
    again = run(*args)
    assert again.exit_code == 0, again.output
    assert "Everything is up to date in out" in again.output


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        "[]",
        '{"format": 1, "fingerprint": "F", "summary": {}, "files": [["../x", 1]]}',
        '{"format": 1, "fingerprint": "F", "summary": {}, "files": [["/etc/passwd", 1]]}',
        '{"format": 1, "fingerprint": "F", "summary": {}, "files": [[1, 2, 3]]}',
        '{"format": 1, "fingerprint": "F", "summary": [], "files": []}',
        '{"format": 2, "fingerprint": "F", "summary": {}, "files": []}',
        '{"format": 1, "fingerprint": "G", "summary": {}, "files": []}',
    ],
)
def test_a_damaged_or_foreign_stamp_is_not_trusted(tmp_path, document):
    (tmp_path / stamp.STAMP_NAME).write_text(document, encoding="utf-8")
    assert stamp.check(tmp_path, "F") is None


def test_a_stamp_lists_every_file_with_its_size(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("hello", encoding="utf-8")
    (tmp_path / ".advocacy-x.txt.1.tmp").write_text("half", encoding="utf-8")
    files = ["a/x.txt", ".advocacy-x.txt.1.tmp", "a/missing.txt", stamp.STAMP_NAME]
    stamp.write(tmp_path, "F", files, {"letters": 1, "cities": 1})
    document = json.loads((tmp_path / stamp.STAMP_NAME).read_text(encoding="utf-8"))
    assert document["files"] == [["a/x.txt", 5]]
    assert stamp.check(tmp_path, "F") == {"letters": 1, "cities": 1}
    (tmp_path / "a" / "x.txt").write_text("hello!", encoding="utf-8")
    assert stamp.check(tmp_path, "F") is None


def test_a_killed_runs_temporaries_are_removed_by_the_next_run(tmp_path, supporters):
    run(*SUPPORTERS, *FORMATS)
    out = tmp_path / "out"
    olena = next(p for p in (out / "supporters").iterdir() if p.name.startswith("olena"))
    # what a run killed mid-letter leaves: a temporary file, and no stamp (removed at its start)
    left = olena / ".advocacy-matt-mahan.txt.123.tmp"
    left.write_text("half a lett", encoding="utf-8")
    (out / stamp.STAMP_NAME).unlink()
    (olena / "matt-mahan.txt").unlink()
    again = run(*SUPPORTERS, *FORMATS)
    assert not left.exists()
    assert (olena / "matt-mahan.txt").is_file()
    assert (out / stamp.STAMP_NAME).is_file(), again.output


# -- the early check: the stamp's files checked by a child while the inputs are read ----------

FINGERPRINT = "f" * 64


def _stamped(folder: Path) -> dict[str, int]:
    (folder / "a").mkdir()
    (folder / "a" / "x.txt").write_text("hello", encoding="utf-8")
    summary = {"letters": 1, "cities": 1}
    stamp.write(folder, FINGERPRINT, ["a/x.txt"], summary)
    return summary


def test_the_early_check_gives_the_stamped_summary(tmp_path):
    summary = _stamped(tmp_path)
    early = stamp.check_early(tmp_path)
    assert early is not None
    assert stamp.up_to_date(tmp_path, FINGERPRINT, early) == summary


def test_the_early_check_finds_a_file_changed(tmp_path):
    _stamped(tmp_path)
    (tmp_path / "a" / "x.txt").write_text("hello!", encoding="utf-8")
    early = stamp.check_early(tmp_path)
    assert early is not None
    assert stamp.up_to_date(tmp_path, FINGERPRINT, early) is None


def test_the_early_check_is_not_waited_for_when_the_inputs_changed(tmp_path):
    _stamped(tmp_path)
    early = stamp.check_early(tmp_path)
    assert early is not None
    assert stamp.up_to_date(tmp_path, "e" * 64, early) is None
    assert early.child._pid is None  # stopped (or, without fork, never started)


def test_the_early_check_counts_only_for_the_stamp_it_read(tmp_path):
    # a run that changed the folder since the child looked removed that stamp: even an equal
    # new one (another file) is not the one the child checked
    summary = _stamped(tmp_path)
    early = stamp.check_early(tmp_path)
    assert early is not None
    early.child.result()  # the child is done
    (tmp_path / "a" / "x.txt").write_text("hello!", encoding="utf-8")
    stamp.clear(tmp_path)
    stamp.write(tmp_path, FINGERPRINT, ["a/x.txt"], summary)
    assert stamp.up_to_date(tmp_path, FINGERPRINT, early) is None
    assert stamp.up_to_date(tmp_path, FINGERPRINT) == summary  # checked again here: all there


def test_no_early_check_without_a_stamp(tmp_path):
    assert stamp.check_early(tmp_path) is None


@pytest.mark.parametrize("changed", [None, "a/0.txt", "a/5.txt"])
def test_a_long_stamp_is_checked_in_two_halves_all_the_same(tmp_path, monkeypatch, changed):
    monkeypatch.setattr(stamp, "SPLIT_FILES", 2)
    (tmp_path / "a").mkdir()
    names = [f"a/{number}.txt" for number in range(6)]
    for name in names:
        (tmp_path / name).write_text(name, encoding="utf-8")
    stamp.write(tmp_path, FINGERPRINT, names, {"letters": 6, "cities": 1})
    if changed:  # in the first half, or in the half the other process checks
        (tmp_path / changed).write_text("longer than it was", encoding="utf-8")
    found = stamp._checked(tmp_path, FINGERPRINT, split=True)
    assert (found is None) == bool(changed)


def test_no_early_check_where_no_child_can_be_made(tmp_path, monkeypatch):
    import advocacy.packet.forked as forked

    summary = _stamped(tmp_path)
    monkeypatch.setattr(forked, "_single_threaded", lambda: False)
    assert stamp.check_early(tmp_path) is None
    assert stamp.up_to_date(tmp_path, FINGERPRINT) == summary  # checked here, as before
