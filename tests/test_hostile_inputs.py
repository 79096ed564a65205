"""Hostile and broken input files: bounded, one line naming file and line, the rest still read.

One test per kind of failure: files that are not files, files too big, YAML/JSON bombs,
values of the wrong type, text that passes checks and breaks later, CSV quotes left open,
template metadata. Where a regression would hurt the machine (memory, a hang), the case runs
in a child process under ``resource.setrlimit`` and a timeout.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from advocacy import inputs
from advocacy.cli import cli
from advocacy.contacts import load_contacts

TODAY = dt.date(2026, 11, 23)
HEADER = "name,role,city,state,district,email,address,source,as_of\n"
GOOD = "Matt Mahan,mayor,San Jose,CA,,mayor@sanjoseca.gov,,https://example.org,2026-01-01\n"


def load(path: Path):
    return load_contacts([path], today=TODAY)


def messages(result) -> list[str]:
    return [str(p) for p in result.problems]


def run_limited(code: str, tmp_path: Path, memory_mb: int = 1024, seconds: int = 60):
    """Run ``code`` in a child Python with its address space capped; return the process."""
    script = textwrap.dedent(
        f"""
        import resource
        limit = {memory_mb} * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        """
    ) + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=seconds,
        env={**os.environ, "HOME": str(tmp_path)},
    )


# -- files that are not files -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_only_regular_files_are_read(tmp_path, kind):
    (tmp_path / "mine").mkdir()
    path = tmp_path / "mine" / "contacts.csv"  # found in a folder given with --contacts
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    # a child process with a timeout: a FIFO used to block open() for good
    proc = run_limited(
        """
        from advocacy.contacts import load_contacts
        from pathlib import Path
        for p in load_contacts([Path("mine")]).problems:
            print(p)
        """,
        tmp_path,
        seconds=60,
    )
    assert proc.returncode == 0, proc.stderr
    expected = {"fifo": "a FIFO (named pipe)", "dev-zero": "a device"}[kind]
    assert f"mine/contacts.csv: error: cannot read file: it is {expected}" in proc.stdout


def test_signers_template_and_sender_must_be_regular_files(tmp_path):
    (tmp_path / "signers.csv").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "me.toml")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "mayor.j2").symlink_to("/dev/zero")
    runner = CliRunner()
    result = runner.invoke(
        cli, ["letter", "--city", "San Jose", "--template", "petition", "--signers", "signers.csv"]
    )
    assert result.exit_code == 1
    assert "signers.csv: cannot read signers file: it is a device" in result.output
    result = runner.invoke(cli, ["letter", "--city", "San Jose", "--sender", "me.toml"])
    assert result.exit_code == 1
    assert "me.toml: cannot read sender file: it is a FIFO" in result.output
    result = runner.invoke(cli, ["letter", "--city", "San Jose", "--to", "mayor"])
    assert result.exit_code == 1
    assert "templates/mayor.j2: cannot read template: it is a device" in result.output
    assert "Traceback" not in result.output


def test_file_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr("advocacy.contacts.MAX_DATA_BYTES", 1000)
    path = tmp_path / "c.csv"
    path.write_text(HEADER + GOOD * 20, encoding="utf-8")
    size = path.stat().st_size
    result = load(path)
    assert result.officials == []
    assert messages(result) == [f"{path}: error: file is {size:,} bytes; the limit is 1,000 bytes"]


# -- YAML and JSON bombs ------------------------------------------------------------------------


def test_yaml_alias_bomb_is_refused_fast_and_small(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    lines.append("officials:\n  - {name: *a9, role: mayor, city: San Jose, state: CA}")
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_limited(
        """
        from advocacy.cli import cli
        cli(["contacts", "check", "bomb.yaml"], prog_name="advocacy")
        """,
        tmp_path,
        memory_mb=1024,
        seconds=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert "bomb.yaml:9: error: more than 64 YAML aliases (*name); write the values out" in (
        proc.stdout
    )
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("deep.yaml", "officials:\n" + "- " * 500 + "x\n", 2),
        ("deep.json", '{"officials":\n' + "[" * 100_000 + "]" * 100_000 + "}", 2),
    ],
)
def test_deep_nesting_is_refused_with_its_line(tmp_path, name, text, line):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = load(path)
    assert messages(result) == [f"{path}:{line}: error: nested more than 16 levels deep"]


# -- values of the wrong type ---------------------------------------------------------------


def test_wrong_values_and_types_in_yaml_are_one_line_each(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            - name: Impossible Date
              role: mayor
              city: San Jose
              state: CA
              as_of: 2024-02-30
            - name: [a, list]
              role: mayor
              city: Albany
              state: NY
            - name: Good Address
              role: mayor
              city: Chicago
              state: IL
              address: [121 N LaSalle St, "Chicago, IL 60602"]
              as_of: 2026-01-01
            """
        ),
        encoding="utf-8",
    )
    result = load(path)
    assert [str(p) for p in result.errors] == [
        f"{path}:1: error: as_of '2024-02-30' is not a date (use YYYY-MM-DD)",
        f"{path}:6: error: name: expected text, found a list",
    ]
    (official,) = result.officials
    assert official.address == "121 N LaSalle St\nChicago, IL 60602"
    assert official.as_of == "2026-01-01"


# -- text checked where it enters -------------------------------------------------------------


def test_control_bidi_and_invisible_text_rejected_with_the_row(tmp_path):
    rows = [
        "Nul\x00Name,mayor,Albany,NY,,,,,\n",
        "Esc\x1b[31mName,mayor,Chicago,IL,,,,,\n",
        "\u202eevil,mayor,Tulsa,OK,,,,,\n",
        "\u200b\u200d,mayor,Dallas,TX,,,,,\n",
        GOOD,
    ]
    path = tmp_path / "c.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    result = load(path)
    assert [o.name for o in result.officials] == ["Matt Mahan"]
    found = messages(result)
    assert (
        f"{path}:2: error: name: contains the control character U+0000 at position 4" in (found[0])
    )
    assert f"{path}:3: error: name: contains the control character U+001B" in found[1]
    assert f"{path}:4: error: name: contains a bidirectional control (U+202E" in found[2]
    assert f"{path}:5: error: name: holds only invisible characters" in found[3]
    # the same checks for YAML and JSON values
    yaml_path = tmp_path / "c.yaml"
    yaml_path.write_text(
        '- {name: "A\\eB", role: mayor, city: San Jose, state: CA}\n', encoding="utf-8"
    )
    assert "name: contains the control character U+001B" in messages(load(yaml_path))[0]


def test_unicode_district_does_not_crash_listing_or_letters(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        HEADER
        + GOOD
        + "Ann Super,council_member,San Jose,CA,²,ann@example.org,,,\n"
        + "Bo Ten,council_member,San Jose,CA,10,bo@example.org,,,\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["--contacts", str(path), "officials", "--city", "San Jose"])
    assert result.exit_code == 0, result.output
    names = [line.split("  ")[1] for line in result.output.splitlines()[2:5]]
    assert names == ["Matt Mahan", "Bo Ten", "Ann Super"]  # "²" sorts after every number
    result = runner.invoke(
        cli, ["--contacts", str(path), "letter", "--city", "San Jose", "--format", "txt"]
    )
    assert result.exit_code == 0, result.output
    assert "District ²" in (tmp_path / "out/san-jose-ca/ann-super.txt").read_text()


# -- CSV quoting ---------------------------------------------------------------------------


def test_unclosed_quote_is_reported_where_it_opens_and_later_rows_are_read(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        HEADER
        + 'Open Quote,mayor,"San Jose,CA,,,,,\n'
        + "Ann Arbor,mayor,Albany,NY,,ann@example.org,,,\n"
        + "Bo Ten,mayor,Chicago,IL,,bo@example.org,,,\n",
        encoding="utf-8",
    )
    result = load(path)
    assert [o.name for o in result.officials] == ["Ann Arbor", "Bo Ten"]
    assert messages(result) == [
        f'{path}:2: error: a quote (") opens here and is not closed: lines 2-4 were read as one '
        'value; close it (a quote inside a value is written "")'
    ]


def test_quoted_multiline_values_are_still_fine(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        HEADER + 'Matt Mahan,mayor,San Jose,CA,,m@example.org,"1 Main St, Suite 5, Floor 2\n'
        'San Jose, CA 95113",,\n' + "Bo Ten,mayor,Chicago,IL,,bo@example.org,,,\n",
        encoding="utf-8",
    )
    result = load(path)
    assert result.errors == []
    assert [o.name for o in result.officials] == ["Matt Mahan", "Bo Ten"]


# -- template metadata ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ("max_words: abc", "3: error: max_words: expected a whole number, found the text 'abc'"),
        ("max_minutes: -2", "3: error: max_minutes: expected a number from 1 to 100,000"),
        ("tie_status: [kept, gone]", "3: error: tie_status: 'gone' is unknown"),
        ("description: [a]", "3: error: description: expected text, found a list"),
        (
            "as_of: 2024-02-30\nmax_words: 10 10",
            "4: error: max_words: expected a whole number, found the text '10 10'",
        ),
    ],
)
def test_wrong_metadata_is_one_line_and_other_templates_still_work(tmp_path, meta, message):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "broken.j2").write_text(
        f'{{#- meta\ndescription: x\n{meta}\n-#}}\n{{% extends "builtin:mayor.j2" %}}\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["templates", "check", "broken"])
    assert result.exit_code == 1
    assert f"templates/broken.j2:{message}" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(cli, ["letter", "--city", "San Jose", "--to", "mayor", "-q"][:-1])
    assert result.exit_code == 0, result.output


def test_too_many_signers_is_refused_with_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr("advocacy.signers.MAX_SIGNERS", 3)
    path = tmp_path / "signers.csv"
    path.write_text("name,city\n" + "".join(f"P{i},San Jose\n" for i in range(5)))
    result = CliRunner().invoke(
        cli,
        ["letter", "--city", "San Jose", "--template", "petition", "--signers", str(path)],
    )
    assert result.exit_code == 1
    assert f"{path}: more than 3 signatures (line 5); a petition letter lists at most 3" in (
        result.output
    )


def test_text_problem_accepts_real_names():
    for name in ("Олена Коваленко", "José Núñez", "עמית כהן", "محمد\u200fعلي", "O'Brien-Smith"):
        assert inputs.text_problem(name) is None


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[defaults]\nout = 5\n", "2: [defaults] out: expected text, found the number 5"),
        ('[[sender]]\nname = "A"\n', "1: sender must be one table [sender], found [[sender]]"),
        ('[defaults]\njobs = "many"\n', "2: [defaults] jobs: expected a whole number of at least"),
        (
            '[sender]\nname = "A\\u001b[2J"\n',
            "2: sender name: contains the control character U+001B",
        ),  # noqa: E501
        ('[style]\nlogo = ["a"]\n', "2: [style] logo: expected text, found a list"),
    ],
)
def test_wrong_types_in_advocacy_toml_are_one_line_with_file_and_line(tmp_path, toml, message):
    (tmp_path / "advocacy.toml").write_text(toml, encoding="utf-8")
    result = CliRunner().invoke(cli, ["letter", "--city", "San Jose", "--format", "txt"])
    assert result.exit_code == 1
    assert f"{tmp_path / 'advocacy.toml'}:{message}" in result.output
    assert "Traceback" not in result.output


def test_wrong_types_in_a_sender_file(tmp_path):
    (tmp_path / "me.toml").write_text("name = 5\nzip = 95113\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["letter", "--city", "San Jose", "--sender", "me.toml"])
    assert result.exit_code == 1
    assert "me.toml:1: sender name: expected text, found the number 5" in result.output


def test_options_given_as_text_are_checked_too(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["letter", "--city", "San Jose", "--template", "public-comment", "--to", "mayor",
         "--agenda-item", "Item\x1b[2J 3"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--agenda-item" in result.output and "control character U+001B" in result.output


@given(
    st.text(
        alphabet=st.characters(codec="utf-8") | st.sampled_from("\x1b\x00\u202e\u200b\udc81 \t\n")
    )
)
def test_text_check_fast_path_agrees_with_the_character_rules(value: str) -> None:
    # the rules, one character at a time: what text_problem must find, fast path or not
    bad = any(
        ch in "\x7f"
        or "\x00" <= ch <= "\x08"
        or ch in "\x0b\x0c"
        or "\x0e" <= ch <= "\x1f"
        or "\x80" <= ch <= "\x9f"
        or "\u202a" <= ch <= "\u202e"
        or "\u2066" <= ch <= "\u2069"
        or "\udc80" <= ch <= "\udcff"
        for ch in value
    ) or inputs.is_invisible(value)
    assert (inputs.text_problem(value) is not None) == bad
