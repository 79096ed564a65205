"""The end of a packet run: the state written from its journal's encoding, the collector
kept off what the run holds."""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.jsonfile import compact, dumps_lines, encoded_lines
from advocacy.packet.build import _collector_spared
from advocacy.packet.state import JOURNAL_NAME, STATE_NAME, PacketState

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    items=st.dictionaries(st.text(), values, max_size=5),
    listed=st.lists(values, max_size=5),
    size=st.integers(min_value=1, max_value=64),
)
def test_bytes_items_are_json_encoded_already(items, listed, size):
    plain = {"format": 1, "items": items, "listed": listed, "empty": {}}
    document = {
        "format": 1,
        "items": {key: compact(value).encode("utf-8") for key, value in items.items()},
        "listed": [compact(value).encode("utf-8") for value in listed],
        "empty": {},
    }
    expected = b"".join(encoded_lines(plain))
    assert b"".join(encoded_lines(document, size)) == expected
    assert dumps_lines(document) == dumps_lines(plain) == expected.decode("utf-8")
    assert json.loads(expected) == plain


@dataclass
class Letter:
    """What the state needs of a planned letter."""

    key: str
    digest: str


def record(text: str, files: dict[str, str] | None = None) -> dict[str, Any]:
    files = files if files is not None else {"txt": "", "eml": ""}
    return {
        "status": "ok",
        "files": files,
        "sizes": {name: 10 for name in files},
        "subject": f"Sister city: {text}",
        "mailto": None,
        "mailto_length": 1200,
        "warnings": [f"{text} «quoted» \u0928\u092e\u0938\u094d\u0924\u0947"],
        "error": None,
        "body": f"Dear {text},\n\u201cthe letter\u201d",
    }


def letters(count: int) -> list[tuple[Letter, dict[str, Any]]]:
    made = []
    for index in range(count):
        key = f"supporters/person-{index}/mayor-{index}"
        files = {"txt": f"{key}.txt", "eml": f"{key}.eml"}
        made.append((Letter(key, f"{index:064x}"), record(f"Name {index} Ολένα", files)))
    return made


def plain_snapshot(state: PacketState) -> bytes:
    """The snapshot as encoding every entry again would write it."""
    from advocacy import __version__

    snapshot = {
        "format": 1,
        "advocacy_version": __version__,
        "letters": dict(sorted(state.letters.items())),
        "combined": state.combined,
    }
    return b"".join(encoded_lines(snapshot))


def test_the_snapshot_reuses_each_letters_journal_line(tmp_path: Path):
    state = PacketState(tmp_path)
    made = letters(5)
    for letter, entry in reversed(made):  # recorded out of order: the snapshot is sorted
        state.record(letter, entry, flush=False)
    state.flush()
    journal = (tmp_path / JOURNAL_NAME).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in journal] == [
        {"key": letter.key, "hash": letter.digest, "record": entry}
        for letter, entry in reversed(made)
    ]
    assert journal[0] == compact(
        {"key": made[-1][0].key, "hash": made[-1][0].digest, "record": made[-1][1]}
    )
    killed = PacketState.load(tmp_path)  # a run killed now: the journal has every letter
    assert killed.letters == state.letters

    state.forget(made[2][0].key)
    state.combined["packet"] = "abc"
    state.save()
    written = (tmp_path / STATE_NAME).read_bytes()
    assert written == plain_snapshot(state)
    assert made[2][0].key not in written.decode("utf-8")
    assert not (tmp_path / JOURNAL_NAME).exists()

    again = PacketState.load(tmp_path)
    assert again.letters == state.letters and again.combined == {"packet": "abc"}
    letter, entry = made[2]
    again.record(letter, entry)  # letters read from the snapshot are encoded as before
    again.save()
    assert (tmp_path / STATE_NAME).read_bytes() == plain_snapshot(again)


def test_a_letter_recorded_twice_is_written_as_recorded_last(tmp_path: Path):
    state = PacketState(tmp_path)
    letter, first = letters(1)[0]
    state.record(letter, first)
    state.record(letter, {**first, "status": "failed", "error": "it broke"})
    state.save()
    entry = PacketState.load(tmp_path).letters[letter.key]
    assert entry["record"]["error"] == "it broke"
    assert (tmp_path / STATE_NAME).read_bytes() == plain_snapshot(state)


def test_the_collector_is_spared_then_restored():
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    with _collector_spared() as rendered:
        assert gc.get_freeze_count() > 0 and gc.isenabled()
        kept = [[index] for index in range(1000)]  # made while rendering, kept to the end
        rendered()
        assert not gc.isenabled()
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0 and gc.isenabled()

    with pytest.raises(KeyboardInterrupt), _collector_spared() as rendered:
        rendered()
        raise KeyboardInterrupt
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_the_end_of_a_run_that_lays_out_pages_keeps_the_collector():
    with _collector_spared(paused_end=False) as rendered:
        rendered()
        assert gc.isenabled() and gc.get_freeze_count() > 0  # the records frozen too
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_collector_paused_while_planning_runs_while_rendering():
    gc.disable()
    try:
        with _collector_spared() as rendered:
            assert gc.isenabled() and gc.get_freeze_count() > 0
            rendered()
            assert not gc.isenabled()
        assert not gc.isenabled() and gc.get_freeze_count() == 0  # as the caller had it
    finally:
        gc.enable()


def test_a_supporters_packet_leaves_the_collector_as_it_found_it(tmp_path: Path):
    result = supporters_packet(tmp_path)
    assert result.exit_code == 0, result.output
    assert gc.isenabled() and gc.get_freeze_count() == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "supporters.csv").write_text(SUPPORTERS.splitlines()[0] + "\n,,,,,,,,\n")
    failed = supporters_packet(bad)  # no supporter could be read
    assert failed.exit_code != 0 and "no supporter could be read" in failed.output
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_objects_frozen_before_the_run_stay_frozen():
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        gc.disable()
        with _collector_spared() as rendered:
            rendered()
        assert gc.get_freeze_count() >= before
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()
        gc.unfreeze()


# -- the overview written by a child while the state is saved ----------------------------------

SUPPORTERS = (
    "name,address,city,state,zip,email,district,note,organisation\n"
    "Olena Kovalenko,100 Example St,San Jose,CA,95113,olena@example.org,3,,\n"
    "Ivan Petrenko,200 Example St,Portland,OR,97204,ivan@example.org,2,,\n"
)


def supporters_packet(tmp_path: Path, *extra: str):
    from click.testing import CliRunner

    from advocacy.cli import cli

    path = tmp_path / "supporters.csv"
    if not path.exists():
        path.write_text(SUPPORTERS, encoding="utf-8")
    args = ["packet", "--supporters", str(path), "--out", str(tmp_path / "out")]
    return CliRunner().invoke(cli, [*args, "--format", "txt,eml", "--date", "2026-12-01", *extra])


def temporaries(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_the_state_claims_the_overview_only_once_it_is_in_place(tmp_path: Path):
    state = PacketState(tmp_path)
    letter, entry = letters(1)[0]
    state.record(letter, entry)
    seen: list[Any] = []

    def finishing():
        # what a run killed now leaves: no snapshot yet, the journal with the letter
        seen.append((tmp_path / STATE_NAME).exists())
        seen.append(PacketState.load(tmp_path).letters == state.letters)
        state.combined["packet"] = "in place"

    state.save(finishing)
    assert seen == [False, True]
    assert PacketState.load(tmp_path).combined == {"packet": "in place"}


def test_a_letter_written_again_the_same_leaves_the_overview_as_it_was(tmp_path: Path):
    """The child starts before the overview's hash is known when letters were rendered; when
    they read as before, its files are dropped and the overview is not written again."""
    first = supporters_packet(tmp_path)
    assert first.exit_code == 0, first.output
    out = tmp_path / "out"
    before = {name: (out / name).stat() for name in ("index.html", "manifest.csv")}
    letter = next((out / "supporters").glob("olena-*/*.txt"))
    letter.write_text("cut sh", encoding="utf-8")  # written again by the next run
    (out / ".advocacy-stamp.json").unlink()
    again = supporters_packet(tmp_path)
    assert again.exit_code == 0, again.output
    assert "2 written, 4 up to date" in again.output  # Olena's letters, with her page
    for name, stat in before.items():
        now = (out / name).stat()
        assert (now.st_ino, now.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns), name
    assert not temporaries(out)
    assert "packet" in json.loads((out / STATE_NAME).read_text(encoding="utf-8"))["combined"]
    assert "Everything is up to date" in supporters_packet(tmp_path).output


def test_an_overview_that_cannot_be_put_in_place_is_written_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import advocacy.packet.supporters_files as supporters_files

    replace = supporters_files.os.replace

    def refusing(source, target):
        if str(target).endswith("index.html") and "supporters" not in str(target):
            raise PermissionError(13, "Permission denied")
        return replace(source, target)

    monkeypatch.setattr(supporters_files.os, "replace", refusing)
    failed = supporters_packet(tmp_path)
    assert failed.exit_code == 1, failed.output
    assert "Permission denied" in failed.output and "Traceback" not in failed.output
    out = tmp_path / "out"
    assert not (out / "index.html").exists() and not temporaries(out)
    state = json.loads((out / STATE_NAME).read_text(encoding="utf-8"))
    assert "packet" not in state["combined"] and len(state["letters"]) == 6
    assert not (out / ".advocacy-stamp.json").exists()

    monkeypatch.setattr(supporters_files.os, "replace", replace)
    fixed = supporters_packet(tmp_path)
    assert fixed.exit_code == 0, fixed.output
    assert "0 written, 6 up to date" in fixed.output
    assert (out / "index.html").is_file() and not temporaries(out)
    assert "Everything is up to date" in supporters_packet(tmp_path).output


class _Child:
    """A child writing the overview whose result raises ``error``; it records being stopped."""

    def __init__(self, error: BaseException):
        self.error = error
        self.cancelled = False

    def result(self):
        raise self.error

    def cancel(self):
        self.cancelled = True


@pytest.mark.parametrize("stop", [KeyboardInterrupt, SystemExit])
def test_ctrl_c_while_waiting_for_the_child_saves_the_state_then_stops(tmp_path: Path, stop):
    from advocacy.packet.build import _save
    from advocacy.packet.report import PacketReport
    from advocacy.packet.supporters_files import Overview

    state = PacketState(tmp_path)
    letter, entry = letters(1)[0]
    state.record(letter, entry)
    state.combined["packet"] = "of the last run"  # it no longer describes the files
    state.combined.pop("packet")
    overview = Overview(tmp_path, _Child(stop()), "new", current=False, complete=True)  # type: ignore[arg-type]
    with pytest.raises(stop):
        _save(state, overview, PacketReport(tmp_path), stamped=True)
    saved = json.loads((tmp_path / STATE_NAME).read_text(encoding="utf-8"))
    assert list(saved["letters"]) == [letter.key] and "packet" not in saved["combined"]
    assert not (tmp_path / JOURNAL_NAME).exists()


def test_an_interrupted_run_stops_the_child_and_records_no_overview(tmp_path: Path):
    from advocacy.packet.build import _save
    from advocacy.packet.report import PacketReport
    from advocacy.packet.supporters_files import Overview

    child = _Child(AssertionError("an interrupted run does not wait for the child"))
    state = PacketState(tmp_path)
    report = PacketReport(tmp_path, interrupted=True)
    overview = Overview(tmp_path, child, "new", current=False, complete=False)  # type: ignore[arg-type]
    assert _save(state, overview, report, stamped=True) is None  # no stamp either
    assert child.cancelled
    assert (
        "packet" not in json.loads((tmp_path / STATE_NAME).read_text(encoding="utf-8"))["combined"]
    )


def test_the_console_script_skips_the_collectors_last_passes(monkeypatch: pytest.MonkeyPatch):
    import sys

    from advocacy.cli import main

    monkeypatch.setattr(sys, "argv", ["advocacy", "--version"])
    assert gc.get_freeze_count() == 0
    try:
        with pytest.raises(SystemExit) as done:
            main()
        assert done.value.code in (0, None)
        assert gc.get_freeze_count() > 0  # every object left: not scanned again at the exit
    finally:
        gc.unfreeze()


def test_a_state_save_stopped_before_the_overview_stops_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from advocacy.packet.build import _save
    from advocacy.packet.report import PacketReport
    from advocacy.packet.supporters_files import Overview

    def stopped(self, finishing=None):
        raise KeyboardInterrupt  # Ctrl-C while the letters are encoded

    monkeypatch.setattr(PacketState, "save", stopped)
    child = _Child(AssertionError("not waited for: its files are not put in place"))
    overview = Overview(tmp_path, child, "new", current=False, complete=True)  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        _save(PacketState(tmp_path), overview, PacketReport(tmp_path), stamped=True)
    assert child.cancelled


def test_ctrl_c_while_the_overview_is_written_then_a_rerun_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Ctrl-C in this process while its children write the overview (manifest.csv,
    index.html, manifest.json): the children are stopped, the letters written are kept,
    nothing claims the overview; the next run writes it and leaves no temporary file."""
    from advocacy.packet.forked import Forked

    result = Forked.result

    def interrupted(self):
        raise KeyboardInterrupt  # while waiting for the child

    monkeypatch.setattr(Forked, "result", interrupted)
    stopped = supporters_packet(tmp_path)
    assert stopped.exit_code == 130, stopped.output
    out = tmp_path / "out"
    assert not (out / ".advocacy-stamp.json").exists()
    assert not (out / "index.html").exists() and not (out / "manifest.csv").exists()
    assert not (out / "manifest.json").exists()
    state = PacketState.load(out)
    assert len(state.letters) == 6 and "packet" not in state.combined

    monkeypatch.setattr(Forked, "result", result)
    again = supporters_packet(tmp_path)
    assert again.exit_code == 0, again.output
    assert "0 written, 6 up to date" in again.output
    assert (out / "index.html").is_file() and not temporaries(out)
    assert "Everything is up to date" in supporters_packet(tmp_path).output
