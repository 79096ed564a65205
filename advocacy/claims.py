"""Find residency claims in a letter, as ``templates check`` does for senders living elsewhere.

A template may say "I am a resident of…", "our city" or "your district" only when
``sender.is_resident`` / ``sender.is_constituent`` hold. ``templates check`` renders every
template for senders who live in a city that has no tie (one writing for themselves, one for
an organisation) and reports any first-person residency phrase in the letter. Quotations are
not searched: the President's "our city of Bucha" is his, not the sender's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2

from advocacy.compose import compose_letter
from advocacy.dataset import City
from advocacy.exceptions import AdvocacyError, TemplateFailed
from advocacy.letter import Letter, Paragraph
from advocacy.models import Official, Quote, Sender
from advocacy.templating import TemplateInfo
from advocacy.text import name_key

#: Where the probe senders live: the first of these that is not a city of the data set.
ELSEWHERE = (("Nowhere Junction", "NV", "89000"), ("Elsewhere Falls", "ND", "58000"))

_PLACE_WORDS = (
    r"city|city's|town|community|district|ward|neighbou?rhood|council|mayor|sister[- ]cit(?:y|ies)"
    r"|tie|ties|partner|partnership|relationship|home ?town|streets|residents|neighbou?rs"
)
_GENERAL = (
    # "I am a resident", "as a longtime resident", "I'm your constituent"
    r"\b(?:i am|i'm|as|being)\s+(?:a|an|your|one of your)\s+(?:[\w'-]+\s+){0,4}?"
    r"(?:resident|constituent|neighbou?r|voter|taxpayer|homeowner)s?\b",
    # "our city", "my district", "our sister-city tie"
    rf"\b(?:our|my)\s+(?:own\s+|beloved\s+|great\s+|fair\s+|home\s+)?(?:{_PLACE_WORDS})\b",
    r"\bfellow\s+(?:residents|neighbou?rs|constituents|taxpayers)\b",
    r"\bwe,?\s+the\s+(?:people|residents|citizens)\s+of\b",
    r"\b(?:in|of)\s+your\s+(?:district|ward)\b",
)
_GENERAL_RE = [re.compile(p, re.IGNORECASE) for p in _GENERAL]
_SIGNATURE_RE = re.compile(r"^\s*resident\b", re.IGNORECASE)


@dataclass(frozen=True)
class Probes:
    """Senders a template is rendered for in ``templates check``."""

    non_resident: Sender
    organisation: Sender

    @property
    def elsewhere(self) -> tuple[Sender, ...]:
        return (self.non_resident, self.organisation)


def elsewhere_place(cities: Iterable[City]) -> tuple[str, str, str]:
    """A city, state and ZIP where no city of the data set is."""
    taken = {(name_key(c.name), c.state) for c in cities}
    for city, state, zip_code in ELSEWHERE:
        if (name_key(city), state) not in taken:
            return city, state, zip_code
    raise AssertionError("every probe city is a city of the data set")  # pragma: no cover


def probe_senders(cities: Iterable[City]) -> Probes:
    """A sender living elsewhere, and one writing for an organisation from elsewhere."""
    city, state, zip_code = elsewhere_place(cities)
    lines = ("1 Probe Road", f"{city}, {state} {zip_code}")
    person = Sender(
        name="Alex Example",
        address_lines=lines,
        email="alex@example.org",
        district="District 3",
    )
    organisation = Sender(
        name="Sam Example",
        address_lines=lines,
        email="sam@example.org",
        district="District 3",
        organisation="Example Friends of Ukraine",
    )
    return Probes(person, organisation)


def resident_sender(official: Official) -> Sender:
    """A sender living in the official's city (and district), to render the resident wording."""
    return Sender(
        name="Robin Example",
        address_lines=("1 Probe Road", f"{official.city}, {official.state}"),
        email="robin@example.org",
        district=official.district or "District 1",
    )


def _texts(paragraphs: Iterable[Paragraph]) -> list[str]:
    texts = []
    for paragraph in paragraphs:
        if paragraph.kind == "quote":
            continue
        texts.append(paragraph.plain(""))
        texts.extend("".join(p for p in item if isinstance(p, str)) for item in paragraph.items)
    return texts


def residency_claims(letter: Letter, place: str) -> list[str]:
    """The residency phrases in ``letter``, whose sender lives in ``place`` and not in its city.

    "I live in <place>" is true and allowed; "I live in" anything else is a claim.
    """
    texts = [letter.subject, letter.salutation, letter.closing]
    texts += _texts((*letter.paragraphs, *letter.short_paragraphs, *letter.appendix))
    text = " ".join(" ".join(texts).split())
    for note in (*letter.notes, *letter.short_notes):
        text = text.replace(" ".join(note.quote.text.split()), " ")
    found: list[str] = []
    for pattern in _GENERAL_RE:
        found.extend(m.group(0) for m in pattern.finditer(text))
    city = re.escape(letter.city.name)
    specific = [
        rf"\bi\s+(?:live|reside)\b(?!\s+in\s+{re.escape(place)}\b)"
        rf"(?:\s+in\s+{city}\b|(?:\s+\w+){{0,3}})",
        rf"\b(?:here|we|us)\s+in\s+{city}\b",
        rf"\b{city}\s+(?:resident|constituent|voter|taxpayer|homeowner)s?\b",
    ]
    for specific_pattern in specific:
        found.extend(m.group(0) for m in re.finditer(specific_pattern, text, re.IGNORECASE))
    found.extend(line for line in letter.signature_lines if _SIGNATURE_RE.match(line))
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class ProbeFinding:
    """A residency claim (``phrase``) or a failure (``error``) for one probe sender."""

    sender: str  # "resident", "non-resident" or "organisation"
    phrase: str = ""
    error: str = ""
    line: int | None = None
    template: str | None = None


def probe_letter(
    environment: jinja2.Environment,
    info: TemplateInfo,
    official: Official,
    city: City,
    probes: Probes,
    date: dt.date,
    quotes: Sequence[Quote],
    extras: dict[str, Any],
) -> list[ProbeFinding]:
    """Render the letter to ``official`` for each probe sender; report claims and failures."""
    findings: list[ProbeFinding] = []
    senders = (
        ("resident", resident_sender(official)),
        ("non-resident", probes.non_resident),
        ("organisation", probes.organisation),
    )
    for kind, sender in senders:
        try:
            letter = compose_letter(environment, info, official, city, sender, date, quotes, extras)
        except TemplateFailed as err:
            findings.append(
                ProbeFinding(kind, error=err.reason, line=err.line, template=err.template)
            )
            continue
        except AdvocacyError as err:
            findings.append(ProbeFinding(kind, error=str(err)))
            continue
        if kind == "resident":
            continue
        place = sender.address_lines[-1].rsplit(",", 1)[0]
        findings.extend(ProbeFinding(kind, phrase) for phrase in residency_claims(letter, place))
    return findings
