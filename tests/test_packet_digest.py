"""The hashes of a supporter's letters: written without json's encoder, always json's bytes."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.generate import LetterJob
from advocacy.models import Sender
from advocacy.packet.plan import digest, writer_digest

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)  # Cs: not UTF-8
OPTIONAL = st.one_of(st.none(), TEXT)
# what json writes its own way: the hash is the same either way
ODD = st.one_of(st.integers(), st.booleans(), st.lists(st.one_of(TEXT, st.none()), max_size=2))


def _job(sender: Sender, personal: Any, group: Any) -> LetterJob:
    return LetterJob(None, None, None, "stem", sender=sender, personal=personal, group=group)  # type: ignore[arg-type]


def _json_hash(job: LetterJob) -> str:
    sender = {name: getattr(job.sender, name) for name in Sender.__dataclass_fields__}
    return digest(sender, job.personal, job.group)


@settings(max_examples=300)
@given(
    st.builds(
        Sender,
        name=OPTIONAL,
        address_lines=st.one_of(st.lists(TEXT, max_size=3).map(tuple), ODD),
        email=st.one_of(OPTIONAL, ODD),
        phone=OPTIONAL,
        district=OPTIONAL,
        organisation=OPTIONAL,
        city=OPTIONAL,
        state=OPTIONAL,
        zip=st.one_of(OPTIONAL, ODD),
    ),
    st.one_of(TEXT, ODD),
    TEXT,
)
def test_a_writers_hash_is_the_hash_of_their_sorted_json(sender, personal, group):
    job = _job(sender, personal, group)
    assert writer_digest(job) == _json_hash(job)


def test_quotes_backslashes_and_line_breaks_are_written_as_json_writes_them():
    sender = Sender(
        name='Ann "Nan" Lee\\',
        address_lines=("1 Main St", "Apt\t2"),
        city="San José",
        zip="",
    )
    job = _job(sender, "A note\nwith \u2028 a separator and \x7f", "supporters/ann-lee")
    assert writer_digest(job) == _json_hash(job)
