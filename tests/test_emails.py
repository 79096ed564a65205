"""advocacy.emails: the cached way gives what email-validator gives, address for address."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from advocacy.emails import normalized_email

DOMAINS = [
    "example.org", "Example.ORG", "gmail.com", "mail.sub.example.co.uk", "xn--bcher-kva.example",
    "bücher.example", "localhost", "example..org", "-bad.example", "bad-.example", "a.b",
    "123.456", "example.org.", ".example.org", "example.test", "example.invalid", "[127.0.0.1]",
    "x" * 63 + ".com", "x" * 64 + ".com", ("abcdefghij" * 6 + ".") * 4 + "com", "", "exa mple.org",
    "example.c", "example.o-rg", "ex_ample.org",
]  # fmt: skip
ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"

local_parts = st.one_of(
    st.from_regex(r"\A[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,70}(\.[A-Za-z0-9_-]{1,10}){0,3}\Z"),
    st.text(alphabet=ATEXT + '.@" \\é\u00a0', min_size=0, max_size=70),
    st.text(max_size=20),
)
domains = st.one_of(st.sampled_from(DOMAINS), st.text(alphabet="abc.-XYZ0_é", max_size=30))


def outcome(function, address: str) -> tuple[str, str]:
    try:
        return "ok", function(address)
    except EmailNotValidError as err:
        return "error", str(err)


def full(address: str) -> str:
    return str(validate_email(address, check_deliverability=False).normalized)


@settings(max_examples=200, deadline=None)
@given(local_parts, domains)
@example("supporter0", "Example.ORG")
@example("a" * 64, "example.org")
@example("a" * 65, "example.org")
@example("a" * 64, ("b" * 60 + ".") * 3 + "com")  # over 254 in all
@example("first.last", "example.test")
@example(".first", "example.org")
@example("first..last", "example.org")
@example("WWW", "example.org")  # a role mailbox (RFC 2142): email-validator lowercases it
@example("PostMaster", "Example.ORG")
def test_same_as_email_validator(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    assert outcome(normalized_email, address) == outcome(full, address)


@pytest.mark.parametrize("address", ["no-at-sign", "two@@example.org", "@example.org", "a@", ""])
def test_malformed_addresses_get_email_validators_error(address: str) -> None:
    assert outcome(normalized_email, address) == outcome(full, address)
    assert outcome(normalized_email, address)[0] == "error"


def test_domain_lowercased_local_part_kept() -> None:
    assert normalized_email("Olena.K+ua@Gmail.COM") == "Olena.K+ua@gmail.com"
