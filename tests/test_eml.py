"""The .eml writer: the standard library's parser reads back every header and body unchanged."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from advocacy.exceptions import AdvocacyError
from advocacy.formats.eml import (
    WORD,
    addr_spec,
    ascii_domain,
    body,
    body_of,
    display_name,
    draft,
    encoded_words,
)
from advocacy.templating import clean_value

# Any character but surrogates (not text) and the line breaks clean_value() flattens.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
WORDS = st.lists(st.sampled_from(["Zoë", "Олена", "O'Brien", "Dr.", "=?utf-8?q?x?=", "a" * 90,
                                  "Nguyễn", "\t", "", " ", "São", "\u200b", "Ünal", "x"]),
                 max_size=12).map(" ".join)  # fmt: skip
NAMES = st.one_of(TEXT, WORDS)
LOCAL = st.one_of(
    st.from_regex(r"\A[a-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\.[a-z0-9_-]{1,10}){0,2}\Z"),
    st.sampled_from(["josé", "олена", "用户", "o'brien", "first.last"]),
)
DOMAIN = st.sampled_from(
    ["example.org", "bücher.example", "пример.испытание", "münchen.de", "xn--bcher-kva.example",
     "例え.テスト", "sub.domain.example.gov"]
)  # fmt: skip
BODY = st.lists(TEXT, max_size=6).map("\n\n".join)


def parse(data: bytes) -> EmailMessage:
    # UTF-8 in a header (a non-ASCII local part) is text, as RFC 6532 says; the body is ASCII
    message = email.message_from_string(data.decode("utf-8"), policy=email.policy.SMTPUTF8)
    assert isinstance(message, EmailMessage)
    return message


def read_name(message: EmailMessage, header: str, name: str) -> str:
    """The display name as a mail program reads it.

    The email package's address parser puts a space between two encoded words of a display
    name where RFC 2047 (6.2) and mail programs join them: for a name longer than one encoded
    word (about 45 bytes of UTF-8), the name is read from the raw header with RFC 2047's rule:
    each encoded word decoded on its own, adjacent ones joined without the space between.
    """
    (parsed,) = message[header].addresses
    if len(encoded_words(display_name(name))) <= 1:
        return parsed.display_name
    raw = dict(message.raw_items())[header]
    words = raw.split()[:-1]  # unfolded, without "<local@domain>"
    assert all(word.startswith("=?utf-8?") for word in words)
    decoded = [email.header.decode_header(word)[0] for word in words]
    return b"".join(data for data, _ in decoded).decode("utf-8")


def lines(data: bytes) -> list[bytes]:
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF line ends only
    return data.split(b"\r\n")


@settings(max_examples=150, deadline=None)
@given(name=NAMES, sender=NAMES, local=LOCAL, domain=DOMAIN, subject=NAMES, text=BODY)
def test_parser_reads_back_headers_and_body(name, sender, local, domain, subject, text):
    address = f"{local}@{domain}"
    data = draft((name, address), (sender, "olena@example.org"), subject, text)
    message = parse(data)
    assert message.defects == []
    (to,) = message["To"].addresses
    assert read_name(message, "To", name) == display_name(name)
    assert to.username == local
    assert to.domain == ascii_domain(domain) and to.domain.isascii()
    (author,) = message["From"].addresses
    assert read_name(message, "From", sender) == display_name(sender)
    assert author.addr_spec == "olena@example.org"
    assert str(message["Subject"]) == clean_value(subject)
    assert message["X-Unsent"] == "1"
    assert message.get_content_type() == "text/plain"
    # the parser gives CRLF line ends; a body always ends with a line break
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    expected += "" if expected.endswith("\n") else "\n"
    assert message.get_content().replace("\r\n", "\n") == expected
    head, _, payload = data.partition(b"\r\n\r\n")
    # one encoded word of a name may pass 78 (RFC 5322: SHOULD); every line is far below 998
    assert all(len(line) <= len("From: ") + WORD for line in lines(head))
    assert all(len(line) <= 76 for line in lines(payload))
    if local.isascii():
        assert data.isascii()  # nothing but the address itself ever needs SMTPUTF8


@settings(max_examples=100, deadline=None)
@given(name=NAMES, subject=NAMES, text=BODY)
def test_same_message_as_the_email_package(name, subject, text):
    """Where the email package writes a message it reads back itself, ours reads the same."""
    short = len(encoded_words(display_name(name))) <= 1  # see read_name()
    assume(short and "=?" not in subject + name)  # it writes "=?" as it is, then decodes it
    reference = EmailMessage(policy=email.policy.SMTP)
    try:
        reference["To"] = email.headerregistry.Address(display_name(name), "mayor", "city.gov")
        reference["Subject"] = clean_value(subject)
        reference["X-Unsent"] = "1"
        reference.set_content(text, charset="utf-8", cte="quoted-printable")
        theirs = parse(reference.as_bytes())
    except ValueError:  # e.g. "\x1c" counts as a line break for it
        assume(False)
    ours = parse(draft((name, "mayor@city.gov"), None, subject, text))
    assert ours.keys() == theirs.keys()
    assert ours["To"].addresses == theirs["To"].addresses
    # (its subjects: see the test above; it reads some of its own back with a leading space)
    assert ours.get_content() == theirs.get_content()


def test_display_names_collapse_white_space():
    assert display_name(" Zoë \t  O'Brien\r\nSmith\u00a0Jr ") == "Zoë O'Brien Smith Jr"
    assert display_name("a\u200bb") == "a\u200bb"  # not white space


def test_encoded_words_never_split_a_character():
    words = encoded_words("Олена " * 20)
    assert len(words) > 1 and all(len(word) <= WORD for word in words)
    decoded = email.header.decode_header(" ".join(words))
    assert "".join(part.decode(charset) for part, charset in decoded) == "Олена " * 20


def test_idn_domain_is_ascii_and_unicode_local_part_is_utf8():
    assert addr_spec("mayor@bücher.example") == "mayor@xn--bcher-kva.example"
    assert addr_spec("josé@münchen.de") == "josé@xn--mnchen-3ya.de"
    data = draft(("José", "josé@münchen.de"), None, "Hi", "Body")
    assert "To: =?utf-8?b?Sm9zw6k=?= <josé@xn--mnchen-3ya.de>\r\n".encode() in data


def test_quoted_local_part_and_bad_addresses():
    assert addr_spec("john smith@example.org") == '"john smith"@example.org'
    with pytest.raises(AdvocacyError, match="not an email address"):
        addr_spec("nobody")
    with pytest.raises(AdvocacyError, match="IDNA"):
        addr_spec("x@bad_domain\u0378.example")


def test_a_line_break_in_a_name_cannot_add_a_header():
    data = draft(("Eve\r\nBcc: all@example.org", "eve@example.org"), None, "S\nBcc: x@y", "B")
    message = parse(data)
    assert message["Bcc"] is None
    assert [a.addr_spec for a in message["To"].addresses] == ["eve@example.org"]


# Blocks as a letter's body has them, and what quoted-printable treats specially: a space or
# tab before a line end, a line of a lone dot, "=", long lines, lines of exactly 75-77 octets.
PART = st.one_of(
    TEXT,
    st.lists(
        st.sampled_from(["a", " ", "\t", ".", "=", "é", "Олена", "\n", "x" * 74, "y" * 76, "\r"]),
        max_size=20,
    ).map("".join),
)


@given(parts=st.lists(PART, min_size=1, max_size=6))
@settings(max_examples=400)
def test_the_body_encoded_a_block_at_a_time_is_the_body_encoded_whole(parts):
    assert body_of(parts) == body("\n\n".join(parts) + "\n")
    assert body_of(list(parts)) == body_of(parts)  # the kept encodings give the same
