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
