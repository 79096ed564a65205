"""Pack the page's letters into compact JSON: every string and paragraph stored once.

Letters to the officials of one city share most paragraphs, and the variants of one letter
differ in a sentence or two, so the page keeps a table of distinct strings and one of distinct
paragraphs, and a letter is a list of indices into them. The layout (read by ``page.js``):

``strings``     distinct strings
``paragraphs``  distinct paragraphs, ``[kind, parts(, items)]``; a part is a string index, or a
                note number as ``-number``
``quotes``      ``[citation, url]`` of each cited passage
``cities``      ``{label, key, name, state, russian, status, source, districts, officials}``;
                a district is ``[key, label]``, an official ``{name, title, district (its key),
                district_label, role, email, template, letters (by variant)}``
a letter        ``[subject, salutation, [paragraph], [appendix paragraph], closing,
                [[number, quote]], [short paragraph], [[number, quote]], [sender line],
                [recipient line], [signature line], signature block]``
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from advocacy.models import Quote
from advocacy.residency import district_key, district_label
from advocacy.site.letters import CityLetters, SiteLetter, is_district_member
from advocacy.text import name_key


class Tables:
    """Distinct strings, paragraphs and quotes, each numbered in order of first use."""

    def __init__(self, quotes: Sequence[Quote]):
        self.strings: dict[str, int] = {}
        self.paragraphs: dict[str, int] = {}
        self.paragraph_list: list[Any] = []
        self.by_quote_id = {q.id: q for q in quotes}
        self.quotes: dict[str, int] = {}

    def string(self, text: str) -> int:
        return self.strings.setdefault(text, len(self.strings))

    def _parts(self, parts: list[Any]) -> list[int]:
        return [self.string(p) if isinstance(p, str) else -p for p in parts]

    def paragraph(self, record: list[Any]) -> int:
        packed: list[Any] = [record[0], self._parts(record[1])]
        if len(record) > 2:
            packed.append([self._parts(item) for item in record[2]])
        key = json.dumps(packed)
        if key not in self.paragraphs:
            self.paragraphs[key] = len(self.paragraph_list)
            self.paragraph_list.append(packed)
        return self.paragraphs[key]

    def notes(self, notes: list[list[Any]]) -> list[list[int]]:
        return [[number, self.quotes.setdefault(qid, len(self.quotes))] for number, qid in notes]

    def letter(self, r: dict[str, Any]) -> list[Any]:
        return [
            self.string(r["subject"]),
            self.string(r["salutation"]),
            [self.paragraph(p) for p in r["paragraphs"]],
            [self.paragraph(p) for p in r["appendix"]],
            self.string(r["closing"]),
            self.notes(r["notes"]),
            [self.paragraph(p) for p in r["short"]],
            self.notes(r["short_notes"]),
            [self.string(s) for s in r["sender_lines"]],
            [self.string(s) for s in r["recipient_lines"]],
            [self.string(s) for s in r["signature_lines"]],
            self.string(r["signature_block"]),
        ]

    def quote_list(self) -> list[list[str]]:
        ordered = sorted(self.quotes.items(), key=lambda item: item[1])
        return [[self.by_quote_id[qid].citation(), self.by_quote_id[qid].url] for qid, _ in ordered]


def city_record(tables: Tables, city: CityLetters) -> dict[str, Any]:
    tie = city.city.tie
    labels: dict[str, str] = {}
    for o in city.officials:
        if is_district_member(o.official):
            labels.setdefault(
                district_key(o.official.district), district_label(o.official.district)
            )
    districts = [
        [key, labels[key]]
        for key in sorted(labels, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
    ]
    return {
        "label": city.city.label,
        "key": name_key(city.city.name),
        "name": city.city.name,
        "state": city.city.state,
        "russian": tie.russian_city,
        "status": tie.status,
        "source": tie.source,
        "districts": districts,
        "officials": [
            {
                "name": o.official.name,
                "title": o.official.display_title,
                "district": district_key(o.official.district)
                if is_district_member(o.official)
                else None,
                "district_label": district_label(o.official.district)
                if is_district_member(o.official)
                else None,
                "role": o.official.role,
                "email": o.official.email,
                "template": o.template.name,
                "letters": letters_record(tables, o.letters),
            }
            for o in city.officials
        ],
    }


def letters_record(tables: Tables, letters: dict[str, SiteLetter]) -> dict[str, Any]:
    """An official's letters by variant; ``<variant>0`` is one without a personal paragraph
    where the page cannot just leave that paragraph out."""
    packed = {}
    for variant, letter in letters.items():
        packed[variant] = tables.letter(letter.record())
        if letter.bare is not None:
            packed[variant + "0"] = tables.letter(letter.record(bare=True))
    return packed


def pack(
    cities: Sequence[CityLetters], quotes: Sequence[Quote], settings: dict[str, Any]
) -> dict[str, Any]:
    """The page's data: the tables, the cities, and ``settings`` (limits, notice, markers)."""
    tables = Tables(quotes)
    records = [city_record(tables, city) for city in cities]
    return {
        **settings,
        "strings": list(tables.strings),
        "paragraphs": tables.paragraph_list,
        "quotes": tables.quote_list(),
        "cities": records,
    }


def to_script_json(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<`` at all."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
