"""A sample letter for the format tests: hostile data, Cyrillic, a note cited twice."""

from __future__ import annotations

import datetime as dt

from advocacy.dataset import City
from advocacy.letter import Letter, Note, NoteRef, Paragraph
from advocacy.models import Official, Quote, Sender, Tie

HOSTILE = "<script>alert(1)</script> & “Ёлка” O'Brien {{ 7*7 }}"
QUOTE_TEXT = "Sister cities must choose a side & stand with Kharkiv."
QUOTE_URL = "https://example.org/news/2022/06/03/speech?id=1&lang=en"


def make_letter() -> Letter:
    """A letter with two body paragraphs, a quotation, a note cited twice and hostile data."""
    tie = Tie(
        id="springfield-il-yekaterinburg",
        us_city="Springfield",
        state="IL",
        russian_city="Екатеринбург",
        status="kept",
        source="test",
        as_of="2024-01-01",
    )
    official = Official(
        name="José Peña",
        role="mayor",
        city="Springfield",
        state="IL",
        honorific="The Honorable",
        address="300 S. 7th Street, Room 201\nSpringfield, IL 62701",
    )
    quote = Quote(
        id="q1",
        speaker="Volodymyr Zelenskyy",
        speaker_title="President of Ukraine",
        text=QUOTE_TEXT,
        delivered="2022-06-03",
        outlet="Example News",
        url=QUOTE_URL,
        wording="official",
        source="test",
        as_of="2024-01-01",
        event="Address to mayors",
    )
    sender = Sender(
        name="Mary O'Neil",
        address_lines=("12 Elm Street", "Springfield, IL 62704"),
        email="mary@example.org",
        district="Ward 5",
        organisation=HOSTILE,
    )
    paragraphs = (
        Paragraph(("I am writing about Springfield's tie with Екатеринбург & its future.",)),
        Paragraph((QUOTE_TEXT, NoteRef(1)), "quote"),
        Paragraph(
            (
                "As the President said",
                NoteRef(1),
                ", it is time to act. Data like {{ 7*7 }} and <b>tags</b> stay text.",
            )
        ),
    )
    return Letter(
        official=official,
        city=City("Springfield", "IL", (tie,)),
        tie=tie,
        sender=sender,
        date=dt.date(2024, 6, 3),
        template="mayor",
        subject="Ending Springfield's sister-city tie with Екатеринбург",
        salutation="Dear Mayor Peña,",
        paragraphs=paragraphs,
        closing="Sincerely,",
        notes=(Note(1, quote),),
        short_paragraphs=(),
        short_notes=(),
    )
