"""How long a public comment takes to read aloud, and the notes ``letter`` prints about it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from advocacy.compose import word_count
from advocacy.letter import Letter
from advocacy.templating import TemplateInfo

PUBLIC_COMMENT = "public-comment"
DEFAULT_WORDS_PER_MINUTE = 150


@dataclass(frozen=True)
class Reading:
    """How long a public comment takes to read aloud."""

    words: int
    words_per_minute: int = DEFAULT_WORDS_PER_MINUTE
    max_minutes: float | None = None

    @property
    def seconds(self) -> int:
        return round(self.words * 60 / self.words_per_minute)

    @property
    def limit_seconds(self) -> int | None:
        return None if self.max_minutes is None else round(self.max_minutes * 60)

    @property
    def max_words(self) -> int | None:
        if self.max_minutes is None:
            return None
        return int(self.max_minutes * self.words_per_minute)

    @property
    def over(self) -> bool:
        return self.max_words is not None and self.words > self.max_words

    def describe(self) -> str:
        """Return "245 words, about 1:38 at 150 words a minute (limit 2:00)"."""
        text = (
            f"{self.words} words, about {minutes(self.seconds)} at "
            f"{self.words_per_minute} words a minute"
        )
        if self.limit_seconds is not None:
            text += f" (limit {minutes(self.limit_seconds)})"
        return text


def minutes(seconds: int) -> str:
    """Format 98 seconds as "1:38"."""
    return f"{seconds // 60}:{seconds % 60:02d}"


def is_public_comment(info: TemplateInfo) -> bool:
    return info.kind == PUBLIC_COMMENT


def reading_of(letter: Letter, info: TemplateInfo) -> Reading:
    """The spoken length of ``letter``: salutation, body and closing (notes are not read)."""
    words = word_count(letter.paragraphs)
    words += len(letter.salutation.split()) + len(letter.closing.split())
    return Reading(
        words,
        info.words_per_minute or DEFAULT_WORDS_PER_MINUTE,
        info.max_minutes,
    )


def public_comment_notes(factory: Any, results: Iterable[Any]) -> list[tuple[str, bool]]:
    """Word count and reading time of each public comment written: (message, over the limit).

    ``factory`` is the ``LetterFactory`` that wrote ``results``; composing again is cheap
    (no file is rendered) and keeps ``LetterResult`` free of format-specific fields.
    """
    notes = []
    for result in results:
        info = result.job.template
        if result.status == "failed" or not is_public_comment(info):
            continue
        reading = reading_of(factory.compose(result.job), info)
        name = result.job.official.name
        if reading.over:
            notes.append(
                (
                    f"Warning: {name}: public comment of {reading.describe()}: too long to "
                    f"read in the time allowed; cut it to {reading.max_words} words",
                    True,
                )
            )
        else:
            notes.append((f"{name}: public comment of {reading.describe()}", False))
    return notes
