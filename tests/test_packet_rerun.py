"""A packet rerun that changes nothing writes nothing, not even its state file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from advocacy.cli import cli


def packet(*args: str) -> None:
    result = CliRunner().invoke(
        cli,
        ["packet", "--date", "2026-12-01", "--out", "out", "--format", "txt,eml,mailto", *args],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output


def test_unchanged_rerun_keeps_the_state_file_and_a_change_rewrites_it(tmp_path: Path):
    packet("--city", "San Jose", "--city", "Chicago")
    state = tmp_path / "out/.advocacy-state.json"
    first = state.stat()
    packet("--city", "San Jose", "--city", "Chicago")
    again = state.stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    assert not (tmp_path / "out/.advocacy-state.jsonl").exists()
    packet("--city", "San Jose")  # Chicago's letters go: the state must say so
    changed = state.read_text(encoding="utf-8")
    assert state.stat().st_ino != first.st_ino
    assert "chicago-il/" not in changed and "san-jose-ca/" in changed
