"""RFC 6068 mailto links: property-based round trip and the length limit."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.compose import compose_letter
from advocacy.dataset import load_dataset
from advocacy.formats.mailto import MAX_LENGTH, build_uri, encode_value, mailto_link
from advocacy.models import Official, Sender
from advocacy.templating import find_template, make_environment, search_path

UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%")
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


def decode(value: str) -> str:
    return unquote(value, encoding="utf-8", errors="strict")


@given(text, text)
def test_round_trip(subject, body):
    uri = build_uri("someone@example.org", subject, body)
    head, query = uri.split("?", 1)
    assert head == "mailto:someone@example.org"
    fields = dict(part.split("=", 1) for part in query.split("&"))
    assert set(fields) == {"subject", "body"}  # no & or = in a value escaped its field
    assert decode(fields["subject"]).replace("\r\n", "\n") == (
        subject.replace("\r\n", "\n").replace("\r", "\n")
    )
    assert decode(fields["body"]) == body.replace("\r\n", "\n").replace("\r", "\n").replace(
        "\n", "\r\n"
    )


@given(text)
def test_only_unreserved_characters_and_no_plus(value):
    encoded = encode_value(value)
    assert set(encoded) <= UNRESERVED
    assert "+" not in encoded and " " not in encoded
    if " " in value:
        assert "%20" in encoded
    if "\n" in value:
        assert "%0D%0A" in encoded


def test_line_breaks_and_specials():
    assert encode_value("a b\nc&d=e?f#g%h") == "a%20b%0D%0Ac%26d%3De%3Ff%23g%25h"


def letter_for(official: Official, max_words: int = 0):
    data = load_dataset()
    city = data.find_city("San Jose")
    folders = search_path()
    return compose_letter(
        make_environment(folders),
        find_template(folders, "mayor"),
        official,
        city,
        Sender(name="A " * max_words),
        dt.date(2026, 11, 23),
        data.quotes,
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=600))
def test_links_never_exceed_the_limit(words):
    official = Official(
        name="Matt Mahan", role="mayor", city="San Jose", state="CA", email="mayor@sanjoseca.gov"
    )
    link = mailto_link(letter_for(official, words))
    assert link is not None and link.length <= MAX_LENGTH
    if link.shortened and "&body=" in link.uri:
        assert "shortened" in decode(link.uri)


def test_no_email_no_link():
    official = Official(
        name="Paper Only",
        role="mayor",
        city="San Jose",
        state="CA",
        address="1 Main St\nSan Jose, CA 95113",
    )
    assert mailto_link(letter_for(official)) is None
