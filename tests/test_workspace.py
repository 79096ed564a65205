"""`advocacy init` and copying templates: a valid workspace, and nothing is ever overwritten."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from advocacy.cli import cli
from advocacy.config import load_config
from advocacy.contacts import COLUMNS, load_contacts
from advocacy.exceptions import ConfigError, LookupFailed, TemplateFailed
from advocacy.templating import builtin_dir
from advocacy.workspace import copy_template, find_block, init_workspace, locate_template

TODAY = dt.date(2026, 1, 5)


def test_init_creates_a_workspace(tmp_path: Path) -> None:
    result = init_workspace(tmp_path / "campaign", TODAY)
    folder = tmp_path / "campaign"
    assert sorted(p.relative_to(folder).as_posix() for p in result.created) == [
        ".gitignore",
        "advocacy.toml",
        "contacts/sample.csv",
        "templates/README.md",
    ]
    assert result.kept == []
    assert (folder / "out").is_dir()
    assert "out/" in (folder / ".gitignore").read_text().splitlines()
    readme = (folder / "templates" / "README.md").read_text(encoding="utf-8")
    assert readme == (builtin_dir() / "README.md").read_text(encoding="utf-8")
    assert 'extends "builtin:mayor.j2"' in readme


def test_config_is_valid_toml_that_config_understands(tmp_path: Path) -> None:
    init_workspace(tmp_path, TODAY)
    raw = tomllib.loads((tmp_path / "advocacy.toml").read_text(encoding="utf-8"))
    assert raw == {"defaults": {"out": "out"}}  # everything else is a commented example
    config = load_config(tmp_path)
    assert config.default_map()["letter"]["out"] == str(tmp_path / "out")
    assert config.sender is None
    assert config.contacts == []
    config.style([builtin_dir()])  # an empty [style] is fine


def test_every_commented_example_is_valid_when_uncommented(tmp_path: Path) -> None:
    """Uncommenting every setting gives TOML whose keys config.py knows."""
    init_workspace(tmp_path, TODAY)
    lines = []
    for line in (tmp_path / "advocacy.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("# ") and ("=" in line or line.startswith("# [")):
            line = line[2:]
        lines.append(line)
    raw = tomllib.loads("\n".join(lines))
    assert set(raw) == {"sender", "defaults", "style"}
    from advocacy.config import _DEFAULT_KEYS, SENDER_FIELDS, sender_from_mapping

    assert set(raw["defaults"]) - {"contacts"} <= set(_DEFAULT_KEYS)
    assert set(raw["sender"]) <= set(SENDER_FIELDS)
    assert set(raw["style"]) == {
        "stylesheet",
        "organisation",
        "tagline",
        "logo",
        "reference_docx",
    }
    sender = sender_from_mapping(raw["sender"], "advocacy.toml")
    assert sender.name == "Jane Doe" and len(sender.address_lines) == 2


def test_sample_contacts_load_without_problems(tmp_path: Path) -> None:
    init_workspace(tmp_path, TODAY)
    sample = tmp_path / "contacts" / "sample.csv"
    assert sample.read_text(encoding="utf-8").splitlines()[0] == ",".join(COLUMNS)
    loaded = load_contacts([sample], today=TODAY)
    assert loaded.problems == []
    assert [o.name for o in loaded.officials] == ["José Núñez", "Олена Коваленко"]
    assert loaded.officials[1].role == "council_member"
    result = CliRunner().invoke(cli, ["contacts", "check", str(sample)])
    assert result.exit_code == 0, result.output
    assert "2 officials loaded, 0 errors, 0 warnings" in result.output


def test_init_refuses_an_existing_workspace(tmp_path: Path) -> None:
    (tmp_path / "advocacy.toml").write_text("# mine\n")
    with pytest.raises(ConfigError, match="already a campaign workspace"):
        init_workspace(tmp_path, TODAY)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["advocacy.toml"]
    assert (tmp_path / "advocacy.toml").read_text() == "# mine\n"


def test_init_keeps_existing_files(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.pyc\n")
    (tmp_path / "contacts").mkdir()
    (tmp_path / "contacts" / "sample.csv").write_text("mine\n")
    result = init_workspace(tmp_path, TODAY)
    assert {p.name for p in result.kept} == {".gitignore", "sample.csv"}
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n"
    assert (tmp_path / "contacts" / "sample.csv").read_text() == "mine\n"
    assert (tmp_path / "advocacy.toml").is_file()


def test_init_command(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert "created advocacy.toml" in result.output
    assert "advocacy templates copy mayor --block ask" in result.output
    again = runner.invoke(cli, ["init"])
    assert again.exit_code == 1
    assert again.output.startswith("Error: ") and "already a campaign workspace" in again.output
    assert "Traceback" not in again.output
    other = runner.invoke(cli, ["init", "elsewhere"])
    assert other.exit_code == 0 and "cd elsewhere" in other.output
    assert (tmp_path / "elsewhere" / "advocacy.toml").is_file()


# -- copying templates -----------------------------------------------------------------------


def test_copy_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    copied = copy_template("mayor", folder)
    assert copied.destination == folder / "mayor.j2"
    assert copied.destination.read_text() == (builtin_dir() / "mayor.j2").read_text()
    copied.destination.write_text("edited")
    with pytest.raises(ConfigError, match="already exists"):
        copy_template("mayor", folder)
    assert copied.destination.read_text() == "edited"
    copy_template("mayor", folder, force=True)
    assert copied.destination.read_text() != "edited"


def test_copy_one_block_extends_the_builtin(tmp_path: Path) -> None:
    copied = copy_template("mayor", tmp_path / "templates/", blocks=("ask", "short_ask"))
    text = copied.destination.read_text(encoding="utf-8")
    assert text.startswith("{#- meta\n")
    assert "audience: mayor" in text
    assert '{% extends "builtin:mayor.j2" %}' in text
    assert text.count("{% block ") == 2
    assert "I ask you to end the sister-city relationship" in text


def test_find_block_in_parent_layout_and_nested(tmp_path: Path) -> None:
    mayor = builtin_dir() / "mayor.j2"
    closing = find_block(mayor, "thanks")  # defined in _campaign.j2
    assert "Thank you for your time" in closing
    body = find_block(mayor, "body")  # holds nested blocks
    assert "{% block opening %}" in body and "{% block thanks %}" in body
    assert body.rstrip().endswith("{% endblock %}")
    with pytest.raises(TemplateFailed, match="no block named 'asks'.*ask"):
        find_block(mayor, "asks")


def test_locate_template_names(tmp_path: Path) -> None:
    user = tmp_path / "templates"
    user.mkdir()
    (user / "mayor.j2").write_text("mine")
    folders = [user, builtin_dir()]
    assert locate_template(folders, "mayor") == user / "mayor.j2"
    assert locate_template(folders, "builtin:mayor") == builtin_dir() / "mayor.j2"
    assert locate_template(folders, "letter.css") == builtin_dir() / "letter.css"
    assert locate_template(folders, "_campaign.j2") == builtin_dir() / "_campaign.j2"
    for bad in ("../mayor.j2", "/etc/passwd", "builtin:../../x"):
        with pytest.raises(LookupFailed):
            locate_template(folders, bad)
    with pytest.raises(LookupFailed, match="did you mean 'mayor'"):
        locate_template(folders, "mayr")
