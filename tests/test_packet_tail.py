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

from advocacy.jsonfile import Encoded, compact, dumps_lines, encoded_lines
from advocacy.packet.build import _collector_spared
from advocacy.packet.state import JOURNAL_NAME, STATE_NAME, PacketState

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200)
@given(
    items=st.dictionaries(st.text(), values, max_size=5),
    listed=st.lists(values, max_size=5),
    size=st.integers(min_value=1, max_value=64),
)
def test_encoded_items_are_written_as_they_are(items, listed, size):
    plain = {"format": 1, "items": items, "listed": listed, "empty": {}}
    document = {
        "format": 1,
        "items": {key: Encoded(compact(value).encode("utf-8")) for key, value in items.items()},
        "listed": [Encoded(compact(value).encode("utf-8")) for value in listed],
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
