"""The command line: help with examples everywhere, listings, exit codes, fast start."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from advocacy import __version__
from advocacy.cli import cli


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [p for p, _ in all_commands(cli)], ids=" ".join)
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    command = dict(all_commands(cli))[path]
    if not isinstance(command, click.Group):
        assert "Example" in result.output, f"{' '.join(path)} --help has no example"


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_python_dash_m_and_no_heavy_imports():
    code = (
        "import sys, runpy; sys.argv=['advocacy', 'cities', '--json'];\n"
        "try:\n runpy.run_module('advocacy', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "heavy = [m for m in ('weasyprint', 'docx', 'pypdf') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout)[0]["us_city"]
    assert "HEAVY []" in result.stderr


def test_cities_table_and_filter():
    result = CliRunner().invoke(cli, ["cities", "--status", "terminated"])
    assert result.exit_code == 0
    assert "Tallahassee" in result.output and "Chicago" not in result.output


def test_officials_for_a_city():
    result = CliRunner().invoke(cli, ["officials", "--city", "San José, CA", "--json"])
    data = json.loads(result.stdout)
    assert len(data) == 11 and data[0]["role"] == "mayor"
    result = CliRunner().invoke(cli, ["officials", "--city", "Tallahassee"])
    assert "[TERM ENDED 2026-11-16]" in result.output


def test_quotes_listing():
    result = CliRunner().invoke(cli, ["quotes", "--json"])
    assert result.exit_code == 0 and len(json.loads(result.stdout)) >= 8


@pytest.mark.parametrize(
    ("query", "code", "needle"),
    [("Portland", 2, "Portland, ME; Portland, OR"), ("Sna Jose", 2, "San Jose, CA")],
)
def test_city_errors_exit_2_with_candidates(query, code, needle):
    result = CliRunner().invoke(cli, ["officials", "--city", query])
    assert result.exit_code == code
    assert needle in result.output and "Traceback" not in result.output
