"""What a packet run did, for the CLI to summarise (no heavy imports: an unchanged rerun
reports with these alone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advocacy.packet.mailing import MailingReport


@dataclass
class SupportersSummary:
    """What the CLI says about the supporters of a run."""

    supporters: int = 0
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)  # path:line: severity: message
    errors: int = 0  # of the problems, errors (rows left out): the run exits 1
    reasons: list[tuple[str, str]] = field(default_factory=list)  # supporter, reason
    personal: int = 0  # letters carrying a personal note
    identical: list[tuple[str, int]] = field(default_factory=list)  # official, letters alike
    bundles: int = 0


@dataclass
class PacketReport:
    """What a packet run did, for the CLI to summarise."""

    out: Path
    cities: int = 0
    letters: int = 0
    rendered: int = 0
    up_to_date: int = 0
    pending: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # city, official, error
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # city, official, reason
    warnings: list[tuple[str, str, str]] = field(default_factory=list)  # city, official, text
    without_officials: list[str] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # format -> letters that have it
    combined_written: list[str] = field(default_factory=list)
    removed_cities: list[str] = field(default_factory=list)  # folders of cities left out now
    pages: int | None = None
    mailing: MailingReport | None = None  # envelopes and labels, when asked for
    elapsed: float = 0.0
    interrupted: bool = False
    error: str | None = None
    notices: list[str] = field(default_factory=list)  # said once, before the summary
    #: a supporters packet: advocacy.packet.supporters_files.SupportersSummary
    supporters: Any = None

    @property
    def all_up_to_date(self) -> bool:
        return (
            self.rendered == 0
            and not self.combined_written
            and not self.pending
            and not self.removed_cities
        )

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.failed or self.error else 0
