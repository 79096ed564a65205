"""Email addresses checked with email-validator, the common ones without its per-character cost.

``email_validator.validate_email`` checks the domain character by character against the
IDNA tables: about 0.1 ms an address, half the time of reading a 10,000-row supporters
file, and the same work again for every supporter at ``gmail.com``. Here an address whose
local part is plain ASCII ``dot-atom`` text (RFC 5322: letters, digits and
``!#$%&'*+/=?^_`{|}~-``, dots between them) and whose domain is ASCII is checked in parts:
the local part by a pattern, the domain by email-validator once per domain (the result
cached). Anything else, and any address either part finds wrong, goes to
``validate_email`` whole, so the errors are its own. Tests check both ways agree.
"""

from __future__ import annotations

import re
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

__all__ = ["EmailNotValidError", "normalized_email"]

#: Local parts that take the long way: RFC 2142's role mailboxes (postmaster, www, ...),
#: which email-validator lowercases; None (every address the long way) if it has no list
_ROLE_MAILBOXES: frozenset[str] | None
try:
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

    _ROLE_MAILBOXES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)
except ImportError:  # pragma: no cover - another email-validator: its own way for all
    _ROLE_MAILBOXES = None

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
#: RFC 5321's limits, as email-validator applies them: 64 octets of local part, 254 in all
_LOCAL_MAX, _ADDRESS_MAX = 64, 254


@lru_cache(maxsize=4096)
def _domain(domain: str) -> str | None:
    """The normalised domain, or None when email-validator refuses it (or is unsure)."""
    try:
        checked = validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return None
    if checked.local_part != "a" or not checked.domain.isascii():
        return None
    return str(checked.domain)


def normalized_email(address: str) -> str:
    """``validate_email(address, check_deliverability=False).normalized``, the same result
    and the same errors (``EmailNotValidError``), faster for the usual addresses."""
    local, at, domain = address.rpartition("@")
    if (
        at
        and address.isascii()
        and len(local) <= _LOCAL_MAX
        and _DOT_ATOM.fullmatch(local)
        and _ROLE_MAILBOXES is not None
        and local.lower() not in _ROLE_MAILBOXES
        and (normal := _domain(domain)) is not None
        and len(local) + 1 + len(normal) <= _ADDRESS_MAX
    ):
        return f"{local}@{normal}"
    return str(validate_email(address, check_deliverability=False).normalized)
