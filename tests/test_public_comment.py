"""The public-comment, thank-you and petition templates, and reading time."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from advocacy.cli import cli
from advocacy.dataset import load_dataset
from advocacy.generate import LetterFactory, plan_city
from advocacy.models import Sender
from advocacy.reading import Reading, minutes, reading_of
from advocacy.templating import builtin_dir, find_template

SENDER = '[sender]\nname = "Jane Doe"\naddress = ["123 Main St", "San Jose, CA 95112"]\n'


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def out_text(tmp_path: Path, city: str, stem: str) -> str:
    text = (tmp_path / "out" / city / f"{stem}.txt").read_text(encoding="utf-8")
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("words", "seconds", "shown", "over"),
    [(0, 0, "0:00", False), (150, 60, "1:00", False), (300, 120, "2:00", False),
     (301, 120, "2:00", True), (245, 98, "1:38", False)],
)  # fmt: skip
def test_reading_time(words: int, seconds: int, shown: str, over: bool) -> None:
    reading = Reading(words, 150, 2)
    assert reading.seconds == seconds and minutes(reading.seconds) == shown
    assert reading.over is over
    assert reading.max_words == 300
    assert reading.describe() == (
        f"{words} words, about {shown} at 150 words a minute (limit 2:00)"
    )


def test_public_comment_metadata() -> None:
    info = find_template([builtin_dir()], "public-comment")
    assert (info.kind, info.max_minutes, info.words_per_minute) == ("public-comment", 2.0, 150)
    assert info.audience == "mayor"


def test_public_comment_letter_reports_its_reading_time(tmp_path: Path) -> None:
    (tmp_path / "advocacy.toml").write_text(SENDER, encoding="utf-8")
    result = run(
        "letter", "--city", "San Jose", "--to", "mayor", "--template", "public-comment",
        "--meeting-date", "2026-02-10", "--agenda-item", "4.2", "--format", "txt",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "public comment of" in x)
    assert line.startswith("Matt Mahan: public comment of ")
    assert line.endswith("words a minute (limit 2:00)")
    text = out_text(tmp_path, "san-jose-ca", "matt-mahan")
    assert (
        "Re: Public comment on agenda item 4.2, San Jose City Council meeting of "
        "February 10, 2026" in text
    )
    assert "Honorable Mayor Mahan and Members of the Council," in text
    assert "My name is Jane Doe" in text and "I am speaking on item 4.2" in text
    words = int(line.split("public comment of ")[1].split()[0])
    assert 100 < words <= 300


def test_every_builtin_public_comment_fits_in_two_minutes() -> None:
    data = load_dataset()
    folders = [builtin_dir()]
    info = find_template(folders, "public-comment")
    extras = {"meeting_date": "2026-02-10", "agenda_item": "4.2", "petition": None}
    factory = LetterFactory(folders, [], Sender(), dt.date(2026, 1, 5), data.quotes, extras)
    readings = []
    for city in data.cities():
        jobs, _ = plan_city(data, city, folders, to="mayor", template_name="public-comment")
        readings += [reading_of(factory.compose(job), info) for job in jobs]
    assert len(readings) > 10
    assert max(r.words for r in readings) <= 300


def test_over_the_time_limit_warns_and_check_fails(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "public-comment.j2").write_text(
        textwrap.dedent(
            """\
            {#- meta
            audience: mayor
            kind: public-comment
            max_minutes: 0.5
            -#}
            {% extends "builtin:public-comment.j2" %}
            """
        ),
        encoding="utf-8",
    )
    args = ["--city", "San Jose", "--meeting-date", "2026-02-10"]
    letter = run("letter", "--to", "mayor", "--template", "public-comment", "--format", "txt",
                 *args)  # fmt: skip
    assert letter.exit_code == 0, letter.output
    assert "Warning: Matt Mahan: public comment of " in letter.output
    assert "(limit 0:30): too long to read in the time allowed; cut it to 75 words" in (
        letter.output
    )
    check = run("templates", "check", "public-comment", *args)
    assert check.exit_code == 1
    assert "templates/public-comment.j2: error: public comment over the time limit" in (
        check.output
    )
    data = json.loads(run("templates", "check", "public-comment", "--json", *args).output)
    reading = data["reports"][0]["reading"]
    assert reading["limit_seconds"] == 30 and reading["seconds"] > 30


# -- thank-you -------------------------------------------------------------------------------


def test_thank_you_only_for_suspended_or_ended_ties(tmp_path: Path) -> None:
    kept = run("letter", "--city", "San Jose", "--template", "thank-you", "--format", "txt")
    assert "is for ties that are suspended or terminated; this one is kept" in kept.output
    assert not list((tmp_path / "out").rglob("*.txt"))

    result = run("letter", "--city", "Chicago", "--to", "mayor", "--template", "thank-you",
                 "--format", "txt")  # fmt: skip
    assert result.exit_code == 0, result.output
    [path] = (tmp_path / "out").rglob("*.txt")
    text = " ".join(path.read_text(encoding="utf-8").split())
    chicago = load_dataset().find_city("Chicago").tie
    # only a decision of the city itself earns the city thanks for it
    if chicago.decided_by_city:
        assert "Re: Thank you for suspending Chicago’s tie with Moscow" in text
    else:
        assert "Re: Chicago’s tie with Moscow is suspended" in text
    assert "please make it permanent" in text
    assert "I ask you to make the suspension permanent" in text
    assert "adopting a Ukrainian city or region as a partner" in text


def test_thank_you_for_an_ended_tie() -> None:
    data = load_dataset()
    terminated = [c for c in data.cities() if c.tie.status == "terminated" and
                  data.officials_of(c)]  # fmt: skip
    assert terminated
    jobs, skipped = plan_city(
        data,
        terminated[0],
        [builtin_dir()],
        template_name="thank-you",
        date=dt.date(2026, 11, 13),  # Tallahassee's mayor leaves office on 2026-11-16
    )
    assert jobs and not [s for s in skipped if "ties that are" in s.reason]


# -- petition --------------------------------------------------------------------------------


def test_petition_with_signers(tmp_path: Path) -> None:
    signers = tmp_path / "signers.csv"
    signers.write_text(
        "name,city,comment\n"
        "Anna Ivanova,San Jose,Slava Ukraini\n"
        "anna ivanova,San José,again\n"
        "Bob Smith,95112,\n"
        'Олена Коваленко,"San Jose, CA",\n'
        ",San Jose,\n",
        encoding="utf-8",
    )
    result = run("letter", "--city", "San Jose", "--to", "mayor", "--template", "petition",
                 "--signers", str(signers), "--format", "txt,mailto")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{signers}:3: warning: duplicate of line 2" in result.output
    assert f"{signers}:6: error: missing name" in result.output
    text = out_text(tmp_path, "san-jose-ca", "matt-mahan")
    assert "Re: Petition: 3 signatures asking San Jose" in text
    assert "a petition signed by 3 people, 2 of them from San Jose" in text
    assert "SIGNATURES (3)" in text
    assert "- Anna Ivanova, San Jose: “Slava Ukraini” - Bob Smith, 95112 " in text
    assert "- Олена Коваленко, San Jose, CA" in text
    manifest = json.loads((tmp_path / "out" / "san-jose-ca" / "manifest.json").read_text())
    mailto = manifest["letters"][0]["mailto"]
    assert "signed%20by%203%20people%2C%202%20of%20them%20from%20San%20Jose" in mailto


def test_petition_without_signers_is_flagged_by_check(tmp_path: Path) -> None:
    result = run("templates", "check", "petition", "--city", "San Jose")
    assert result.exit_code == 0
    assert "builtin:petition.j2: warning: placeholder [number of signers] left in" in (
        result.output
    )
    assert "pass --signers FILE" in result.output
