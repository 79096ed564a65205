"""Faster text paths give the same results: textwrap, urllib quote, the sandbox's verdicts."""

from __future__ import annotations

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.formats.text import fill_lines

WORDS = st.sampled_from(["a", "bb", "Zoë", "x" * 10, "y" * 80, "-", "z" * 71, " ", "\t", ""])


@settings(max_examples=500, deadline=None)
@given(
    words=st.lists(WORDS, max_size=40),
    width=st.integers(1, 100),
    indents=st.sampled_from([("", ""), ("- ", "  "), ("    ", "    "), ("", "    ")]),
)
def test_fill_lines_is_textwrap(words, width, indents):
    text = " ".join(words)
    first, indent = indents
    expected = textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    assert fill_lines(text, width, first, indent) == expected


def test_sandbox_remembers_verdicts_per_type_and_name(tmp_path):
    """The remembered verdicts are the sandbox's own: unsafe stays unsafe, every time."""
    import jinja2
    import pytest

    from advocacy.templating import make_environment

    environment = make_environment([tmp_path])

    def function() -> None: ...

    for _ in range(2):
        assert not environment.is_safe_attribute(function, "__code__", None)
        assert not environment.is_safe_attribute(function, "__globals__", None)
        assert not environment.is_safe_attribute(int, "mro", None)
        assert not environment.is_safe_attribute("text", "_private", None)
        assert environment.is_safe_attribute("text", "upper", None)
        assert not environment.is_safe_attribute((x for x in ()), "gi_frame", None)
        with pytest.raises(jinja2.exceptions.SecurityError):
            environment.from_string("{{ f.__globals__ }}").render(f=function)
        with pytest.raises(jinja2.exceptions.SecurityError):
            environment.from_string("{{ ''.__class__.mro() }}").render()


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_percent_encoding_is_urllib_quote(text):
    from urllib.parse import quote

    from advocacy.formats.mailto import encode_address, encode_value

    crlf = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    assert encode_value(text) == quote(crlf, safe="", encoding="utf-8")
    assert encode_address(text) == quote(text, safe="@!$'*+;:", encoding="utf-8")


def _encoded_words_one_character_at_a_time(text: str, size: int) -> list[str]:
    """encoded_words() as first written: every word built from per-character pieces."""
    from advocacy.formats.eml import _Q_TABLE, _words

    pieces = ["".join(_Q_TABLE[code] for code in c.encode("utf-8")) for c in text]
    encoded = text.encode("utf-8")
    if sum(map(len, pieces)) <= (len(encoded) + 2) // 3 * 4:
        return _words("q", pieces, size)
    return _words("b", [c.encode("utf-8") for c in text], size)


@settings(max_examples=500, deadline=None)
@given(
    text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)
    | st.text(st.sampled_from("ab =?_Zoë Олена 王"), max_size=120),
    size=st.sampled_from([75, 66, 20]),
)
def test_encoded_words_at_once_are_the_per_character_words(text, size):
    from advocacy.formats.eml import encoded_words

    assert encoded_words(text, size) == _encoded_words_one_character_at_a_time(text, size)


def _parse_paragraphs_as_first_written(text: str, numbering: dict[str, int]):
    """compose.parse_paragraphs() before the block cache, as the reference."""
    import re

    from advocacy.compose import BLOCKQUOTE, LITERAL, _one_line, _parts
    from advocacy.letter import Paragraph

    paragraphs = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        if not lines:
            continue
        if lines[0].startswith(LITERAL):
            joined = " ".join(" ".join(lines).replace(LITERAL, "").split())
            paragraphs.append(Paragraph(_parts(joined, numbering), "body"))
        elif all(line.startswith("- ") for line in lines):
            items = tuple(_parts(_one_line(line[2:]), numbering) for line in lines)
            paragraphs.append(Paragraph((), "list", items))
        elif lines[0].startswith("## "):
            paragraphs.append(
                Paragraph(_parts(_one_line(" ".join(lines)[3:]), numbering), "heading")
            )
        elif lines[0].startswith(BLOCKQUOTE):
            joined = _one_line(" ".join(lines).replace(BLOCKQUOTE, ""))
            paragraphs.append(Paragraph(_parts(joined, numbering), "quote"))
        else:
            joined = _one_line(" ".join(lines).replace(BLOCKQUOTE, ""))
            paragraphs.append(Paragraph(_parts(joined, numbering), "body"))
    return tuple(paragraphs)


_PIECES = st.sampled_from(
    [
        "a", "Zoë", " ", "  ", "\t", "\n", "\n\n", "\n \t\n", "\r\n", "\r", "\x1c", "\x1f",
        "\u2028", "\x85", "\x0b", "- ", "## ", "\ue002", "\ue003", "\ue000q1\ue001",
        "\ue000q2\ue001", "\ue000q3\ue001", "\ue000", "\ue001", "word.",
    ]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    texts=st.lists(st.lists(_PIECES, max_size=30).map("".join), min_size=1, max_size=4),
    known=st.dictionaries(st.sampled_from(["q1", "q2", "q9"]), st.integers(1, 3), max_size=2),
)
def test_parse_paragraphs_with_its_cache_is_the_first_parser(texts, known):
    from advocacy.compose import parse_paragraphs

    for _ in range(2):  # parsed, then from the cache
        ours, theirs = dict(known), dict(known)
        for text in texts:  # several sections sharing one numbering, as body and appendix do
            assert parse_paragraphs(text, ours) == _parse_paragraphs_as_first_written(text, theirs)
            assert list(ours.items()) == list(theirs.items())


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(
        st.text(st.sampled_from(["a", " ", "\n", "\r", "é", "王", "&", "%", "\u2028"]))
        | st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
        max_size=6,
    )
)
def test_a_mailto_body_encoded_a_part_at_a_time_is_the_whole_encoded(parts):
    from urllib.parse import quote

    from advocacy.formats.mailto import _encoded_body

    whole = "\n\n".join(parts) + "\n"
    crlf = whole.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    for _ in range(2):  # encoded, then from the cache
        assert _encoded_body(parts) == quote(crlf, safe="", encoding="utf-8")


PIECES = st.sampled_from(
    ["\ue010", "\ue011", "body", "short", "Body", "x1", "é", "\n\n", "text ", "subject", "", "ab"]
)


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(PIECES, max_size=30))
def test_sections_found_with_str_split_are_the_regular_expressions(pieces):
    from advocacy.compose import _SECTION, _marked_sections

    text = "".join(pieces)
    found = _marked_sections(text)
    parts = _SECTION.split(text)
    expected = {"subject": parts[0]}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        expected[name] = body
    if found is not None:
        assert found == expected
    else:  # the regular expression then decides: a marker it does not take stays in the text
        assert text.count("\ue010") > len(parts) // 2


@settings(max_examples=300, deadline=None)
@given(
    value=st.one_of(
        st.text(),
        st.integers(),
        st.none(),
        st.text().map(lambda t: __import__("markupsafe").Markup(t)),
    )
)
def test_the_html_templates_escape_is_markupsafes(value):
    import markupsafe

    from advocacy.templating import escape

    mine, theirs = escape(value), markupsafe.escape(value)
    assert type(mine) is type(theirs) is markupsafe.Markup
    assert str(mine) == str(theirs)


def test_html_templates_print_through_the_faster_escape(tmp_path):
    from advocacy.templating import escape, make_environment

    (tmp_path / "page.html.j2").write_text("<p>{{ name }}</p>", encoding="utf-8")
    environment = make_environment([tmp_path], html=True)
    template = environment.get_template("page.html.j2")
    assert template.root_render_func.__globals__["escape"] is escape
    assert template.render(name="<Zoë & 'Ann'>") == "<p>&lt;Zoë &amp; &#39;Ann&#39;&gt;</p>"


def test_notes_are_kept_for_their_quote_set_only():
    """A letter's notes are the same tuple as the last letter's for the same quotes and
    numbers (the formats find them by identity), and never the notes of another quote set."""
    import dataclasses

    from advocacy.compose import _notes
    from advocacy.dataset import load_dataset
    from advocacy.formats.text import WIDTH, sources

    quotes = tuple(load_dataset().quotes)
    numbering = {quotes[2].id: 1, quotes[0].id: 2}
    first = _notes(dict(numbering), quotes, "t.j2")
    assert _notes(dict(numbering), quotes, "t.j2") is first
    assert [(n.number, n.quote) for n in first] == [(1, quotes[2]), (2, quotes[0])]
    assert sources(first, WIDTH) == sources(list(first), WIDTH)
    # another set with the same ids (a campaign's own wording): its own quotes
    changed = tuple(dataclasses.replace(q, text=q.text + " (changed)") for q in quotes)
    other = _notes(dict(numbering), changed, "t.j2")
    assert [n.quote for n in other] == [changed[2], changed[0]]
    assert other is not first and _notes(dict(numbering), changed, "t.j2") is other
    assert _notes(dict(numbering), list(quotes), "t.j2") == first  # a list: made anew


@settings(max_examples=500, deadline=None)
@given(
    text=st.text(
        st.one_of(
            st.characters(blacklist_categories=("Cs",)),
            st.sampled_from(["\ue000", "\ue01f", "\ue010", "\n", "\r", "\u2028", "\x85", "é"]),
        )
    )
)
def test_clean_value_of_a_printable_string_is_the_regular_expressions(text):
    import re

    from advocacy.templating import clean_value

    marks = re.compile("[\ue000-\ue01f]")
    newlines = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
    assert clean_value(text) == newlines.sub(" ", marks.sub("", text))
