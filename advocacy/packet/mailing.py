"""The packet's envelopes and labels: one for each letter written that has a postal address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from advocacy.letter import PLACEHOLDER_ADDRESS, PLACEHOLDER_NAME, address_forms
from advocacy.output import atomic_write
from advocacy.packet.plan import PacketPlan, PacketSettings, digest
from advocacy.packet.state import PacketState

ENVELOPES_PDF = "envelopes.pdf"
LABELS_PDF = "labels.pdf"
STATE_KEY = "mailing"


@dataclass
class MailingReport:
    """How many letters got an envelope or a label, and how many could not (no address)."""

    addressed: int = 0
    without_address: int = 0
    files: tuple[str, ...] = ()
    written: bool = False


def mailing_addresses(plan: PacketPlan, records: dict[str, dict[str, Any]]) -> tuple[
    list[tuple[str, ...]], int
]:  # fmt: skip
    """The addresses of the letters written, in packet order, and how many letters had none."""
    addresses = []
    without = 0
    for letter in plan.letters:
        if records.get(letter.key, {}).get("status") != "ok":
            continue
        official = letter.job.official
        if not official.address:
            without += 1
            continue
        addresses.append(address_forms(official)[1])  # title and office on one line
    return addresses, without


def return_address(settings: PacketSettings) -> tuple[str, ...]:
    sender = settings.sender
    return (sender.name or PLACEHOLDER_NAME, *(sender.address_lines or PLACEHOLDER_ADDRESS))


def write_mailing(
    plan: PacketPlan,
    settings: PacketSettings,
    state: PacketState,
    records: dict[str, dict[str, Any]],
) -> MailingReport | None:
    """Write envelopes.pdf and/or labels.pdf when asked; skip them when nothing changed."""
    if not settings.envelopes and not settings.labels:
        return None
    from advocacy.formats.mailing import Mailing, envelopes_pdf, labels_pdf

    addresses, without = mailing_addresses(plan, records)
    sender = return_address(settings)
    names = (ENVELOPES_PDF,) * settings.envelopes + (LABELS_PDF,) * bool(settings.labels)
    report = MailingReport(len(addresses), without, names)
    key = digest(addresses, sender, settings.envelopes, settings.labels)
    out = settings.out
    if state.combined.get(STATE_KEY) == key and all((out / n).is_file() for n in names):
        return report
    state.combined.pop(STATE_KEY, None)
    if not addresses:
        return report
    if settings.envelopes:
        atomic_write(out / ENVELOPES_PDF, envelopes_pdf([Mailing(a, sender) for a in addresses]))
    if settings.labels:
        atomic_write(out / LABELS_PDF, labels_pdf(addresses, settings.labels))
    state.combined[STATE_KEY] = key  # type: ignore[assignment]
    report.written = True
    return report
