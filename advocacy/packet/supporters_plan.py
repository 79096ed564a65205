"""A packet of supporters' letters: each supporter's letters to their own officials.

The letters go through the packet's usual path (content hashes, worker processes, the state
file); each ``LetterJob`` carries its supporter as sender, their note as ``personal`` and their
folder ``supporters/<slug>`` as ``group``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from advocacy.dataset import City, DataSet
from advocacy.generate import LetterJob, Skipped, plan_city
from advocacy.packet.plan import (
    CityPlan,
    PacketPlan,
    PacketSettings,
    PlannedLetter,
    inputs_digest,
    letter_digest,
    official_letter_digest,
    writer_digest,
)
from advocacy.supporters import Supporter, SupporterLoad, assign
from advocacy.templating import TemplateInfo
from advocacy.text import name_key

SUPPORTERS_FOLDER = "supporters"


@dataclass
class SupporterGroup:
    """One supporter: their folder, their letters, and why any letter could not be written."""

    supporter: Supporter
    folder: str
    city: City | None
    letters: list[PlannedLetter] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class SupportersPlan:
    """The supporters of a packet, as read (problems, duplicates) and as planned."""

    load: SupporterLoad
    groups: list[SupporterGroup]

    @property
    def folders(self) -> set[str]:
        return {group.folder for group in self.groups}


def plan_supporters(
    data: DataSet,
    load: SupporterLoad,
    settings: PacketSettings,
    *,
    cities: Sequence[City] | None = None,
    to: str = "all",
    template_name: str | None = None,
) -> PacketPlan:
    """Plan every supporter's letters; ``cities`` (if given) keeps only their supporters."""
    folders = list(settings.folders)
    inputs = inputs_digest(settings)
    wanted = None if cities is None else {(name_key(c.name), c.state) for c in cities}
    templates: dict[str, TemplateInfo] = {}
    city_jobs: dict[str, tuple[list[LetterJob], list[Skipped]]] = {}
    city_plans: dict[str, CityPlan] = {}
    shared_digests: dict[int, str] = {}  # a city job -> official_letter_digest of it
    by_city: dict[str, tuple[dict[int, LetterJob], dict[int, str]]] = {}
    groups: list[SupporterGroup] = []
    slugs: set[str] = set()
    for assignment in assign(data, load.supporters):
        city = assignment.city
        if wanted is not None and (city is None or (name_key(city.name), city.state) not in wanted):
            continue
        supporter = assignment.supporter
        slug = supporter.slug
        while slug in slugs:  # the same name and street elsewhere: still its own folder
            slug += "-x"
        slugs.add(slug)
        folder = f"{SUPPORTERS_FOLDER}/{slug}"
        group = SupporterGroup(supporter, folder, city, reasons=list(assignment.reasons))
        groups.append(group)
        if city is None or not assignment.officials:
            continue
        place = city.slug
        if place not in city_jobs:
            city_jobs[place] = plan_city(
                data,
                city,
                folders,
                to=to,
                template_name=template_name,
                templates=templates,
                date=settings.date,
            )
            count = len(data.officials_of(city))
            city_plans[place] = CityPlan(city, [], city_jobs[place][1], count)
        if place not in by_city:  # who gets a letter in this city, and who does not
            jobs, skipped = city_jobs[place]
            by_city[place] = (
                {id(job.official): job for job in jobs},
                {id(s.official): s.reason for s in skipped},
            )
        by_official, skipped_by_official = by_city[place]
        city_letters = city_plans[place].letters
        sender = supporter.sender()
        note = supporter.note
        writer: str | None = None  # the writer_digest of this supporter's letters
        for official in assignment.officials:
            job = by_official.get(id(official))
            if job is None:
                reason = skipped_by_official.get(id(official))
                if reason:
                    group.reasons.append(f"no letter to {official.name}: {reason}")
                continue
            mine = LetterJob(official, city, job.template, job.stem, sender, note, folder)
            shared = shared_digests.get(id(job))
            if shared is None:
                shared = shared_digests[id(job)] = official_letter_digest(inputs, job)
            writer = writer or writer_digest(mine)
            planned = PlannedLetter(mine, letter_digest(inputs, mine, shared, writer))
            group.letters.append(planned)
            city_letters.append(planned)
    ordered = sorted(city_plans.values(), key=lambda c: c.city.label.casefold())
    return PacketPlan(ordered, inputs, supporters=SupportersPlan(load, groups))
