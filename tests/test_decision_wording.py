"""Letters word a tie's situation from its status, decided_by and status_date only.

Every built-in template is rendered for every tie status × decided_by, and each sentence that
claims a decision is checked against the fields that allow it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from functools import cache

import pytest

from advocacy.compose import compose_letter
from advocacy.dataset import City, load_dataset
from advocacy.letter import Letter
from advocacy.models import DECIDERS, TIE_STATUSES, Official, Sender, Tie
from advocacy.templating import builtin_dir, list_templates, make_environment

FOLDERS = [builtin_dir()]
TEMPLATES = [info for info in list_templates(FOLDERS) if not info.name.startswith("_")]
STATUS_DATE = "2022-03-08"
DATE_TEXT = "March 8, 2022"
EXTRAS = {"meeting_date": "2026-12-08", "agenda_item": "3.2", "petition": None}


def tie(status: str, decided_by: str, status_date: str | None = STATUS_DATE) -> Tie:
    return Tie(
        id="springfield-tver",
        us_city="Springfield",
        state="IL",
        russian_city="Tver",
        status=status,
        source="https://example.org/status",
        as_of="2026-11-01",
        status_date=status_date,
        decided_by=decided_by,
        decision_source=None if decided_by == "unknown" else "https://example.org/decision",
    )


def official(role: str) -> Official:
    return Official(
        name="Pat Doe" if role == "mayor" else "Sam Roe",
        role=role,
        city="Springfield",
        state="IL",
        email="office@example.gov",
        address="800 E Monroe St\nSpringfield, IL 62701",
    )


def every_text(letter: Letter) -> str:
    # the situation stays a paragraph of its own, before the quotation's
    assert any(p.plain().startswith("On June 3, 2022") for p in letter.paragraphs)
    parts = [letter.subject]
    parts += [p.plain() for p in letter.paragraphs]
    parts += [p.plain() for p in letter.short_paragraphs]
    return "\n".join(parts)


@cache
def environment_and_quotes():  # type: ignore[no-untyped-def]
    return make_environment(FOLDERS), load_dataset().quotes


def render(template_name: str, status: str, decided_by: str, **kwargs: str | None) -> list[str]:
    info = next(t for t in TEMPLATES if t.name == template_name)
    city = City("Springfield", "IL", (tie(status, decided_by, **kwargs),))  # type: ignore[arg-type]
    environment, quotes = environment_and_quotes()
    roles = ["mayor", "council_member"] if info.audience == "any" else [info.audience]
    texts = []
    for role in roles:
        letter = compose_letter(
            environment, info, official(role), city, Sender(), dt.date(2026, 12, 1), quotes, EXTRAS
        )
        texts.append(every_text(letter))
    return texts


CASES = [
    (info.name, status, decided_by)
    for info, status, decided_by in itertools.product(TEMPLATES, TIE_STATUSES, DECIDERS)
    if not info.tie_statuses or status in info.tie_statuses
]


def test_every_builtin_template_is_covered():
    names = {name for name, _, _ in CASES}
    assert {"mayor", "council", "thank-you", "public-comment", "petition"} <= names
    assert len(CASES) >= 5 * len(DECIDERS) * 2


@pytest.mark.parametrize(("template", "status", "decided_by"), CASES)
def test_sentences_claim_only_what_the_fields_allow(template, status, decided_by):
    for text in render(template, status, decided_by):
        lowered = text.lower()
        if decided_by != "council":
            assert "voted" not in lowered and "city council voted" not in lowered
        if decided_by != "nonprofit":
            assert "association" not in lowered
        if decided_by == "unknown":
            assert DATE_TEXT not in text, "a decision date without a decider"
            assert "decided" not in lowered
        if decided_by not in ("city", "council", "mayor"):
            # only the city's own decision earns the city thanks for it
            assert not re.search(r"thank you (for (ending|suspending)|: )", lowered), text
            assert "grateful that" not in lowered
            assert "springfield has kept this tie" not in lowered
            assert "that decision took courage" not in lowered
        says_status = status != "unknown" and (
            template != "public-comment" or status in ("suspended", "terminated")
        )
        if decided_by == "nonprofit" and says_status:
            assert "sister-city association, a nonprofit" in lowered
            assert "no decision by the city itself" in lowered


@pytest.mark.parametrize("template", ["mayor", "council", "petition"])
def test_the_situation_names_the_decider_and_its_date(template):
    [council] = render(template, "suspended", "council")[:1]
    assert f"the City Council voted on {DATE_TEXT} to suspend the tie" in council
    [mayor] = render(template, "terminated", "mayor")[:1]
    assert (
        f"the mayor’s office decided on {DATE_TEXT} to end Springfield’s government ties with Tver"
        in mayor
    )
    [city] = render(template, "kept", "city")[:1]
    assert f"Springfield has kept this tie: the city government decided on {DATE_TEXT}" in city
    [nonprofit] = render(template, "kept", "nonprofit")[:1]
    assert (
        f"the tie has stayed in place: Springfield’s sister-city association, a nonprofit, "
        f"decided on {DATE_TEXT} to keep it, and I could find no decision by the city itself"
    ) in " ".join(nonprofit.split())
    [unknown] = render(template, "suspended", "unknown")[:1]
    assert "I could find no decision by the city that suspended it" in " ".join(unknown.split())


def test_a_month_is_written_in_and_no_date_is_left_out():
    [month] = render("mayor", "suspended", "council", status_date="2022-03")
    assert "the City Council voted in March 2022 to suspend the tie" in " ".join(month.split())
    [undated] = render("mayor", "suspended", "council", status_date=None)
    assert "the City Council voted to suspend the tie" in " ".join(undated.split())


def test_thanks_only_for_the_citys_own_decision():
    [thanked] = render("thank-you", "terminated", "council")[:1]
    assert "Thank you for ending Springfield’s tie with Tver" in thanked
    [not_thanked] = render("thank-you", "terminated", "nonprofit")[:1]
    assert "Springfield’s tie with Tver has ended" in not_thanked
    [comment] = render("public-comment", "suspended", "mayor")
    assert "Thank you for suspending this tie." in comment
    [comment] = render("public-comment", "suspended", "unknown")
    assert "I could find no decision by the city that suspended it" in " ".join(comment.split())
