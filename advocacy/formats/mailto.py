"""``mailto:`` links (RFC 6068), kept within the length browsers and Windows hand on.

Every character outside RFC 3986's unreserved set is percent-encoded as UTF-8, so a space is
``%20`` (never ``+``), a line break is ``%0D%0A`` and ``& = ? # %`` inside values cannot end
them. The body is the letter's short form; if the link would still exceed ``MAX_LENGTH``, whole
paragraphs are dropped from the end and the body says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from advocacy.formats import Style
from advocacy.formats.text import email_parts
from advocacy.letter import Letter, Note, Paragraph

SUFFIX = ""
MAX_LENGTH = 1800
CUT_NOTICE = "[This message was shortened to fit an email link.]"
_CUT = Paragraph((CUT_NOTICE,))


def _percent_table(safe: str) -> dict[int, str]:
    """For str.translate over UTF-8 bytes read as Latin-1: each byte to itself or ``%XX``.

    The same result as ``urllib.parse.quote(text, safe)``, done in C rather than a byte at a
    time in Python (a mailto link has ~1,800 characters).
    """
    keep = set(_UNRESERVED + safe)
    return {byte: chr(byte) if chr(byte) in keep else f"%{byte:02X}" for byte in range(256)}


_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"
_VALUE = _percent_table("")
_ADDRESS = _percent_table("@!$'*+;:")


def _percent(text: str, table: dict[int, str]) -> str:
    return text.encode("utf-8").decode("latin-1").translate(table)


@lru_cache(maxsize=1024)
def encode_value(text: str) -> str:
    """Percent-encode a header value or body as RFC 6068 asks, with CRLF line breaks."""
    crlf = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    return _percent(crlf, _VALUE)


@lru_cache(maxsize=1024)
def encode_address(address: str) -> str:
    """Percent-encode an addr-spec for the ``to`` part; ``@`` stays readable."""
    return _percent(address, _ADDRESS)


def build_uri(to: str, subject: str, body: str) -> str:
    return f"mailto:{encode_address(to)}?subject={encode_value(subject)}&body={encode_value(body)}"


_BLANK_LINE = encode_value("\n\n")
_LINE_END = encode_value("\n")


def _encoded_body(parts: list[str]) -> str:
    """``encode_value("\\n\\n".join(parts) + "\\n")``, a part at a time: the encoding goes
    character by character, so the parts' encodings joined are the whole's; each part's is
    kept (paragraphs and sources are the same in many letters). A part with a CR goes the
    long way: CR LF pairs are found across the whole text."""
    if any("\r" in part for part in parts):
        return encode_value.__wrapped__("\n\n".join(parts) + "\n")
    return _BLANK_LINE.join(map(encode_value, parts)) + _LINE_END


@dataclass(frozen=True)
class MailtoLink:
    """A mailto URI and whether its body had to be shortened."""

    uri: str
    shortened: bool

    @property
    def length(self) -> int:
        return len(self.uri)


def _used_notes(paragraphs: Sequence[Paragraph], notes: Sequence[Note]) -> list[Note]:
    used = {p.number for para in paragraphs for p in para.parts if not isinstance(p, str)}
    used |= {
        p.number
        for para in paragraphs
        for item in para.items
        for p in item
        if not isinstance(p, str)
    }
    return [n for n in notes if n.number in used]


def mailto_link(letter: Letter, max_length: int = MAX_LENGTH) -> MailtoLink | None:
    """Build the link for ``letter``; None when the official has no email."""
    to = letter.official.email
    if not to:
        return None
    paragraphs = list(letter.short_paragraphs)
    subject = fit_subject(to, letter.subject, max_length // 2)
    start = f"mailto:{encode_address(to)}?subject={encode_value(subject)}&body="
    uri = start + _encoded_body(email_parts(letter, paragraphs, letter.short_notes))
    if len(uri) <= max_length:
        return MailtoLink(uri, subject != letter.subject)
    while paragraphs:
        paragraphs.pop()
        kept = [*paragraphs, _CUT]
        body = email_parts(letter, kept, _used_notes(paragraphs, letter.short_notes))
        uri = start + _encoded_body(body)
        if len(uri) <= max_length:
            return MailtoLink(uri, True)
    # Even the salutation and signature do not fit: keep the subject only.
    return MailtoLink(f"mailto:{encode_address(to)}?subject={encode_value(subject)}", True)


@lru_cache(maxsize=256)
def fit_subject(to: str, subject: str, limit: int) -> str:
    """``subject``, shortened at a word with "…" if the link to ``to`` with it alone would
    pass ``limit`` characters: a long subject must leave room for the body, and can never
    make the link longer than ``MAX_LENGTH`` (a 3,000-character subject did)."""

    def length(text: str) -> int:
        return len(f"mailto:{encode_address(to)}?subject={encode_value(text)}&body=")

    if length(subject) <= limit:
        return subject
    low, high = 0, len(subject)  # the most characters that fit, found by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if length(subject[:middle].rstrip() + "…") <= limit:
            low = middle
        else:
            high = middle - 1
    cut = subject[:low]
    space = cut.rfind(" ")
    if space > low // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


class Renderer:
    """The mailto "format" produces the link text (it is listed in the index and manifest)."""

    def __init__(self, style: Style):
        self.style = style

    def render(self, letter: Letter) -> bytes:
        link = mailto_link(letter)
        return link.uri.encode("ascii") if link else b""
