"""`advocacy templates list/show/copy/check`, and the new user's session from init to letters."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from advocacy.cli import cli
from advocacy.templating import builtin_dir

SENDER = """
[sender]
name = "Jane Doe"
address = ["123 Main St", "San Jose, CA 95112"]
email = "jane.doe@example.org"
"""
NEW_ASK = (
    "I ask you to put a resolution ending the tie with {{ tie.russian_city }} on the agenda "
    "of the next City Council meeting."
)


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_new_user_session(tmp_path: Path) -> None:
    """init, override the ask of the mayor letter, check, write the letter."""
    result = run("init")
    assert result.exit_code == 0, result.output
    config = tmp_path / "advocacy.toml"
    config.write_text(config.read_text(encoding="utf-8") + SENDER, encoding="utf-8")

    result = run("templates", "copy", "mayor", "--block", "ask")
    assert result.exit_code == 0, result.output
    assert result.output == "copied block(s) ask of built-in mayor.j2 to templates/mayor.j2\n"
    mayor = tmp_path / "templates" / "mayor.j2"
    text = mayor.read_text(encoding="utf-8")
    start = text.index("{% block ask %}") + len("{% block ask %}")
    end = text.index("{% endblock %}", start)
    mayor.write_text(text[:start] + "\n" + NEW_ASK + "\n" + text[end:], encoding="utf-8")

    listing = run("templates", "list")
    assert listing.exit_code == 0
    row = next(line for line in listing.output.splitlines() if line.startswith("mayor "))
    assert "user (overrides built-in): templates/mayor.j2" in row

    check = run("templates", "check", "mayor")
    assert check.exit_code == 0, check.output
    assert "templates/mayor.j2, overrides the built-in:" in check.output
    assert ": error:" not in check.output and ": warning:" not in check.output

    letter = run("letter", "--city", "San Jose", "--to", "mayor", "--format", "txt")
    assert letter.exit_code == 0, letter.output
    txt = (tmp_path / "out" / "san-jose-ca" / "matt-mahan.txt").read_text(encoding="utf-8")
    flat = " ".join(txt.split())
    assert "I ask you to put a resolution ending the tie with Yekaterinburg on the agenda" in flat
    assert "I ask you to end the sister-city relationship" not in flat  # the built-in ask
    assert "He named our city" in flat  # the rest of the built-in letter is inherited
    assert "Jane Doe" in txt and "[Your name]" not in txt


def test_list_json_and_origins(tmp_path: Path) -> None:
    write(tmp_path / "templates" / "mayor.j2", '{% extends "builtin:mayor.j2" %}\n')
    write(
        tmp_path / "mine" / "rally.j2",
        """
        {#- meta
        description: Rally invitation
        audience: council_member
        -#}
        {% extends "builtin:council.j2" %}
        """,
    )
    result = run("templates", "list", "--json", "--templates", "mine")
    assert result.exit_code == 0, result.output
    found = {t["name"]: t for t in json.loads(result.output)}
    assert found["rally"]["origin"] == "user"
    assert found["rally"]["audience"] == "council_member"
    assert found["mayor"]["origin"] == "user (overrides built-in)"
    assert found["council"]["origin"] == "built-in"
    assert found["public-comment"]["kind"] == "public-comment"
    assert found["public-comment"]["max_minutes"] == 2
    assert found["thank-you"]["tie_statuses"] == ["suspended", "terminated"]
    assert {"petition", "public-comment", "thank-you"} <= set(found)


def test_one_broken_template_does_not_hide_the_others(tmp_path: Path) -> None:
    write(tmp_path / "templates" / "broken.j2", "{#- meta\naudience: [mayor\n-#}\nHello\n")
    result = run("templates", "list", "--json")
    assert result.exit_code == 1
    assert {"mayor", "council"} <= {t["name"] for t in json.loads(result.stdout)}
    error = result.stderr.strip()
    assert error.startswith("Error: ") and "templates/broken.j2:3: invalid metadata" in error
    assert "\n" not in error  # one line, not PyYAML's five
    ok = run("letter", "--city", "Chicago", "--format", "txt", "--out", "out")
    assert ok.exit_code == 0, ok.output
    failed = run("letter", "--city", "Chicago", "--template", "broken", "--out", "out")
    assert failed.exit_code != 0 and "broken.j2:3: invalid metadata" in failed.output


def test_show(tmp_path: Path) -> None:
    write(tmp_path / "templates" / "mayor.j2", "mine\n")
    assert run("templates", "show", "mayor").output == "mine\n"
    builtin = (builtin_dir() / "mayor.j2").read_text(encoding="utf-8")
    assert run("templates", "show", "builtin:mayor").output == builtin
    assert run("templates", "show", "_campaign.j2").exit_code == 0
    assert "@page" in run("templates", "show", "letter.css").output
    missing = run("templates", "show", "mayr")
    assert missing.exit_code == 2
    assert "did you mean 'mayor'" in missing.output


def test_copy_refuses_then_force(tmp_path: Path) -> None:
    assert run("templates", "copy", "council").exit_code == 0
    copied = tmp_path / "templates" / "council.j2"
    copied.write_text("edited")
    again = run("templates", "copy", "council")
    assert again.exit_code == 1 and "--force" in again.output
    assert copied.read_text() == "edited"
    assert run("templates", "copy", "council", "--force").exit_code == 0
    assert copied.read_text() == (builtin_dir() / "council.j2").read_text()
    other = run("templates", "copy", "mayor", "drafts/short.j2")
    assert other.exit_code == 0 and (tmp_path / "drafts" / "short.j2").is_file()


def test_check_all_builtins_is_clean_with_a_sender(tmp_path: Path) -> None:
    write(tmp_path / "advocacy.toml", SENDER)
    result = run("templates", "check", "--meeting-date", "2026-02-10")
    assert result.exit_code == 0, result.output
    assert ": error:" not in result.output
    # without --signers the petition says so
    assert "builtin:petition.j2: warning: placeholder [number of signers]" in result.output
    assert "5 template(s) checked, 0 error(s), 1 warning(s)" in result.output


def test_check_warns_about_the_missing_sender_once(tmp_path: Path) -> None:
    result = run("templates", "check", "mayor", "council", "--city", "San Jose")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if ": warning:" in line]
    assert lines == [
        "--sender: warning: no sender: every letter carries the placeholders [Your name], "
        "[Your street address], [City, State ZIP]: set [sender] in advocacy.toml or pass "
        "--sender FILE"
    ]


def test_check_reports_errors_with_file_and_line(tmp_path: Path) -> None:
    write(tmp_path / "advocacy.toml", SENDER)
    write(
        tmp_path / "templates" / "undefined.j2",
        """
        {% extends "builtin:mayor.j2" %}
        {% block ask %}
        Please {{ sender.nickname }}.
        {% endblock %}
        """,
    )
    write(
        tmp_path / "templates" / "syntax.j2",
        """
        {% extends "builtin:mayor.j2" %}
        {% block ask %}
        {% if tie.status %}
        {% endblock %}
        """,
    )
    write(
        tmp_path / "templates" / "placeholder.j2",
        """
        {#- meta
        audience: mayor
        -#}
        {% extends "builtin:mayor.j2" %}
        {% block ask %}
        I ask you to [describe the ask here].
        {% endblock %}
        """,
    )
    write(
        tmp_path / "templates" / "meta.j2",
        """
        {#- meta
        audience: mayors
        -#}
        {% extends "builtin:mayor.j2" %}
        """,
    )
    result = run("templates", "check", "--city", "San Jose, CA")
    assert result.exit_code == 1
    out = result.output
    assert "templates/undefined.j2:3: error: undefined variable:" in out
    assert "nickname" in out
    assert "templates/syntax.j2:4: error: syntax error: " in out
    assert (
        "templates/placeholder.j2:6: error: placeholder [describe the ask here] would be sent "
        "as written (letter to Matt Mahan, San Jose, CA)"
    ) in out
    assert "templates/meta.j2:2: error: audience: 'mayors' is unknown" in out
    assert "builtin:mayor.j2" in out  # the built-ins are checked too, and pass
    assert "Traceback" not in out

    data = json.loads(run("templates", "check", "undefined", "--json").output)
    assert data["errors"] == 1
    [report] = data["reports"]
    assert report["name"] == "undefined" and report["failed"] > 0
    assert report["problems"][0]["line"] == 3


def test_check_a_template_that_extends_itself(tmp_path: Path) -> None:
    write(
        tmp_path / "templates" / "mayor.j2",
        """
        {% extends "mayor.j2" %}
        {% block ask %}Mine.{% endblock %}
        """,
    )
    result = run("templates", "check", "mayor")
    assert result.exit_code == 1
    assert (
        'templates/mayor.j2:1: error: {% extends "mayor.j2" %} leads back to this file (a loop): '
        'to extend the built-in template write {% extends "builtin:mayor.j2" %}'
    ) in result.output
    letter = run("letter", "--city", "San Jose", "--to", "mayor", "--format", "txt")
    assert letter.exit_code == 1
    assert "extend or include each other in a loop" in letter.output
    assert "Traceback" not in letter.output


def test_check_a_path_outside_the_search_path(tmp_path: Path) -> None:
    path = write(
        tmp_path / "drafts" / "rally.j2",
        """
        {#- meta
        audience: council_member
        -#}
        {% extends "builtin:council.j2" %}
        {% block ask %}Come to the rally {{ when }}.{% endblock %}
        """,
    )
    result = run("templates", "check", str(path), "--city", "San Jose")
    assert result.exit_code == 1
    assert "drafts/rally.j2:5: error: undefined variable: 'when' is undefined (" in result.output


def test_check_mailto_over_the_limit_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path / "advocacy.toml", SENDER)
    long = "This sentence makes the email link longer than a browser accepts. " * 40
    write(
        tmp_path / "templates" / "long.j2",
        f"""
        {{#- meta
        audience: mayor
        -#}}
        {{% extends "builtin:mayor.j2" %}}
        {{% block short_ask %}}{long}{{% endblock %}}
        """,
    )
    result = run("templates", "check", "long", "--city", "San Jose")
    assert result.exit_code == 0, result.output
    assert "templates/long.j2: warning: mailto body over 1800 characters in 1 letter(s)" in (
        result.output
    )


def test_defaults_from_the_workspace_config(tmp_path: Path) -> None:
    write(tmp_path / "advocacy.toml", '[defaults]\ntemplates = "campaign-templates"\n')
    write(tmp_path / "campaign-templates" / "rally.j2", '{% extends "builtin:council.j2" %}\n')
    result = run("templates", "list")
    assert result.exit_code == 0, result.output
    assert "campaign-templates/rally.j2" in result.output
    assert "rally" in run("templates", "check", "rally", "--city", "San Jose").output
