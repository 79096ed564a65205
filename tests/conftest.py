"""Shared fixtures: every test runs in its own empty folder, so nothing is written elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("ADVOCACY_UPDATE_GOLDEN") == "1"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in tmp_path with HOME there too: no advocacy.toml or templates/ leak in."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))


def assert_golden(actual: str, name: str) -> None:
    """Compare ``actual`` with tests/golden/NAME; ADVOCACY_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from the golden file (ADVOCACY_UPDATE_GOLDEN=1)"
