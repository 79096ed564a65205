"""Plan and write letters: which official gets which template, and the files for each letter.

Used by ``advocacy letter`` (one city) and ``advocacy packet`` (many cities, many processes).
Nothing here prints: results come back as data and the CLI reports them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advocacy import __version__
from advocacy.compose import compose_letter
from advocacy.dataset import City, DataSet
from advocacy.exceptions import AdvocacyError, LookupFailed, TemplateFailed
from advocacy.formats import FILE_FORMATS, Style, renderer, suffix
from advocacy.formats.mailto import mailto_link
from advocacy.letter import Letter
from advocacy.models import ROLES, Official, Quote, Sender
from advocacy.output import NewFolder, atomic_write, inside, write_all_or_none
from advocacy.templating import (
    TemplateInfo,
    find_template,
    make_environment,
    shared_environment,
)
from advocacy.text import name_key, slugify

DEFAULT_TEMPLATES = {"mayor": "mayor", "council_member": "council"}
ROLES_FOR_TO = {"mayor": ("mayor",), "council": ("council_member",), "all": ROLES}


@dataclass(frozen=True)
class LetterJob:
    """One letter to write: who to, for which city, from which template, under which name."""

    official: Official
    city: City
    template: TemplateInfo
    stem: str
    #: a supporter's letter: its own sender, personal note and folder (``supporters/<slug>``)
    sender: Sender | None = None
    personal: str = ""
    group: str = ""

    @property
    def folder(self) -> str:
        return self.group or self.city.slug


@dataclass
class LetterResult:
    """What happened to one letter, as the index and manifest report it."""

    job: LetterJob
    status: str = "ok"  # ok, failed, up-to-date
    files: dict[str, str] = field(default_factory=dict)  # format -> path relative to out/
    sizes: dict[str, int] = field(default_factory=dict)  # format -> bytes written
    mailto: str | None = None
    mailto_length: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    subject: str = ""
    #: a hash of the letter's body text: letters to one official with the same hash are alike
    body: str = ""

    def to_dict(self) -> dict[str, Any]:
        official = self.job.official
        return {
            "official": official.name,
            "role": official.role,
            "title": official.display_title,
            "district": official.district,
            "email": official.email,
            "city": self.job.city.label,
            "template": self.job.template.name,
            "subject": self.subject,
            "files": dict(self.files),
            "mailto": self.mailto,
            "mailto_length": self.mailto_length,
            "warnings": list(self.warnings),
            "status": self.status,
            "error": self.error,
        }


@dataclass(frozen=True)
class Skipped:
    """An official who gets no letter, and why."""

    official: Official
    reason: str


def plan_city(
    data: DataSet,
    city: City,
    folders: list[Path],
    *,
    to: str = "all",
    official_name: str | None = None,
    template_name: str | None = None,
    templates: dict[str, TemplateInfo] | None = None,
    date: dt.date | None = None,
) -> tuple[list[LetterJob], list[Skipped]]:
    """Choose the officials of ``city`` and the template for each; report who is skipped.

    ``templates`` caches the templates looked up by name, e.g. across the cities of a packet
    (finding one reads every template's metadata). ``date`` is the letters' date (default
    today): an official whose term has ended by then, or not yet begun, gets no letter.
    """
    found = {} if templates is None else templates
    date = date or dt.date.today()

    def template(name: str) -> TemplateInfo:
        if name not in found:
            found[name] = find_template(folders, name)
        return found[name]

    roles = ROLES_FOR_TO[to]
    officials = [o for o in data.officials_of(city) if o.role in roles]
    if official_name:
        officials = _match_official(officials, official_name, city)
    chosen = template(template_name) if template_name else None
    jobs: list[LetterJob] = []
    skipped: list[Skipped] = []
    stems: set[str] = set()
    for official in officials:
        absent = official.out_of_office(date)
        if absent:
            skipped.append(Skipped(official, absent))
            continue
        if official.is_stale(date):
            skipped.append(Skipped(official, f"record is stale: {official.note or 'not current'}"))
            continue
        if not official.email and not official.address:
            skipped.append(Skipped(official, "no email and no postal address"))
            continue
        info = chosen or template(DEFAULT_TEMPLATES[official.role])
        if info.audience not in ("any", official.role):
            skipped.append(
                Skipped(official, f"template {info.name!r} is written for {info.audience}s")
            )
            continue
        if info.tie_statuses and city.tie.status not in info.tie_statuses:
            skipped.append(
                Skipped(
                    official,
                    f"template {info.name!r} is for ties that are "
                    f"{' or '.join(info.tie_statuses)}; this one is {city.tie.status}",
                )
            )
            continue
        stem = slugify(official.name)
        if stem in stems:
            stem = slugify(f"{official.name}-{official.district or official.role}")
        while stem in stems:
            stem += "-x"
        stems.add(stem)
        jobs.append(LetterJob(official, city, info, stem))
    return jobs, skipped


def _match_official(officials: list[Official], query: str, city: City) -> list[Official]:
    key = name_key(query)
    exact = [o for o in officials if name_key(o.name) == key or name_key(o.surname) == key]
    found = exact or [o for o in officials if key and key in name_key(o.name)]
    if len(found) == 1:
        return found
    if found:
        names = [o.name for o in found]
        raise LookupFailed(f"{query!r} matches several officials: {'; '.join(names)}", names)
    names = [o.name for o in officials]
    raise LookupFailed(
        f"no official named {query!r} in {city.label} (officials: {', '.join(names)})", names
    )


class LetterFactory:
    """Compose and render letters; one per process, so renderers and fonts are reused."""

    def __init__(
        self,
        folders: list[Path],
        formats: Sequence[str],
        sender: Sender,
        date: dt.date,
        quotes: Sequence[Quote],
        extras: dict[str, Any] | None = None,
        style: Style | None = None,
        durable: bool = True,
    ):
        self.folders = folders
        self.formats = tuple(formats)
        self.sender = sender
        self.date = date
        self.quotes = tuple(quotes)
        self.extras = dict(extras or {})
        self.style = style or Style(tuple(folders))
        # one run's letters: each template is read once (not checked again for every letter)
        self.environment = make_environment(folders, reload=False, memo=True)
        #: fsync every file; the packet does without and checks sizes instead (see output.py)
        self.durable = durable
        self._renderers: dict[str, Any] = {}
        self._exhausted: dict[Path, TemplateFailed] = {}
        # resolved folders of one output folder, by name (hashing the Path for every file
        # cost more than the look-up): emptied when another output folder comes
        self._out: Path | None = None
        self._folders: dict[str, Path] = {}
        self._folder_names: dict[str, str] = {}
        self._html: Any = None  # html_environment, made at first use
        #: the folder being written whole (new_folder): its key (out, folder) and itself
        self._new: tuple[tuple[Path, str], NewFolder] | None = None
        #: letters composed ahead of writing (compose_ahead), or the error composing raised
        self._ahead: dict[int, Letter | Exception] = {}

    def compose_ahead(self, jobs: Sequence[LetterJob]) -> list[Letter]:
        """Compose ``jobs`` now (e.g. to lay their PDFs out together); :meth:`compose` then
        returns each one's letter, or raises the error composing it raised, once. Returns
        the letters composed. :meth:`drop_ahead` forgets what was not used."""
        letters = []
        for job in jobs:
            try:
                letter = self._compose(job)
            except Exception as err:  # noqa: BLE001 - raised again by the job's own compose
                self._ahead[id(job)] = err
            else:
                self._ahead[id(job)] = letter
                letters.append(letter)
        return letters

    def drop_ahead(self) -> None:
        self._ahead.clear()

    def compose(self, job: LetterJob) -> Letter:
        """Compose one letter; a template that ran out of time or memory for an earlier
        letter fails the next ones at once instead of costing its whole budget each time."""
        ahead = self._ahead.pop(id(job), None)
        if isinstance(ahead, Exception):
            raise ahead
        if ahead is not None:
            return ahead
        return self._compose(job)

    def _compose(self, job: LetterJob) -> Letter:
        spent = self._exhausted.get(job.template.path)
        if spent is not None:
            raise TemplateFailed(
                f"{spent.reason} (for an earlier letter; not rendered again)",
                spent.template,
                spent.line,
            )
        try:
            return compose_letter(
                self.environment,
                job.template,
                job.official,
                job.city,
                job.sender or self.sender,
                self.date,
                self.quotes,
                self.extras,
                personal=job.personal,
            )
        except TemplateFailed as err:
            if err.exhausted:
                self._exhausted[job.template.path] = err
            raise

    @property
    def html_environment(self) -> Any:
        """The run's environment for HTML pages (a supporter's page): like the letters', each
        template is read once, not checked again for every page."""
        if self._html is None:
            self._html = make_environment(self.folders, html=True, reload=False)
        return self._html

    def renderer(self, name: str) -> Any:
        """The renderer of format ``name``, built (and its libraries imported) at first use."""
        if name not in self._renderers:
            self._renderers[name] = renderer(name, self.style)
        return self._renderers[name]

    def prepare(self) -> None:
        """Build every renderer now, e.g. in a worker before it takes letters."""
        for name in self.formats:
            if name in FILE_FORMATS:
                self.renderer(name)

    def render(self, letter: Letter, name: str) -> bytes:
        return self.renderer(name).render(letter)

    def path(self, out: Path, folder: str, name: str) -> Path:
        """``out/folder/name``, checked to stay inside ``out``; folders are resolved once
        (resolving costs a system call a path component, twice a file)."""
        if "/" in name or name in (".", "..") or not name:
            return inside(out, folder, name)
        return self._resolved(out, folder) / name

    def file(self, out: Path, folder: str, name: str) -> str:
        """:meth:`path` as a string (joining strings costs a tenth of joining paths); in a
        folder being written whole (:meth:`new_folder`), the path in its temporary folder."""
        if "/" in name or name in (".", "..") or not name:
            return str(inside(out, folder, name))
        new = self._new
        if new is not None and new[0][1] == folder and new[0][0] is out:
            return f"{new[1].prefix}{name}"
        if out is not self._out:
            self._own(out)  # (a worker gets a copy of the same folder for every batch)
        base = self._folder_names.get(folder)
        if base is None:
            base = self._folder_names[folder] = str(self._resolved(out, folder))
        return f"{base}{os.sep}{name}"

    def _own(self, out: Path) -> None:
        """Keep the folders resolved under ``out`` (and forget those of another folder)."""
        if out != self._out:
            self._folders.clear()
            self._folder_names.clear()
        self._out = out

    def write_files(self, files: dict[str, bytes]) -> None:
        """Write files at paths :meth:`file` gave: all of them or none."""
        new = self._new
        if new is not None and new[1].holds(files):
            new[1].write(files)
        else:
            write_all_or_none(files, self.durable)

    @contextlib.contextmanager
    def new_folder(self, out: Path, folder: str) -> Iterator[None]:
        """Within the block, files in ``out/folder`` go to a temporary folder, renamed into
        place when the block ends (:class:`~advocacy.output.NewFolder`) -- when the folder
        does not exist yet; else each file is written and renamed into place on its own.
        A supporter's letters and page all go to their own folder: a new supporter's is
        written whole."""
        final = str(self._resolved(out, folder))
        try:
            os.lstat(final)
            missing = False
        except FileNotFoundError:
            missing = True
        except OSError:  # cannot be looked at: each file then says why it cannot be written
            missing = False
        if not missing:
            yield
            return
        new = NewFolder(final, self.durable)
        self._new = ((out, folder), new)
        try:
            yield
        except BaseException:
            new.discard()
            raise
        finally:
            self._new = None
        new.commit()

    def _resolved(self, out: Path, folder: str) -> Path:
        """``inside(out, folder)``, kept; a new folder under a known one costs one ``lstat``.

        Resolving ``parent/last`` gives the resolved parent joined with ``last`` unless
        ``last`` is a symbolic link (or cannot be looked at): then it is resolved in full.
        A supporter's folder is new for every supporter: resolving each in full cost 5 % of
        a text letter.
        """
        if out is not self._out:
            self._own(out)
        found = self._folders.get(folder)
        if found is not None:
            return found
        parent, _, last = folder.rpartition("/")
        found = None
        if parent and last not in ("", ".", ".."):
            candidate = self._resolved(out, parent) / last
            try:
                if not stat.S_ISLNK(os.lstat(candidate).st_mode):
                    found = candidate
            except FileNotFoundError:
                found = candidate
            except (OSError, ValueError):
                pass
        if found is None:
            found = inside(out, folder)
        self._folders[folder] = found
        return found

    def write(self, job: LetterJob, out: Path) -> LetterResult:
        """Compose the letter and write every file format; failures end up in the result."""
        result = LetterResult(job)
        try:
            letter = self.compose(job)
        except AdvocacyError as err:
            result.status, result.error = "failed", str(err)
            _keep_previous(result, job, out, self.formats)
            return result
        result.subject = letter.subject
        if job.sender is not None:  # supporters' letters: which of them read the same
            text = "\n".join([p.bare for p in letter.paragraphs])
            for own in (job.sender.name, job.sender.email, job.sender.phone):
                if own:  # "a reply at ann@example.org" does not make a letter different
                    text = text.replace(own, "\x00")
            result.body = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        result.warnings.extend(letter.warnings)
        if "mailto" in self.formats:
            link = mailto_link(letter)
            if link is not None:  # without an email, compose_letter has already warned
                result.mailto, result.mailto_length = link.uri, link.length
                if link.shortened:
                    result.warnings.append(f"mailto body shortened to fit {link.length} characters")
        rendered: dict[str, tuple[str, str, bytes]] = {}
        for name in self.formats:
            if name not in FILE_FORMATS:
                continue
            if name == "eml" and not job.official.email:
                continue
            filename = f"{job.stem}{suffix(name)}"
            relative = f"{job.folder}/{filename}"
            try:
                path = self.file(out, job.folder, filename)
                rendered[name] = (relative, path, self.render(letter, name))
            except AdvocacyError as err:
                result.status, result.error = "failed", f"{name}: {err}"
                break
            except Exception as err:  # noqa: BLE001 - reported as this letter's failure
                result.status = "failed"
                result.error = f"{name}: {type(err).__name__}: {err}"
                break
        if result.status == "ok":
            try:
                self.write_files({path: data for _, path, data in rendered.values()})
            except AdvocacyError as err:
                result.status, result.error = "failed", str(err)
        if result.status != "ok":
            _keep_previous(result, job, out, self.formats)
            return result
        for name, (relative, _, data) in rendered.items():
            result.files[name] = relative
            result.sizes[name] = len(data)
        return result


def _keep_previous(result: LetterResult, job: LetterJob, out: Path, formats: Sequence[str]) -> None:
    """A failed letter keeps its files from an earlier run: list them, as they are on disk.

    Nothing of the letter is written unless every format rendered and was written, so the
    files at its names are the last good ones.
    """
    for name in formats:
        if name not in FILE_FORMATS:
            continue
        relative = f"{job.folder}/{job.stem}{suffix(name)}"
        try:
            info = inside(out, relative).stat()
        except (OSError, AdvocacyError):
            continue
        result.files[name] = relative
        result.sizes[name] = info.st_size
    if result.files:
        result.warnings.append("not rendered again: the files of the last good run are kept")


# -- per-city index and manifest -------------------------------------------------------------


def city_manifest(
    city: City, results: Sequence[LetterResult], skipped: Sequence[Skipped], date: dt.date
) -> dict[str, Any]:
    tie = city.tie
    return {
        "advocacy_version": __version__,
        "city": city.label,
        "date": date.isoformat(),
        "tie": {
            "russian_city": tie.russian_city,
            "status": tie.status,
            "status_date": tie.status_date,
            "decided_by": tie.decided_by,
            "decision_source": tie.decision_source,
            "source": tie.source,
            "as_of": tie.as_of,
        },
        "letters": [
            {**r.to_dict(), "files": {k: _relative_to_city(v) for k, v in r.files.items()}}
            for r in results
        ],
        "skipped": [
            {"official": s.official.name, "role": s.official.role, "reason": s.reason}
            for s in skipped
        ],
    }


def _relative_to_city(path: str) -> str:
    return path.split("/", 1)[1] if "/" in path else path


def write_city_index(
    out: Path,
    city: City,
    results: Sequence[LetterResult],
    skipped: Sequence[Skipped],
    folders: list[Path],
    date: dt.date,
    formats: Sequence[str],
) -> tuple[Path, Path]:
    """Write ``index.html`` and ``manifest.json`` into the city's folder."""
    manifest = city_manifest(city, results, skipped, date)
    folder = inside(out, city.slug)
    manifest_path = folder / "manifest.json"
    atomic_write(
        manifest_path,
        (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
    )
    environment = shared_environment(tuple(folders), html=True)
    html = environment.get_template("_city-index.html.j2").render(
        city=city,
        tie=city.tie,
        letters=manifest["letters"],
        skipped=manifest["skipped"],
        formats=[f for f in formats if f in FILE_FORMATS],
        date=date,
        version=__version__,
    )
    index_path = folder / "index.html"
    atomic_write(index_path, html.encode("utf-8"))
    return index_path, manifest_path
