"""Typography of the letters' own words: curly quotes, en dashes, no lone last word.

:class:`TypographyExtension` is added to the letter environment (``advocacy.templating``): it
rewrites the literal text of a template (Jinja's ``data`` tokens) when the template is
compiled, so the built-in templates and a user's own get the same typography. Values printed
from the data (names, quotations, addresses) are never touched: they print as written.

Rules, applied to template text only (and to string literals inside ``{{ ... }}``, which are
text the template prints; strings in ``{% ... %}`` tags may be compared with data and stay):

- ``"`` becomes an opening quote (“) after a space, a line start or an opening bracket and
  before a non-space, and a closing quote (”) otherwise; ``'`` likewise becomes ‘ or ’, and
  an apostrophe inside or after a word ("don't", "{{ city.name }}'s") is always ’.
- `` - `` between two words becomes an en dash (`` – ``); a hyphen starting a line (a list
  item) and hyphens inside words are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

NBSP = "\u00a0"
_OPENS_AFTER = " \t\n\r([{\u2014\u2013/" + NBSP
_DASH = re.compile(r"(?<=[^\s\-])([ \t]+)-([ \t]+)(?=[^\s\-])")


def curl(text: str, before: str = "") -> str:
    """Curl the straight quotes of ``text``; ``before`` is the character printed before it.

    At the start of a token that follows a variable, ``before`` is a letter (a value was
    printed there), so a quote there closes and an apostrophe stays an apostrophe.
    """
    out: list[str] = []
    previous = before
    for index, ch in enumerate(text):
        if ch in "\"'":
            following = text[index + 1] if index + 1 < len(text) else ""
            opens = (previous == "" or previous in _OPENS_AFTER) and following not in (
                "",
                " ",
                "\t",
                "\n",
            )
            pair = "\u201c\u201d" if ch == '"' else "\u2018\u2019"
            ch = pair[0] if opens else pair[1]
        out.append(ch)
        previous = ch
    return "".join(out)


def en_dashes(text: str, before: str = "") -> str:
    """ " - " between two words becomes " – " (an en dash), on one line only."""
    return _DASH.sub("\\1\u2013\\2", before + text)[len(before) :]


def keep_last_words_together(text: str) -> str:
    """Join the last two words with a non-breaking space, so no line holds one word alone."""
    head, space, tail = text.rstrip().rpartition(" ")
    if not space or not head.strip():
        return text
    return f"{head}{NBSP}{tail}"


class TypographyExtension(Extension):
    """Curly quotes and en dashes in a template's own text (never in the values it prints)."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        before = ""  # the last character printed, as far as the template text tells
        pending: Token | None = None  # a data token, held until the next token is known
        printing = False  # inside {{ ... }}
        for token in stream:
            if pending is not None:
                # a value printed right after the text counts as a word for the dash rule
                after = "a" if token.type == "variable_begin" else ""
                value = en_dashes(curl(pending.value + after, before), before)
                value = value[: len(value) - len(after)]
                if value:
                    before = value[-1]
                yield Token(pending.lineno, "data", value)
                pending = None
            if token.type == "data":
                pending = token
                continue
            if token.type == "variable_begin":
                printing = True
            elif token.type == "variable_end":
                printing = False
                before = "a"  # a value was printed: a quote right after it closes
            elif token.type == "string" and printing:
                # text the template writes inside a print statement ("'s tie with " ~ ...)
                token = Token(token.lineno, "string", en_dashes(curl(token.value, "a")))
            yield token
        if pending is not None:
            yield Token(pending.lineno, "data", en_dashes(curl(pending.value, before), before))
