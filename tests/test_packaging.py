"""The installed package must hold every module, the data set and the templates."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "advocacy").rglob("__init__.py")
    }
    assert on_disk <= listed
    mapped = config["tool"]["setuptools"]["package-dir"]
    assert mapped == {"advocacy.embedded": "contacts", "advocacy.builtin_templates": "templates"}


def test_package_data_patterns_cover_the_data_and_template_files():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]
    for package, folder in (
        ("advocacy.embedded", "contacts"),
        ("advocacy.builtin_templates", "templates"),
    ):
        for path in (ROOT / folder).iterdir():
            if path.name == "__init__.py" or path.name.startswith(".") or path.is_dir():
                continue
            assert any(path.match(p) for p in patterns[package]), f"{path} is not installed"


def test_package_data_patterns_cover_the_action_pages_assets():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["advocacy.site"]
    assets = sorted((ROOT / "advocacy" / "site" / "assets").iterdir())
    assert {p.name for p in assets} == {"page.html.j2", "page.js", "page.css", "print.css"}
    for path in assets:
        relative = path.relative_to(ROOT / "advocacy" / "site")
        assert any(relative.match(p) for p in patterns), f"{path} is not installed"
