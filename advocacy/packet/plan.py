"""What a packet builds: its settings, its cities and letters, and each letter's content hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advocacy import __version__
from advocacy.dataset import City, DataSet
from advocacy.formats import Style
from advocacy.models import Official, Quote, Sender
from advocacy.text import name_key

if TYPE_CHECKING:  # the letters' modules (Jinja & co), which an unchanged rerun never needs
    from advocacy.generate import LetterJob, Skipped
    from advocacy.templating import TemplateInfo

# -- what to build ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PacketSettings:
    """Everything a packet run depends on besides the data set."""

    out: Path
    folders: tuple[Path, ...]
    formats: tuple[str, ...]
    sender: Sender
    date: dt.date
    quotes: tuple[Quote, ...]
    style: Style
    extras: dict[str, Any] = field(default_factory=dict)
    jobs: int = 1
    force: bool = False
    duplex: bool = False
    #: also write envelopes.pdf (#10) and labels.pdf (an Avery sheet: "5160" or "8160")
    envelopes: bool = False
    labels: str | None = None
    #: the run's inputs as one hash (advocacy.packet.stamp): a run that finishes stamps the
    #: folder with it, and the next run with the same fingerprint need not plan anything
    fingerprint: str | None = None


@dataclass(frozen=True)
class PlannedLetter:
    """One letter of the packet with its content hash; ``key`` is ``city-slug/stem``."""

    job: LetterJob
    digest: str
    #: computed once: a run looks it up a dozen times a letter (state, records, manifests)
    key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.job.folder}/{self.job.stem}")


@dataclass
class CityPlan:
    """A city of the packet: its letters and the officials who get none."""

    city: City
    letters: list[PlannedLetter]
    skipped: list[Skipped]
    officials: int  # officials on record (all roles), before choosing who gets letters


@dataclass
class PacketPlan:
    cities: list[CityPlan]
    inputs_digest: str
    #: a packet of supporters' letters (advocacy.packet.supporters_plan.SupportersPlan)
    supporters: Any = None

    @property
    def letters(self) -> Iterator[PlannedLetter]:
        for city in self.cities:
            yield from city.letters

    @property
    def letter_count(self) -> int:
        return sum(len(c.letters) for c in self.cities)


def select_cities(
    data: DataSet, names: Sequence[str] = (), statuses: Sequence[str] = ()
) -> list[City]:
    """The cities of the packet, in packet order.

    With ``names``, those cities in the order given; without, every city whose tie is not
    terminated, alphabetically. ``statuses`` keeps only ties with one of those statuses.
    """
    if names:
        chosen: list[City] = []
        for name in names:
            city = data.find_city(name)
            if city not in chosen:
                chosen.append(city)
    else:
        chosen = sorted(
            (c for c in data.cities() if statuses or c.tie.status != "terminated"),
            key=lambda c: c.label.casefold(),
        )
    if statuses:
        chosen = [c for c in chosen if c.tie.status in statuses]
    return chosen


def plan_packet(
    data: DataSet,
    cities: Sequence[City],
    settings: PacketSettings,
    *,
    to: str = "all",
    template_name: str | None = None,
) -> PacketPlan:
    """Choose the letters of every city and compute each letter's content hash."""
    from advocacy.generate import plan_city

    folders = list(settings.folders)
    inputs = inputs_digest(settings)
    on_record = Counter((name_key(o.city), o.state) for o in data.officials)
    plans = []
    templates: dict[str, TemplateInfo] = {}  # looked up once for all cities
    for city in cities:
        jobs, skipped = plan_city(
            data,
            city,
            folders,
            to=to,
            template_name=template_name,
            templates=templates,
            date=settings.date,
        )
        letters = [PlannedLetter(job, letter_digest(inputs, job)) for job in jobs]
        count = on_record[(name_key(city.name), city.state)]
        plans.append(CityPlan(city, letters, skipped, count))
    return PacketPlan(plans, inputs)


# -- content hashes -----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-able stand-in for values json cannot encode (dataclasses, paths, dates)."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, value))
    return str(value)


_SORTED_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=_plain).encode


def digest(*parts: Any) -> str:
    return hashlib.sha256(_SORTED_JSON(parts).encode("utf-8")).hexdigest()


def _file_digest(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def template_files_digest(folders: Iterable[Path]) -> str:
    """Hash every file in the template folders: a template, whatever it extends or includes,
    the layout and the stylesheet all live there, so any edit changes this hash."""
    hasher = hashlib.sha256()
    for folder in folders:
        folder = Path(folder)
        hasher.update(f"folder {folder.resolve()}\n".encode())
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if any(p.startswith(".") or p == "__pycache__" for p in relative.parts):
                continue
            if path.is_file():
                hasher.update(f"file {relative.as_posix()} {_file_digest(path)}\n".encode())
    return hasher.hexdigest()


def inputs_digest(settings: PacketSettings) -> str:
    """Hash what every letter shares: templates, style, sender, date, quotes, formats, version."""
    style = settings.style
    return digest(
        __version__,
        template_files_digest(settings.folders),
        {
            "stylesheet": _file_digest(style.stylesheet),
            "reference_docx": _file_digest(style.reference_docx),
            "letterhead": style.letterhead,
        },
        settings.sender.to_dict(),
        settings.date.isoformat(),
        [q.to_dict() for q in settings.quotes],
        list(settings.formats),
        settings.extras,
    )


def letter_digest(
    inputs: str, job: LetterJob, shared: str | None = None, writer: str | None = None
) -> str:
    """Hash one letter: the shared inputs, the official's record, the ties and the template
    (and a supporter's letter: the supporter, their note and their folder).

    ``shared`` is :func:`official_letter_digest` of the job, when the caller already has it
    (every supporter writing to one official shares it), and ``writer`` its
    :func:`writer_digest` (every letter of one supporter shares that).
    """
    base = shared or official_letter_digest(inputs, job)
    if job.sender is None:
        return base
    both = f"{base} {writer or writer_digest(job)}"  # two hex digests: no JSON needed
    return hashlib.sha256(both.encode("ascii")).hexdigest()


def writer_digest(job: LetterJob) -> str:
    """Hash what a supporter's letters share whoever they go to: the supporter as sender,
    their note and their folder (computed once for all of a supporter's letters).

    The hash is :func:`digest` of ``(sender as a mapping, note, folder)``. Its JSON is written
    here directly when the fields are text, None and lines of text (every supporter's):
    json's encoder takes three times the instructions, 10,000 times a packet.
    """
    sender = job.sender
    assert sender is not None
    values = [getattr(sender, name) for name in _SENDER_FIELDS]
    try:
        fields = [_STRING(value) if type(value) is str else _lines_json(value) for value in values]
        text = _SENDER_JSON % (*fields, _STRING(job.personal), _STRING(job.group))
    except TypeError:  # another kind of value: json's own way
        return digest(dict(zip(_SENDER_FIELDS, values, strict=True)), job.personal, job.group)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_STRING = json.encoder.encode_basestring  # a string as json writes it (ensure_ascii=False)
_SENDER_FIELDS = tuple(sorted(Sender.__dataclass_fields__))  # in json's sort_keys order
#: ``_SORTED_JSON((sender, note, folder))`` with a %s for each value
_SENDER_JSON = "[{" + ", ".join(f'"{name}": %s' for name in _SENDER_FIELDS) + "}, %s, %s]"


def _lines_json(value: Any) -> str:
    """None, or a tuple or list of text, as json writes it; TypeError for anything else."""
    if value is None:
        return "null"
    if type(value) is tuple or type(value) is list:
        return "[" + ", ".join(map(_STRING, value)) + "]"
    raise TypeError(type(value).__name__)


def official_letter_digest(inputs: str, job: LetterJob) -> str:
    """Hash what a letter to this official holds whoever sends it (see :func:`letter_digest`)."""
    return digest(
        inputs,
        _official_dict(job.official),
        _ties_dicts(job.city),
        job.city.label,
        _template_dict(job.template),
        job.stem,
    )


_FLAT = (str, int, float, bool, type(None))


def _official_dict(official: Official) -> dict[str, Any]:
    """``official.to_dict()`` as JSON sees it, without ``asdict``'s deep copy (5x faster)."""
    data = {name: getattr(official, name) for name in official.__dataclass_fields__}
    data.pop("origin", None)
    if all(type(value) in _FLAT for value in data.values()):
        return data
    return official.to_dict()


@lru_cache(maxsize=1024)  # the same for every letter to a city
def _ties_dicts(city: City) -> tuple[dict[str, Any], ...]:
    return tuple(tie.to_dict() for tie in city.ties)


@lru_cache(maxsize=256)
def _template_dict(template: TemplateInfo) -> dict[str, Any]:
    return template.to_dict()


def usable_cpus() -> int:
    """The CPUs this process may run on (a container or ``taskset`` may allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1
