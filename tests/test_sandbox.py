"""Trying to break out: user templates run in the sandbox, and the PDF fetches nothing outside
the template folders. Each attempt fails with one line naming the template and line, and
nothing is written for that template."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from advocacy.cli import cli
from advocacy.compose import compose_letter
from advocacy.dataset import load_dataset
from advocacy.exceptions import TemplateFailed
from advocacy.models import Sender
from advocacy.templating import builtin_dir, make_environment, read_meta

BREAKOUTS = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__['os'] }}",
    "{{ lipsum.__globals__ }}",
    "{{ official.__dict__ }}",
    "{{ official.__class__.__init__.__globals__ }}",
    "{{ quote.__globals__ }}",
    "{{ range.__self__ }}",
    "{{ config }}",
    "{{ self._TemplateReference__context }}",
    "{{ sender.name.format.__self__.__class__ }}",
    "{{ '{0.__class__}'.format(official) }}",
    "{{ official.name.__len__() }}",
    "{% set x = dict.__base__.__subclasses__() %}{{ x }}",
    "{{ namespace.__init__.__globals__ }}",
]


def evil_template(folder: Path, expression: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mayor.j2"
    path.write_text(
        '{% extends "builtin:mayor.j2" %}\n{% block ask %}\nHello\n'
        + expression
        + "\n{% endblock %}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("expression", BREAKOUTS)
def test_compose_refuses(tmp_path: Path, expression: str) -> None:
    path = evil_template(tmp_path / "templates", expression)
    data = load_dataset()
    city = data.find_city("San Jose, CA")
    [mayor] = data.officials_of(city, "mayor")
    environment = make_environment([tmp_path / "templates", builtin_dir()])
    with pytest.raises(TemplateFailed) as caught:
        compose_letter(
            environment,
            read_meta(path, "user"),
            mayor,
            city,
            Sender(),
            dt.date(2026, 1, 5),
            data.quotes,
        )
    message = str(caught.value)
    assert message.startswith(f"{path}:4: "), message
    assert "\n" not in message
    assert "blocked by the sandbox" in message or "undefined" in message


@pytest.mark.parametrize("expression", BREAKOUTS)
def test_letter_command_writes_nothing_for_that_template(tmp_path: Path, expression: str) -> None:
    evil_template(tmp_path / "templates", expression)
    result = CliRunner().invoke(
        cli, ["letter", "--city", "San Jose", "--to", "mayor", "--format", "txt,eml,mailto"]
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert f"templates{'/'}mayor.j2:4: " in errors[0]
    written = sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written == ["index.html", "manifest.json"]  # no letter, only the city's report


@pytest.mark.parametrize("expression", BREAKOUTS[:4])
def test_check_reports_the_breakout(tmp_path: Path, expression: str) -> None:
    evil_template(tmp_path / "templates", expression)
    result = CliRunner().invoke(cli, ["templates", "check", "mayor", "--city", "San Jose"])
    assert result.exit_code == 1
    assert "templates/mayor.j2:4: error: blocked by the sandbox: " in result.output
    assert not (tmp_path / "out").exists()


def test_data_is_never_compiled(tmp_path: Path) -> None:
    """A contact file holding template code prints it literally."""
    contacts = tmp_path / "council.csv"
    contacts.write_text(
        "name,role,city,state,email\n"
        "\"{{ ''.__class__.__mro__ }}\",mayor,San Jose,CA,mayor@example.org\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli,
        ["--contacts", str(contacts), "letter", "--city", "San Jose", "--format", "txt"],
    )
    assert result.exit_code == 0, result.output
    [letter] = (tmp_path / "out").rglob("*.txt")
    assert "{{ ''.__class__.__mro__ }}" in letter.read_text(encoding="utf-8")


# -- the PDF fetches nothing outside the template folders --------------------------------------

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f0d6b60000000049454e44ae426082"
)


def test_user_layout_cannot_fetch_outside_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workspace letter.html.j2 may use images from templates/ and nothing else."""
    import weasyprint.urls

    from advocacy.formats import Style
    from advocacy.formats.pdf import Renderer
    from advocacy.generate import LetterFactory, plan_city

    user = tmp_path / "templates"
    user.mkdir()
    (user / "logo.png").write_bytes(PNG)
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "outside.png").write_bytes(PNG)
    (user / "link.png").symlink_to(secret / "outside.png")  # a symlink out of the folder
    (user / "letter.html.j2").write_text(
        """<!DOCTYPE html>
<html><head>
<link rel="stylesheet" href="http://127.0.0.1:9/x.css">
<link rel="stylesheet" href="file:///etc/passwd">
</head><body>
<p>{{ letter.subject }}</p>
<img src="logo.png">
<img src="../secret/outside.png">
<img src="link.png">
<img src="file:///etc/passwd">
<img src="https://example.org/pixel.png">
<img src="{{ letterhead.logo }}">
</body></html>
""",
        encoding="utf-8",
    )
    fetched: list[str] = []
    real_fetch = weasyprint.urls.URLFetcher.fetch

    def recording_fetch(self, url, headers=None):  # type: ignore[no-untyped-def]
        fetched.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(weasyprint.urls.URLFetcher, "fetch", recording_fetch)
    folders = [user, builtin_dir()]
    data = load_dataset()
    city = data.find_city("San Jose, CA")
    [job], _ = plan_city(data, city, folders, to="mayor")
    factory = LetterFactory(folders, ["pdf"], Sender(), dt.date(2026, 1, 5), data.quotes)
    letter = factory.compose(job)
    style = Style(
        template_folders=tuple(folders),
        letterhead={"logo": (secret / "outside.png").as_uri()},  # [style] logo outside
    )
    renderer = Renderer(style)
    pdf = renderer.render(letter)

    assert pdf.startswith(b"%PDF-")
    assert fetched == [(user / "logo.png").resolve().as_uri()]
    refused = "\n".join(renderer.refused)
    for url in (
        "http://127.0.0.1:9/x.css",
        "file:///etc/passwd",
        "secret/outside.png",
        "link.png",
        "https://example.org/pixel.png",
    ):
        assert url in refused, url


def test_user_layout_runs_in_the_sandbox(tmp_path: Path) -> None:
    from advocacy.formats import Style
    from advocacy.formats.html import render_html
    from advocacy.generate import LetterFactory, plan_city

    user = tmp_path / "templates"
    user.mkdir()
    (user / "letter.html.j2").write_text(
        "<html>\n<body>\n{{ letter.__class__.__mro__ }}\n</body></html>\n", encoding="utf-8"
    )
    folders = [user, builtin_dir()]
    data = load_dataset()
    [job], _ = plan_city(data, data.find_city("San Jose, CA"), folders, to="mayor")
    factory = LetterFactory(folders, ["txt"], Sender(), dt.date(2026, 1, 5), data.quotes)
    with pytest.raises(TemplateFailed) as caught:
        render_html(factory.compose(job), Style(tuple(folders)))
    assert "letter.html.j2:3" in str(caught.value)
    assert "sandbox" in str(caught.value)


@pytest.mark.parametrize("html", [False, True])
def test_attribute_lookups_on_dicts_match_jinjas_sandbox(tmp_path: Path, html: bool) -> None:
    """``row.name`` on a plain dict has a fast path: it must give what Jinja's own sandbox
    gives, for keys, for keys named like dict methods, for missing keys and for dunders."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    row = {"name": "Olena", "items": "not the method", "get": 3, "__class__": "x", "n": None}
    expressions = [
        "row.name", "row.n", "row.items is callable", "row.get('name')", "row['items']",
        "row.missing is defined", "row.__class__ is defined", "row.keys()|list|length",
        "row.mro is defined",
    ]  # fmt: skip
    ours = make_environment([tmp_path], html=html)
    theirs = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=html)
    for expression in expressions:
        source = "{{ (" + expression + ")|string }}"
        expected = theirs.from_string(source).render(row=row)
        assert ours.from_string(source).render(row=row) == expected, expression
    with pytest.raises(jinja2.UndefinedError):
        ours.from_string("{{ row.missing }}").render(row=row)
