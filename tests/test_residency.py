"""A letter claims residency, a district or "our city" only when it is true of its sender."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from advocacy.claims import residency_claims
from advocacy.cli import cli
from advocacy.compose import compose_letter
from advocacy.config import sender_from_mapping
from advocacy.dataset import City, load_dataset
from advocacy.exceptions import ConfigError
from advocacy.formats.text import letter_text
from advocacy.models import TIE_STATUSES, Official, Sender
from advocacy.residency import (
    Place,
    district_key,
    district_label,
    is_at_large,
    is_constituent,
    is_resident,
    parse_city_line,
    place_of,
)
from advocacy.templating import builtin_dir, find_template, make_environment

DATE = dt.date(2026, 11, 23)
RESIDENT = Sender(
    name="Olena Kovalenko",
    address_lines=("1 Market St", "San José, CA 95113"),
    email="olena@example.org",
    district="District 3",
)
NON_RESIDENT = Sender(
    name="Olena Kovalenko",
    address_lines=("100 Congress Ave", "Austin, TX 78701"),
    email="olena@example.org",
    district="District 3",
)
ORGANISATION = dataclasses.replace(NON_RESIDENT, organisation="Texas Friends of Ukraine")
NO_ADDRESS = Sender(name="Olena Kovalenko", email="olena@example.org", district="District 3")
SENDERS = {
    "resident": RESIDENT,
    "non-resident": NON_RESIDENT,
    "organisation": ORGANISATION,
    "no-address": NO_ADDRESS,
}
TEMPLATES = {
    "mayor": ("mayor",),
    "council": ("council_member",),
    "thank-you": ("mayor", "council_member"),
    "public-comment": ("mayor",),
    "petition": ("mayor", "council_member"),
}


def official(role: str = "council_member", district: str | None = "3", **kw) -> Official:
    return Official(
        name="Ann Example", role=role, city="San Jose", state="CA", district=district, **kw
    )


# -- where the sender lives ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("San José, CA 95113", Place("San José", "CA", "95113")),
        ("Portland, Oregon 97204-1234", Place("Portland", "OR", "97204-1234")),
        ("New York NY 10007", Place("New York", "NY", "10007")),
        ("St. Louis, MO", Place("St. Louis", "MO", "")),
        ("Winston-Salem, North Carolina 27101", Place("Winston-Salem", "NC", "27101")),
        ("1 Market St", None),
        ("Apt 5", None),
        ("Suite B", None),
        ("", None),
    ],
)
def test_parse_city_line(line, expected):
    assert parse_city_line(line) == expected


def test_place_from_fields_wins_over_the_address():
    sender = dataclasses.replace(RESIDENT, city="Chicago", state="Illinois", zip="60602")
    assert place_of(sender) == Place("Chicago", "IL", "60602")
    assert place_of(Sender(city="San Jose, CA 95113")) == Place("San Jose", "CA", "95113")
    assert place_of(Sender(city="San Jose")) is None  # no state: which San Jose?
    assert place_of(dataclasses.replace(RESIDENT, state="TX")) is None  # fields disagree
    assert place_of(NO_ADDRESS) is None


def test_city_names_compare_normalised_and_with_the_state():
    assert is_resident(RESIDENT, official())  # "San José" == "San Jose"
    assert not is_resident(NON_RESIDENT, official())
    maine = Sender(address_lines=("1 Congress St", "Portland, ME 04101"))
    oregon = Official(name="Keith Wilson", role="mayor", city="Portland", state="OR")
    assert not is_resident(maine, oregon)


@pytest.mark.parametrize(
    ("text", "key", "label"),
    [
        ("District 3", "3", "District 3"),
        ("3", "3", "District 3"),
        ("district 03", "3", "District 3"),
        ("Ward 3", "3", "Ward 3"),
        ("Council District 3", "3", "District 3"),
        ("District District 2", "2", "District 2"),
        ("Willow Glen", "willow glen", "Willow Glen"),
        ("At-large", "at large", "At-large"),
        ("", "", ""),
        (None, "", ""),
    ],
)
def test_district_key_and_label(text, key, label):
    assert district_key(text) == key
    assert district_label(text) == label


def test_constituent_of_the_mayor_an_at_large_member_and_their_district():
    assert is_constituent(RESIDENT, official("mayor", None))
    assert is_constituent(RESIDENT, official(district="3"))
    assert is_constituent(RESIDENT, official(district="District 3"))
    assert not is_constituent(RESIDENT, official(district="4"))
    assert is_constituent(RESIDENT, official(district=None))  # at large
    assert is_constituent(RESIDENT, official(district="At-large Position 8"))
    assert is_at_large(official(district="Citywide"))
    assert not is_constituent(dataclasses.replace(RESIDENT, district=None), official())
    assert not is_constituent(NON_RESIDENT, official("mayor", None))
    assert not is_constituent(NON_RESIDENT, official(district=None))


def test_sender_file_takes_city_state_zip(tmp_path):
    sender = sender_from_mapping(
        {
            "name": "A",
            "address": ["1 Main St"],
            "city": "Tacoma",
            "state": "Washington",
            "zip": 98402,
        },
        "me.toml",
    )
    assert (sender.city, sender.state, sender.zip) == ("Tacoma", "WA", "98402")
    with pytest.raises(ConfigError, match="me.toml: sender state 'Narnia' is not a US state"):
        sender_from_mapping({"name": "A", "state": "Narnia"}, "me.toml")


# -- every built-in template, every tie status, every kind of sender ---------------------------


@pytest.fixture(scope="module")
def san_jose() -> tuple[City, dict[str, Official], list]:
    data = load_dataset()
    city = data.find_city("San Jose, CA")
    officials = {o.role: o for o in data.officials_of(city) if o.district in (None, "3")}
    return city, officials, data.quotes


CASES = [
    (template, role, status, kind)
    for template, roles in TEMPLATES.items()
    for role in roles
    for status in TIE_STATUSES
    for kind in SENDERS
]


@pytest.mark.parametrize(("template", "role", "status", "kind"), CASES)
def test_builtin_letters_claim_only_what_is_true(san_jose, template, role, status, kind):
    city, officials, quotes = san_jose
    city = dataclasses.replace(
        city, ties=tuple(dataclasses.replace(t, status=status) for t in city.ties)
    )
    folders = [builtin_dir()]
    info = find_template(folders, template)
    extras = {"meeting_date": None, "agenda_item": None, "petition": None}
    letter = compose_letter(
        make_environment(folders), info, officials[role], city, SENDERS[kind], DATE, quotes, extras
    )
    text = " ".join(letter_text(letter).split())
    claims = residency_claims(letter, "Austin")
    if kind == "resident":
        if template != "petition":  # a petition speaks for its signers, not for its courier
            assert claims, text
            assert "Resident, District 3" in letter.signature_lines
        return
    assert claims == [], text
    assert not re.search(r"\bour (city|sister|tie|partner)|\bresident of|constituent", text, re.I)
    assert "Resident," not in " ".join(letter.signature_lines)
    if kind == "organisation" and template != "petition":
        assert "on behalf of the members of Texas Friends of Ukraine" in text or (
            "I speak for the members of Texas Friends of Ukraine" in text
        )
    if kind == "non-resident" and template != "petition":
        assert "I live in Austin" in text
        said = " ".join(p.plain("") for p in (*letter.paragraphs, *letter.short_paragraphs))
        assert "District 3" not in said  # the sender's district is not the official's business
    if kind == "no-address":
        assert "[Your street address]" in text
        assert "I live in" not in text


def test_a_constituent_is_told_apart_from_a_resident_of_another_district(san_jose):
    city, officials, quotes = san_jose
    folders = [builtin_dir()]
    environment = make_environment(folders)
    info = find_template(folders, "council")
    other = dataclasses.replace(officials["council_member"], district="4", name="Ben Other")
    mine = compose_letter(
        environment, info, officials["council_member"], city, RESIDENT, DATE, quotes
    )
    theirs = compose_letter(environment, info, other, city, RESIDENT, DATE, quotes)
    assert "I live in your district, District 3 of San Jose" in " ".join(letter_text(mine).split())
    text = " ".join(letter_text(theirs).split())
    assert "I am a resident of District 3 in San Jose" in text
    assert "your district" not in text and "constituent" not in text


# -- templates check -------------------------------------------------------------------------

BAD_TEMPLATE = """\
{#- meta
description: claims residency whoever writes
audience: mayor
-#}
{% extends "builtin:mayor.j2" %}
{% block opening %}
I am a resident of {{ city.name }}, and I write about our city's tie with {{ tie.russian_city }}.
{% endblock %}
{% block thanks %}
As a longtime {{ city.name }} resident, I thank you. We here in {{ city.name }} care.
{% endblock %}
"""


def test_templates_check_reports_a_template_claiming_residency(tmp_path: Path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/mayor.j2").write_text(BAD_TEMPLATE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["templates", "check", "mayor", "--city", "Chicago"])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if "claims residency" in line]
    assert any(
        e.startswith("templates/mayor.j2:7: error:") and "“I am a resident”" in e for e in errors
    )
    assert any("templates/mayor.j2:7:" in e and "“our city”" in e for e in errors)
    assert any("templates/mayor.j2:10:" in e and "here in {{ city.name }}" in e for e in errors)
    assert any("{{ city.name }} resident”" in e for e in errors)
    assert all("non-resident and an organisation sender" in e for e in errors)


def test_templates_check_passes_every_builtin():
    result = CliRunner().invoke(cli, ["templates", "check"])
    assert "claims residency" not in result.output
    assert result.exit_code == 0, result.output


def test_letter_to_another_city_makes_no_claim(tmp_path: Path):
    (tmp_path / "me.toml").write_text(
        'name = "O K"\naddress = ["1 Market St", "San Jose, CA 95113"]\ndistrict = "District 3"\n',
        encoding="utf-8",
    )
    args = ["letter", "--city", "Chicago", "--to", "mayor", "--format", "txt,mailto"]
    result = CliRunner().invoke(cli, [*args, "--sender", "me.toml", "--date", "2026-11-23"])
    assert result.exit_code == 0, result.output
    text = " ".join((tmp_path / "out/chicago-il/brandon-johnson.txt").read_text().split())
    assert "I live in San Jose and am writing to Chicago’s leaders" in text
    assert not re.search(r"\bresident|our city|District 3", text, re.IGNORECASE)
