"""Email drafts (.eml) built with the standard library's ``email`` package.

The draft carries ``X-Unsent: 1`` so mail programs open it ready to edit and send. Display
names and the subject are flattened to one line first: a line break in the data can never
start a new header.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP

from advocacy.formats import Style
from advocacy.formats.text import email_text
from advocacy.letter import Letter
from advocacy.templating import clean_value

SUFFIX = ".eml"


def _address(name: str, email: str) -> Address:
    local, _, domain = email.rpartition("@")
    return Address(display_name=clean_value(name), username=local, domain=domain)


def build_message(letter: Letter) -> EmailMessage:
    """Return the draft message; ``To`` is left empty when the official has no email."""
    message = EmailMessage(policy=SMTP)
    official = letter.official
    if official.email:
        message["To"] = _address(official.name, official.email)
    if letter.sender.email:
        message["From"] = _address(letter.sender.name or "", letter.sender.email)
    message["Subject"] = clean_value(letter.subject)
    message["X-Unsent"] = "1"
    message.set_content(email_text(letter), charset="utf-8", cte="quoted-printable")
    return message


class Renderer:
    """Render the letter as an unsent email draft."""

    def __init__(self, style: Style):
        self.style = style

    def render(self, letter: Letter) -> bytes:
        return build_message(letter).as_bytes()
