"""Render the letters of the action page, with markers where the resident's words go.

Each official gets the variants the page may need, chosen in the browser from what the
resident types:

``d``  a resident of the city who chose a district (for a district's council member, their own
       district: the letter is to their constituent)
``r``  a resident who does not know their district (mayor and at-large members only)
``n``  someone who lives elsewhere (mayor and at-large members only)
``s``  someone from a namesake city elsewhere (Portland, ME writing to Portland, OR): the letter
       names their city with its state

A template may print the sender's fields but must not decide anything on their values (the
page fills them in later): each variant is rendered twice, with markers and with sample
values, and a template whose text differs by more than the values is refused, naming the line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes

from advocacy.compose import compose_letter
from advocacy.dataset import City, DataSet
from advocacy.exceptions import TemplateFailed
from advocacy.formats.text import signature_block
from advocacy.generate import LetterJob, Skipped, plan_city
from advocacy.letter import Letter, Paragraph, Part
from advocacy.models import Official, Quote, Sender
from advocacy.residency import district_label, is_at_large
from advocacy.templating import TemplateInfo, make_environment

#: The fields the page fills in, and the marker character standing for each in the letters.
FIELDS = ("name", "street", "city", "state", "zip", "email", "district", "personal")
MARKERS = {field: chr(0xE100 + index) for index, field in enumerate(FIELDS)}
MARKER_RANGE = (0xE100, 0xE100 + len(FIELDS) - 1)
#: Sample values for the second rendering: unlike the markers in length, case and letters.
SAMPLES = {
    "name": "Zoë Quinn-Alvarez",
    "street": "742 Evergreen Terrace, Apt 3",
    "city": "Springfield",
    "state": "ZZ",  # no state: like the marker, never the official's
    "zip": "62704",
    "email": "zoe.quinn@example.org",
    "district": "Ward 99",
    "personal": "My grandmother was born in Kharkiv; please act.",
}
#: ``sender`` attributes a template may use: those the page fills, and those it leaves empty.
SENDER_FILLED = {"name", "address_lines", "email", "district", "city", "state", "zip", "place"}
VARIANTS = ("d", "r", "n", "s")


def is_district_member(official: Official) -> bool:
    """A council member elected by one district (not the mayor, not an at-large member)."""
    return official.role == "council_member" and not is_at_large(official)


def variants_for(official: Official) -> tuple[str, ...]:
    """The variants the page can show for ``official`` (see the module's docstring)."""
    return ("d",) if is_district_member(official) else VARIANTS


def sender_for(variant: str, official: Official, city: City, values: dict[str, str]) -> Sender:
    """The sender of ``variant`` whose fields are ``values`` (markers or samples).

    Where the sender lives decides what the letter may claim (:mod:`advocacy.residency`): the
    variant says it with explicit city and state, not the address the page fills in later.
    """
    district: str | None = None
    if variant == "d":
        district = (
            district_label(official.district)
            if is_district_member(official)
            else values["district"]
        )
    lives = {
        "d": (city.name, city.state),
        "r": (city.name, city.state),
        "n": (values["city"], values["state"]),
        "s": (city.name, values["state"]),
    }
    home, state = lives[variant]
    return Sender(
        name=values["name"],
        address_lines=(values["street"], f"{values['city']}, {values['state']} {values['zip']}"),
        email=values["email"],
        district=district,
        city=home,
        state=state,
        zip=values["zip"],
    )


def substitute(text: str, values: dict[str, str]) -> str:
    """Put ``values`` in place of the markers (what the page does in the browser)."""
    for field, marker in MARKERS.items():
        text = text.replace(marker, values[field])
    return text


@dataclass(frozen=True)
class SiteLetter:
    """One variant of one official's letter, with markers in place of the resident's fields."""

    variant: str
    letter: Letter
    #: the letter without a personal paragraph, when it is not simply ``letter`` without the
    #: paragraph that holds the marker (a template may say more around it)
    bare: Letter | None = None

    def record(self, bare: bool = False) -> dict[str, Any]:
        """Everything the page shows or sends, as plain data (see :mod:`advocacy.site.pack`).

        The namesake variant (``s``) is rendered with the official's city as the sender's, so
        that the letter names it with the sender's state ("Portland, ME"); the page then writes
        that city as the resident typed it ("San José, NM" where the data says "San Jose").
        """
        letter = self.bare if bare and self.bare is not None else self.letter
        record = letter_record(letter)
        if self.variant != "s":
            return record
        city = f"{letter.official.city}, {MARKERS['state']}"
        return _replace_all(record, city, f"{MARKERS['city']}, {MARKERS['state']}")


def _replace_all(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace_all(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _replace_all(v, old, new) for k, v in value.items()}
    return value


def without_personal(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` without the paragraphs made of the personal marker alone (what the page does
    when the resident leaves the personal paragraph empty)."""
    alone = ["body", [MARKERS["personal"]]]
    return {
        key: [p for p in value if p != alone]
        if key in ("paragraphs", "appendix", "short")
        else value
        for key, value in record.items()
    }


def _parts(parts: tuple[Part, ...]) -> list[Any]:
    return [p if isinstance(p, str) else p.number for p in parts]


def paragraph_record(paragraph: Paragraph) -> list[Any]:
    """A paragraph as ``[kind, parts]`` (``[kind, parts, items]`` for a list); notes as ints."""
    record: list[Any] = [paragraph.kind, _parts(paragraph.parts)]
    if paragraph.items:
        record.append([_parts(item) for item in paragraph.items])
    return record


def letter_record(letter: Letter) -> dict[str, Any]:
    return {
        "subject": letter.subject,
        "salutation": letter.salutation,
        "paragraphs": [paragraph_record(p) for p in letter.paragraphs],
        "appendix": [paragraph_record(p) for p in letter.appendix],
        "closing": letter.closing,
        "notes": [[n.number, n.quote.id] for n in letter.notes],
        "short": [paragraph_record(p) for p in letter.short_paragraphs],
        "short_notes": [[n.number, n.quote.id] for n in letter.short_notes],
        "sender_lines": list(letter.sender_lines),
        "recipient_lines": list(letter.recipient_lines),
        "signature_lines": list(letter.signature_lines),
        "signature_block": signature_block(letter),
    }


def _substitute_all(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return substitute(value, values)
    if isinstance(value, list):
        return [_substitute_all(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _substitute_all(v, values) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class OfficialLetters:
    """The variants of one official's letter."""

    official: Official
    template: TemplateInfo
    letters: dict[str, SiteLetter]


@dataclass(frozen=True)
class CityLetters:
    """A city of the page: its officials' letters, and who gets none (and why)."""

    city: City
    officials: list[OfficialLetters]
    skipped: list[Skipped]


class SiteComposer:
    """Compose every variant of every letter, refusing templates the page cannot fill."""

    def __init__(self, folders: list[Path], date: dt.date, quotes: Sequence[Quote]):
        self.folders = folders
        self.date = date
        self.quotes = tuple(quotes)
        self.environment = make_environment(folders)
        self.extras: dict[str, Any] = {"meeting_date": None, "agenda_item": None, "petition": None}
        self._checked: set[str] = set()

    def _compose(self, job: LetterJob, sender: Sender, personal: str) -> Letter:
        return compose_letter(
            self.environment,
            job.template,
            job.official,
            job.city,
            sender,
            self.date,
            self.quotes,
            self.extras,
            personal=personal,
        )

    def _pair(self, job: LetterJob, variant: str, personal: bool) -> Letter:
        """The letter with markers, refused if the one with samples says more than they do."""
        marked, sample = (
            self._compose(
                job,
                sender_for(variant, job.official, job.city, values),
                values["personal"] if personal else "",
            )
            for values in (MARKERS, SAMPLES)
        )
        if _substitute_all(letter_record(marked), SAMPLES) != letter_record(sample):
            raise _refusal(job.template, *_sender_logic(self.environment, job.template.path.name))
        return marked

    def check(self, info: TemplateInfo) -> None:
        """Refuse a template that uses a field the page fills in anything but printing it."""
        if info.name in self._checked:
            return
        where, line, attribute = _sender_logic(self.environment, info.path.name)
        if attribute:
            raise _refusal(info, where, line, attribute)
        self._checked.add(info.name)

    def variant(self, job: LetterJob, variant: str) -> SiteLetter:
        """Compose ``variant`` with markers; refuse it if samples show the text depends on them."""
        self.check(job.template)
        letter = self._pair(job, variant, personal=True)
        bare = self._compose(job, sender_for(variant, job.official, job.city, MARKERS), "")
        if letter_record(bare) == without_personal(letter_record(letter)):
            return SiteLetter(variant, letter)
        return SiteLetter(variant, letter, self._pair(job, variant, personal=False))

    def city(self, data: DataSet, city: City, template_name: str | None) -> CityLetters:
        templates: dict[str, TemplateInfo] = {}
        jobs, skipped = plan_city(
            data,
            city,
            self.folders,
            template_name=template_name,
            templates=templates,
            date=self.date,
        )
        officials = []
        for job in jobs:
            letters = {v: self.variant(job, v) for v in variants_for(job.official)}
            officials.append(OfficialLetters(job.official, job.template, letters))
        return CityLetters(city, officials, skipped)


def _refusal(
    info: TemplateInfo, where: str | None, line: int | None, field: str | None
) -> TemplateFailed:
    """The error for a template that decides something on the sender's fields."""
    what = field or "the sender's fields"
    fields = ", ".join(f"sender.{name}" for name in sorted(SENDER_FILLED))
    return TemplateFailed(
        f"decides on {what}, which the action page fills in the browser; `advocacy site` "
        f"can only use templates that print {fields} and personal (with literal()) as they "
        "are, or test whether they are set",
        where or str(info.path),
        line,
    )


def _sender_logic(
    environment: jinja2.Environment, name: str
) -> tuple[str | None, int | None, str | None]:
    """Find the first place a template (or one it extends) uses a sender field in logic."""
    seen: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        try:
            source, filename, _ = environment.loader.get_source(  # type: ignore[union-attr]
                environment, current
            )
            tree = environment.parse(source)
        except jinja2.TemplateError:
            continue
        for lineno, field in _logic_uses(tree):
            return filename or current, lineno, field
        for parent in tree.find_all(nodes.Extends):
            if isinstance(parent.template, nodes.Const):
                pending.append(str(parent.template.value))
    return None, None, None


#: Where a field the page fills may stand: printed, joined to text, tested for being set, looped
#: over. Anything else (a comparison, a filter, a method, an index) decides on its value.
_HARMLESS = (nodes.Output, nodes.Concat, nodes.And, nodes.Or, nodes.Not, nodes.CondExpr, nodes.If)


def _logic_uses(tree: nodes.Template) -> list[tuple[int, str]]:
    """Where ``sender.X`` (a field the page fills) or ``personal`` is used in a way that
    depends on its value: ``(line, "sender.X")``, first line first."""
    parents: dict[int, nodes.Node] = {}
    for node in [tree, *tree.find_all(nodes.Node)]:
        for child in node.iter_child_nodes():
            parents[id(child)] = node

    def harmless(found: nodes.Node) -> bool:
        parent = parents.get(id(found))
        if isinstance(parent, _HARMLESS):
            return True
        if isinstance(parent, nodes.Call) and found in parent.args:
            return isinstance(parent.node, nodes.Name) and parent.node.name == "literal"
        return isinstance(parent, nodes.For) and parent.iter is found

    uses = []
    for found in tree.find_all(nodes.Getattr):
        target = found.node
        is_sender = isinstance(target, nodes.Name) and target.name == "sender"
        if is_sender and found.attr in SENDER_FILLED and not harmless(found):
            uses.append((found.lineno, f"sender.{found.attr}"))
    for name in tree.find_all(nodes.Name):
        if name.name == "personal" and name.ctx == "load" and not harmless(name):
            uses.append((name.lineno, "personal"))
    return sorted(uses)
