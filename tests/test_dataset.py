"""The embedded data set: sourced, dated records; names matched the way people type them."""

from __future__ import annotations

import re

import pytest

from advocacy.dataset import embedded_quotes, embedded_ties, load_dataset
from advocacy.exceptions import LookupFailed
from advocacy.models import TIE_STATUSES, WORDINGS

DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def test_every_record_carries_source_and_as_of():
    data = load_dataset()
    for record in [*data.ties, *data.officials, *data.quotes]:
        assert record.source, record
        assert record.as_of and DATE.match(record.as_of), record


def test_ties_cover_the_research_table():
    ties = embedded_ties()
    assert len(ties) >= 28
    assert {t.status for t in ties} <= set(TIE_STATUSES)
    pairs = {(t.us_city, t.russian_city): t for t in ties}
    assert pairs[("San Jose", "Yekaterinburg")].status == "kept"
    assert pairs[("Chicago", "Moscow")].status == "suspended"
    assert pairs[("Tallahassee", "Krasnodar")].status == "terminated"
    assert pairs[("Jacksonville", "Murmansk")].status == "dormant"


def test_officials_mayors_councils_and_terms():
    data = load_dataset()
    mayors = [o for o in data.officials if o.role == "mayor"]
    assert len(mayors) >= 20
    by_city = {}
    for official in data.officials:
        if official.role == "council_member":
            by_city.setdefault(official.city, set()).add(official.district)
    assert by_city["San Jose"] == {str(n) for n in range(1, 11)}
    assert by_city["San Diego"] == {str(n) for n in range(1, 10)}
    assert sum(1 for o in data.officials if o.city == "Portland" and o.role != "mayor") == 12
    # the audit of 2026-11-28: term facts, not stale flags, say who is out of office
    assert not [o for o in data.officials if o.stale]
    mayor = {o.city: o for o in mayors}
    assert mayor["Des Moines"].name == "Connie Boesen"
    assert mayor["Des Moines"].term_start == "2024-01-02"
    assert mayor["Charlotte"].elected == "2025-11-04"
    assert mayor["Tallahassee"].term_end == "2026-11-16"
    foley = next(o for o in data.officials if o.name == "Pam Foley")
    assert (foley.term_end, foley.next_election) == ("2026-12-31", "2026-06-02")
    derived = [o for o in data.officials if o.email_derived]
    assert derived and all(o.email and o.email.startswith("district") for o in derived)


def test_quotes_keep_one_wording_each():
    quotes = embedded_quotes()
    assert {q.wording for q in quotes} <= set(WORDINGS)
    assert {"official", "ukrinform", "interfax", "spoken"} <= {q.wording for q in quotes}
    for quote in quotes:
        assert quote.delivered == "2022-06-03"
        # The spoken wording says "ties", the official one "connections": never both.
        assert not ("What do those ties" in quote.text and "these connections" in quote.text)
    spoken = [q for q in quotes if q.wording == "spoken"]
    assert all("ABC7" in q.outlet for q in spoken)


@pytest.mark.parametrize(
    "query",
    ["San Jose", "San José, CA", "san-jose", "SAN JOSE", "San Jose, California", "Yekaterinburg"],
)
def test_city_names_as_people_type_them(query):
    assert load_dataset().find_city(query).label == "San Jose, CA"


@pytest.mark.parametrize("query", ["Portland, OR", "portland or", "Portland, Oregon"])
def test_portland_oregon(query):
    assert load_dataset().find_city(query).label == "Portland, OR"


def test_ambiguous_and_unknown_names():
    data = load_dataset()
    with pytest.raises(LookupFailed) as ambiguous:
        data.find_city("Portland")
    assert ambiguous.value.candidates == ["Portland, ME", "Portland, OR"]
    assert ambiguous.value.exit_code == 2
    with pytest.raises(LookupFailed) as unknown:
        data.find_city("San Hose")
    assert unknown.value.candidates == ["San Jose, CA"]


def test_user_contacts_replace_a_city_and_keep_the_rest(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "name,role,city,state,email\nAna Núñez,mayor,San Jose,CA,ana@example.org\n",
        encoding="utf-8",
    )
    data = load_dataset([path])
    san_jose = data.officials_of(data.find_city("San Jose"))
    assert [o.name for o in san_jose] == ["Ana Núñez"]
    assert data.officials_of(data.find_city("Chicago"))
