"""Email drafts (.eml), written directly as RFC 5322 text with RFC 2047 and 2045 encodings.

The draft carries ``X-Unsent: 1`` so mail programs open it ready to edit and send. Display
names and the subject are flattened to one line first: a line break in the data can never
start a new header.

The message is one ``text/plain`` part in UTF-8, quoted-printable, so no line is longer than
76 characters whatever the paragraphs hold. Headers are folded at spaces to 78 characters;
a display name or subject that is not plain ASCII words is written as RFC 2047 encoded words
(``=?utf-8?q?...?=`` or ``=?utf-8?b?...?=``, whichever is shorter). The standard library's
``email`` package wrote the same message many times more slowly (header folding); a property
test reads every draft back with that package's parser and checks headers and body.

Addresses with Unicode:

- an internationalised domain (``bücher.example``) is written in its ASCII form (IDNA 2008
  with UTS 46 mapping, ``xn--bcher-kva.example``), which every mail program and server
  accepts;
- a local part outside ASCII (``josé@example.org``) cannot be written in ASCII at all. The
  draft then carries the address in UTF-8, as RFC 6532 (SMTPUTF8) allows: a deliberate choice,
  since the address is valid and the organiser's mail server may well accept it; one that
  does not refuses to send it with its own message. Nothing else in the draft changes.
"""

from __future__ import annotations

import binascii
import string
from functools import lru_cache
from typing import Any

from advocacy.exceptions import AdvocacyError
from advocacy.formats import Style
from advocacy.formats.text import email_parts
from advocacy.letter import Letter
from advocacy.templating import clean_value

SUFFIX = ".eml"
CRLF = "\r\n"
#: RFC 5322 2.1.1: lines SHOULD be at most 78 characters, and MUST be at most 998.
LINE = 78
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")
#: Characters an RFC 2047 "Q" encoded word may carry as they are, in any header (5 (3)).
_Q_PLAIN = frozenset(string.ascii_letters + string.digits + "!*+-/")
_Q_TABLE = {
    code: (chr(code) if chr(code) in _Q_PLAIN else "_" if code == 0x20 else f"={code:02X}")
    for code in range(256)
}
#: An encoded word has at most 75 characters (RFC 2047 2); "=?utf-8?b?" and "?=" take 12.
WORD = 75
#: Subject words are shorter, so "Subject: " and one word stay within 78 characters.
SUBJECT_WORD = 66
_BODY_HEADERS = (
    'Content-Type: text/plain; charset="utf-8"\r\n'
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "MIME-Version: 1.0\r\n"
    "\r\n"
)


def encoded_words(text: str, size: int = WORD) -> list[str]:
    """``text`` as RFC 2047 encoded words of at most ``size`` characters, in "Q" or "B"
    (base64), whichever is shorter; words split between characters, never inside one.

    Decoders join adjacent encoded words without the space between them (RFC 2047 6.2), so
    spaces inside ``text`` are encoded too.
    """
    encoded = text.encode("utf-8")
    # all of it in "Q" at once (str.translate over the bytes read as Latin-1, in C)
    quoted = encoded.decode("latin-1").translate(_Q_TABLE)
    room = size - len("=?utf-8?q??=")
    if len(quoted) <= (len(encoded) + 2) // 3 * 4:
        if len(quoted) <= room:  # one word (a name, most subjects): nothing to split
            return [f"=?utf-8?q?{quoted}?="]
        pieces = ["".join(_Q_TABLE[code] for code in c.encode("utf-8")) for c in text]
        return _words("q", pieces, size)
    if len(encoded) <= room // 4 * 3:
        return [_word("b", [encoded])]
    return _words("b", [c.encode("utf-8") for c in text], size)


def _words(kind: str, pieces: list[Any], size: int) -> list[str]:
    room = size - len("=?utf-8?q??=")
    limit = room if kind == "q" else room // 4 * 3  # base64: 3 bytes make 4 characters
    words: list[str] = []
    current: list[Any] = []
    used = 0
    for piece in pieces:
        if used + len(piece) > limit and current:
            words.append(_word(kind, current))
            current, used = [], 0
        current.append(piece)
        used += len(piece)
    if current or not words:
        words.append(_word(kind, current))
    return words


def _word(kind: str, pieces: list[Any]) -> str:
    if kind == "q":
        return f"=?utf-8?q?{''.join(pieces)}?="
    return f"=?utf-8?b?{binascii.b2a_base64(b''.join(pieces), newline=False).decode()}?="


def _plain_words(text: str) -> list[str] | None:
    """The words of ``text`` if it can be written as it is (printable ASCII words, single
    spaces, nothing that looks like an encoded word); else None."""
    if not text or not text.isascii() or not text.isprintable() or "=?" in text:
        return None
    words = text.split(" ")
    if any(not word or len(word) > LINE - 12 for word in words):
        return None  # leading, trailing or double spaces; a word too long to fold
    return words


def _atoms(text: str) -> list[str] | None:
    """The words of a display name that needs neither quoting nor encoding; else None."""
    words = _plain_words(text)
    if words is None or any(not _ATEXT.issuperset(word) for word in words):
        return None
    return words


def fold(name: str, tokens: list[str]) -> str:
    """The header ``name: tokens...``, folded before a space where a line would pass 78 octets."""
    lines: list[str] = []
    line = name + ":"
    size = len(line)
    for token in tokens:
        width = len(token) if token.isascii() else len(token.encode("utf-8"))
        if size + 1 + width > LINE and size > len(name) + 1:
            lines.append(line)
            line, size = "", 0
        line += " " + token
        size += 1 + width
    lines.append(line)
    return CRLF.join(lines) + CRLF


@lru_cache(maxsize=1024)
def unstructured(name: str, text: str) -> str:
    """An unstructured header (``Subject``): plain words when it can, else encoded words."""
    tokens = _plain_words(text)
    if tokens is None:
        tokens = encoded_words(text, SUBJECT_WORD) if text else []
    return fold(name, tokens)


@lru_cache(maxsize=4096)
def ascii_domain(domain: str) -> str:
    """The domain in ASCII: IDNA 2008 A-labels (with UTS 46 mapping) for a Unicode name."""
    if domain.isascii() or domain.startswith("["):
        return domain
    import idna

    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as err:
        raise AdvocacyError(
            f"the email domain {domain!r} cannot be written in IDNA: {err}"
        ) from err


def _dot_atom(text: str) -> bool:
    return bool(text) and all(part and _ATEXT.issuperset(part) for part in text.split("."))


def addr_spec(email: str) -> str:
    """``local@domain`` as a header carries it: IDNA domain; a UTF-8 local part (RFC 6532)."""
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        raise AdvocacyError(f"{email!r} is not an email address")
    if not local.isascii():
        if not local.isprintable() or any(c in local for c in ' "\\<>()[],;:@'):
            raise AdvocacyError(f"the email address {email!r} cannot be written in a header")
    elif not _dot_atom(local):
        if not local.isprintable():
            raise AdvocacyError(f"the email address {email!r} cannot be written in a header")
        local = '"' + local.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{local}@{ascii_domain(domain)}"


def display_name(name: str) -> str:
    """The display name as written: one line, each run of white space one space, trimmed.

    In a display name (an RFC 5322 phrase) white space separates words: mail programs, and
    the ``email`` package's parser, read a run of it as one space.
    """
    return " ".join(clean_value(name).split())


@lru_cache(maxsize=1024)
def address(name: str, display: str, email: str) -> str:
    """An address header: ``Name <local@domain>``, the name as atoms or encoded words.

    Kept for the next letter (an official's ``To`` is the same in every supporter's draft).
    """
    spec = addr_spec(email)
    display = display_name(display)
    if not display:
        return fold(name, [spec])
    words = _atoms(display)
    if words is None:
        words = encoded_words(display)
    return fold(name, [*words, f"<{spec}>"])


def body(text: str) -> bytes:
    """The body, UTF-8 with CRLF line ends (one at the end), quoted-printable (lines <= 76)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    return _quoted_printable(text.replace("\n", CRLF).encode("utf-8"))


def _quoted_printable(data: bytes) -> bytes:
    # b2a_qp ends its soft line breaks as the data's first line ends: CRLF here
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    lines = encoded.split(b"\r\n")
    if max(map(len, lines)) <= 76:  # split() gives one line at least
        return encoded
    # b2a_qp can make a line of 77 when it encodes a space or tab before a line end as "=20"
    return b"\r\n".join(_qp_split(line) for line in lines)


@lru_cache(maxsize=1024)
def _part(text: str) -> bytes:
    """One block of the body (no CR in it) and its line end, quoted-printable; kept, as the
    paragraphs and sources are the same in many letters."""
    return _quoted_printable(f"{text}\n".replace("\n", CRLF).encode("utf-8"))


def body_of(parts: list[str]) -> bytes:
    """``body("\\n\\n".join(parts) + "\\n")``, a block at a time: quoted-printable encodes
    each line on its own (a line's soft breaks and its last space or tab depend on nothing
    else), so the blocks' encodings joined are the whole's. A block with a CR goes the long
    way: CR LF pairs are found across the whole text."""
    if any("\r" in part for part in parts):
        return body("\n\n".join(parts) + "\n")
    return b"\r\n".join(map(_part, parts))


def _qp_split(line: bytes) -> bytes:
    if len(line) <= 76:
        return line
    cut = 75
    if line[cut - 1 : cut] == b"=":
        cut -= 1
    elif line[cut - 2 : cut - 1] == b"=":
        cut -= 2
    return line[:cut] + b"=\r\n" + _qp_split(line[cut:])


def draft(
    to: tuple[str, str] | None,
    sender: tuple[str, str] | None,
    subject: str,
    text: str | list[str],
) -> bytes:
    """The draft's bytes; ``to`` and ``sender`` are (display name, email) or None; ``text``
    is the body, or its blocks (to be separated by blank lines)."""
    headers = []
    if to is not None:
        headers.append(address("To", *to))
    if sender is not None:
        headers.append(address("From", *sender))
    headers.append(unstructured("Subject", clean_value(subject)))
    headers.append("X-Unsent: 1\r\n")
    headers.append(_BODY_HEADERS)
    encoded = body(text) if isinstance(text, str) else body_of(text)
    return "".join(headers).encode("utf-8") + encoded


def render_draft(letter: Letter) -> bytes:
    """The letter as an unsent draft; ``To`` is left out when the official has no email."""
    official, sender = letter.official, letter.sender
    to = (official.name, official.email) if official.email else None
    author = (sender.name or "", sender.email) if sender.email else None
    return draft(to, author, letter.subject, email_parts(letter))


class Renderer:
    """Render the letter as an unsent email draft."""

    def __init__(self, style: Style):
        self.style = style

    def render(self, letter: Letter) -> bytes:
        return render_draft(letter)
