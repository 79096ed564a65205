"""The files of a supporters packet, besides the letters themselves.

- ``supporters/<slug>/index.html``: one supporter's letters, with their own email links. It
  shows that supporter's data only, so an organiser can send each supporter their page. It is
  written with the letters, by the worker that writes them (``supporter_pages.py``).
- ``officials/<city>/<official>.pdf``: per official, a bundle for hand delivery or one
  envelope: a cover page saying how many residents wrote (and who), then each letter.
- ``index.html``: per city and official, how many residents wrote and the bundle; every
  supporter with their page and what could not be written for them.
- ``manifest.csv``/``manifest.json``: one row per (supporter, official) letter.

Each file is written again only when what it shows changed (hashes in the packet's state).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from advocacy import __version__
from advocacy.exceptions import AdvocacyError, OutputError
from advocacy.jsonfile import encoded_lines
from advocacy.output import atomic_stream, atomic_write, inside, staged
from advocacy.packet.forked import Forked, in_child
from advocacy.packet.manifest import tie_dict, write_manifest_csv
from advocacy.packet.plan import PacketPlan, PacketSettings, digest
from advocacy.packet.report import SupportersSummary
from advocacy.packet.state import PacketState
from advocacy.packet.supporter_pages import person as supporter_person
from advocacy.packet.supporter_pages import supporter_row
from advocacy.templating import shared_environment, template_error
from advocacy.text import slugify

OFFICIALS_FOLDER = "officials"
SUPPORTERS_INDEX = "_supporters-index.html.j2"
#: this many letters or more to one official with the same body are reported
IDENTICAL_AT = 10
_PENDING = {"status": "pending", "error": "not written yet: the run stopped before this letter"}


@dataclass
class _Bundle:
    city: Any
    official: Any
    stem: str
    letters: list[tuple[str, str, str]] = field(default_factory=list)  # writer, pdf, digest

    @property
    def path(self) -> str:
        return f"{OFFICIALS_FOLDER}/{self.city.slug}/{self.stem}.pdf"


def write_supporter_files(
    plan: PacketPlan,
    settings: PacketSettings,
    state: PacketState,
    records: dict[str, dict[str, Any]],
    report: Any,
) -> Overview | None:
    """Write the officials' bundles, the index and the manifests (the supporters' pages are
    written with their letters). Part of the overview is written by a child process: pass
    the handle returned to :func:`finish_overview` while the state is saved."""
    out = settings.out
    supporters = plan.supporters
    summary = SupportersSummary(
        supporters=len(supporters.groups),
        duplicates=supporters.load.duplicates,
        problems=[str(p) for p in supporters.load.problems],
        errors=len(supporters.load.errors),
    )
    report.supporters = summary
    rows: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    bundles: dict[tuple[str, str], _Bundle] = {}
    bodies: dict[tuple[str, str], dict[str, int]] = {}
    per_official: dict[tuple[str, str], int] = {}
    bases: dict[tuple[int, int, int], dict[str, Any]] = {}
    files = report.files
    # one pass over 25,000 letters: what is done for every letter is kept to dictionary
    # look-ups (a failure or warning, rarer, is reported by a function of its own)
    for group in supporters.groups:
        supporter = group.supporter
        letters: list[dict[str, Any]] = []
        for planned in group.letters:
            job = planned.job
            record = records.get(planned.key, _PENDING)
            row = supporter_row(bases, group, job, record)
            letters.append(row)
            if row["warnings"] or row["status"] == "failed":
                _report_problems(job, row, report)
            for format_name in row["files"]:
                files[format_name] = files.get(format_name, 0) + 1
            if record.get("mailto"):
                files["mailto"] = files.get("mailto", 0) + 1
            key = (job.city.slug, job.stem)
            per_official[key] = per_official.get(key, 0) + 1
            if job.personal:
                summary.personal += 1
            elif body := record.get("body"):
                counts = bodies.get(key)
                if counts is None:
                    counts = bodies[key] = {}
                counts[body] = counts.get(body, 0) + 1
            bundle = bundles.get(key)
            if bundle is None:
                bundle = bundles[key] = _Bundle(job.city, job.official, job.stem)
            if row["status"] == "ok" and "pdf" in row["files"]:
                bundle.letters.append((supporter.name, row["files"]["pdf"], planned.digest))
        rows.extend(letters)
        if group.reasons:
            summary.reasons.extend((supporter.name, reason) for reason in group.reasons)
        people.append(supporter_person(group, letters))
    names = {(b.city.slug, b.stem): b.official.name for b in bundles.values()}
    for key, counts in bodies.items():
        alike = max(counts.values(), default=0)
        if alike >= IDENTICAL_AT:
            summary.identical.append((names[key], alike))
    if "pdf" in settings.formats:
        _write_bundles(out, settings, state, plan, bundles, summary, report)
    else:
        _remove_bundles(state, set())
    officials = [
        {
            "city": b.city.label,
            "official": b.official.name,
            "title": letter_title_of(b),
            "letters": per_official[key],
            "bundle": b.path if b.letters and "pdf" in settings.formats else None,
        }
        for key, b in sorted(bundles.items(), key=lambda item: (item[1].city.label, item[0][1]))
    ]
    return _write_overview(out, settings, state, plan, rows, people, officials, summary, report)


def letter_title_of(bundle: _Bundle) -> str:
    official = bundle.official
    where = f", District {official.district}" if official.district else ""
    return f"{official.display_title}{where}"


def _report_problems(job: Any, row: dict[str, Any], report: Any) -> None:
    """Report a letter's failure and its warnings, with whom it is from."""
    label = row["city"]
    who = f"{row['official']} (from {job.sender.name if job.sender else '?'})"
    if row["status"] == "failed":
        report.failed.append((label, who, row["error"] or "failed"))
    report.warnings.extend((label, who, w) for w in row["warnings"])


def _render(settings: PacketSettings, name: str, context: dict[str, Any]) -> bytes:
    environment = shared_environment(tuple(settings.folders), html=True)
    try:
        return environment.get_template(name).render(context).encode("utf-8")
    except jinja2.TemplateError as err:
        raise template_error(err, name) from err


#: one column: laying the names out in two (``columns: 2``) took WeasyPrint 100 ms more a cover
COVER_CSS = (
    "@page { size: Letter; margin: 1in; } body { font-family: 'DejaVu Serif', serif; }"
    "h1 { font-size: 20pt; } li { margin: .1em 0; }"
)


class _Covers:
    """Cover pages of the bundles: one font configuration and stylesheet for all of them
    (a new one per cover cost ~0.3 s, mostly finding the fonts again)."""

    def __init__(self) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.fonts = FontConfiguration()
        self.css = CSS(string=COVER_CSS, font_config=self.fonts)

    def pdf(self, bundle: _Bundle, settings: PacketSettings) -> bytes:
        """The bundle's cover page: who it is for, how many residents wrote, and their names."""
        from weasyprint import HTML

        official = bundle.official
        count = len(bundle.letters)
        writers = "".join(f"<li>{html.escape(name)}</li>" for name, _, _ in bundle.letters)
        page = (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'></head><body>"
            f"<h1>{html.escape(official.name)}</h1>"
            f"<p>{html.escape(letter_title_of(bundle))}, {html.escape(bundle.city.label)}</p>"
            f"<p><strong>{count} resident{'s' if count != 1 else ''} of "
            f"{html.escape(bundle.city.name)} wrote to you</strong> about "
            f"{html.escape(bundle.city.name)}'s sister-city tie with "
            f"{html.escape(bundle.city.tie.russian_city)}. Their letters follow, dated "
            f"{settings.date.isoformat()}.</p><ol>{writers}</ol></body></html>"
        )
        pdf: bytes = HTML(string=page).write_pdf(stylesheets=[self.css], font_config=self.fonts)
        return pdf


def _write_bundles(
    out: Path,
    settings: PacketSettings,
    state: PacketState,
    plan: PacketPlan,
    bundles: dict[tuple[str, str], _Bundle],
    summary: SupportersSummary,
    report: Any,
) -> None:
    """Write the bundles that changed: half of them in a forked child, half here.

    Each bundle reads its letters' PDFs again (pypdf parses a tagged letter whole: tens of
    milliseconds) and lays out a cover page, so at the end of a run they kept one CPU busy
    for a long while and the other idle. The child sends back which of its bundles failed.
    """
    known = _recorded_bundles(state)
    now: dict[str, str] = {}
    todo: list[tuple[_Bundle, str]] = []
    for bundle in bundles.values():
        if not bundle.letters:
            continue
        bundle_hash = digest(plan.inputs_digest, bundle.path, [d for _, _, d in bundle.letters])
        now[bundle.path] = bundle_hash
        summary.bundles += 1
        if known.get(bundle.path) != bundle_hash or not (out / bundle.path).is_file():
            todo.append((bundle, bundle_hash))
    failed: dict[str, str] = {}
    if todo:
        covers = _Covers()  # before the fork: the child need not find the fonts again
        child = (
            in_child(lambda: _write_some(out, settings, covers, todo[1::2]))
            if len(todo) > 1
            else None
        )
        try:
            failed.update(_write_some(out, settings, covers, todo[::2]))
        except BaseException:  # Ctrl-C or an error here: the child stops too
            if child is not None:
                child.cancel()
            raise
        if child is not None:
            try:
                failed.update(child.result())
            except AdvocacyError as err:  # the child itself failed: its bundles did
                failed.update((b.path, str(err)) for b, _ in todo[1::2])
    for bundle, _ in todo:
        if bundle.path in failed:
            message = failed[bundle.path]
            report.failed.append((bundle.city.label, bundle.official.name, f"bundle: {message}"))
            now.pop(bundle.path)
        else:
            report.combined_written.append(bundle.path)
    _remove_bundles(state, set(now), known)
    state.combined["bundles"] = json.dumps(now, sort_keys=True)


def _write_some(
    out: Path, settings: PacketSettings, covers: _Covers, todo: list[tuple[_Bundle, str]]
) -> dict[str, str]:
    """Write these bundles; return the error of each that could not be written."""
    from advocacy.packet.pdf import PdfConcatenator

    failed: dict[str, str] = {}
    for bundle, bundle_hash in todo:
        try:
            with atomic_stream(inside(out, bundle.path), durable=False) as stream:
                writer = PdfConcatenator(stream)
                writer.start_section()
                cover = writer.add(covers.pdf(bundle, settings))
                top = writer.bookmark(f"{len(bundle.letters)} residents wrote", cover[0])
                for name, relative, _ in bundle.letters:
                    pages = writer.add(inside(out, relative))
                    writer.bookmark(name, pages[0], top)
                identifier = bytes.fromhex(bundle_hash[:32])
                title = f"Letters to {bundle.official.name}, {settings.date.isoformat()}"
                writer.finish({"Title": title, "Producer": f"advocacy {__version__}"}, identifier)
        except (OSError, AdvocacyError, ValueError) as err:
            failed[bundle.path] = str(err)
    return failed


def _recorded_bundles(state: PacketState) -> dict[str, str]:
    try:
        recorded = json.loads(state.combined.get("bundles") or "{}")
    except ValueError:
        return {}
    return recorded if isinstance(recorded, dict) else {}


def _remove_bundles(
    state: PacketState, keep: set[str], known: dict[str, str] | None = None
) -> None:
    """Delete the bundles an earlier run wrote that this one has not (their official's gone)."""
    for path in set(known if known is not None else _recorded_bundles(state)) - keep:
        state.remove(path)
    if known is None:
        state.combined.pop("bundles", None)


@dataclass
class Overview:
    """The overview being written: ``manifest.csv`` and ``index.html`` in their temporary
    files by a child process, and ``manifest.json`` either written already or, when letters
    were rendered, by a second child (``writer``); :func:`finish_overview` puts them in
    place."""

    out: Path
    child: Forked
    digest: str
    #: the files on disk already show this overview: the child's are dropped
    current: bool
    #: the run wrote every letter: the overview is recorded as written
    complete: bool
    #: the child writing ``manifest.json`` too (letters were rendered); the digest and
    #: ``current`` are then known once it is done, from these
    writer: Forked | None = None
    inputs_digest: str = ""
    shown: list[Any] = field(default_factory=list)
    report: Any = None


def _write_overview(
    out: Path,
    settings: PacketSettings,
    state: PacketState,
    plan: PacketPlan,
    rows: list[dict[str, Any]],
    people: list[dict[str, Any]],
    officials: list[dict[str, Any]],
    summary: SupportersSummary,
    report: Any,
) -> Overview | None:
    """``index.html``, ``manifest.csv`` and ``manifest.json`` at the top of the folder.

    The CSV and ``index.html`` are written by a child process (:mod:`forked`) while this one
    encodes ``manifest.json``, whose hash says whether the overview changed (None: it did
    not, nothing is written). Letters rendered in this run nearly always change it, so then
    the child starts first, and its files are dropped in the rare case it did not.
    """
    totals = {
        "supporters": summary.supporters,
        "duplicates": summary.duplicates,
        "letters": len(rows),
        "ok": sum(1 for r in rows if r["status"] == "ok"),
        "failed": sum(1 for r in rows if r["status"] == "failed"),
        "pending": sum(1 for r in rows if r["status"] == "pending"),
        "personal": summary.personal,
        "bundles": summary.bundles,
        "files": dict(report.files),
    }
    cities = [
        {"city": c.city.label, "tie": tie_dict(c.city), "letters": len(c.letters)}
        for c in plan.cities
    ]
    context = {
        "totals": totals,
        "cities": cities,
        "officials": officials,
        "people": people,
        "identical": summary.identical,
        "identical_at": IDENTICAL_AT,
        "date": settings.date,
        "version": __version__,
        "slug": slugify,
    }

    def write_csv_and_page() -> list[str]:
        return [
            staged(out / "manifest.csv", lambda s: write_manifest_csv(s, rows, supporters=True)),
            staged(
                out / "index.html", lambda s: s.write(_render(settings, SUPPORTERS_INDEX, context))
            ),
        ]

    manifest = {
        "advocacy_version": __version__,
        "date": settings.date.isoformat(),
        "formats": list(settings.formats),
        "totals": totals,
        "identical": [{"official": o, "letters": n} for o, n in summary.identical],
        "cities": cities,
        "officials": officials,
        "letters": rows,
    }
    # the manifest holds every letter's row, the officials and the totals: what the page
    # shows besides is each supporter and what could not be written for them
    shown = [(p["name"], p["city"], p["folder"], p["reasons"]) for p in people]
    complete = not report.pending and not report.interrupted
    if report.rendered:
        # letters rendered in this run nearly always change the overview: all three files
        # are written by two children at once (the manifest takes longest), and whether
        # they are new is decided from the manifest's hash when they are done
        child = in_child(write_csv_and_page)
        try:
            writer = in_child(lambda: _stage_manifest(out, manifest))
        except BaseException:
            child.cancel()
            raise
        return Overview(out, child, "", False, complete, writer, plan.inputs_digest, shown, report)
    manifest_json = b"".join(encoded_lines(manifest))
    overview_hash = _overview_digest(plan.inputs_digest, _hash(manifest_json), shown)
    if _overview_current(out, state, overview_hash):
        return None
    state.combined.pop("packet", None)
    child = in_child(write_csv_and_page)
    try:
        atomic_write(out / "manifest.json", manifest_json)
    except BaseException:
        child.cancel()
        raise
    report.combined_written += list(OVERVIEW_NAMES)
    return Overview(out, child, overview_hash, False, complete)


OVERVIEW_NAMES = ("index.html", "manifest.csv", "manifest.json")


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _overview_digest(inputs_digest: str, manifest_hash: str, shown: list[Any]) -> str:
    return digest(inputs_digest, manifest_hash, shown)


def _overview_current(out: Path, state: PacketState, overview_hash: str) -> bool:
    return state.combined.get("packet") == overview_hash and all(
        (out / n).is_file() for n in OVERVIEW_NAMES
    )


def _stage_manifest(out: Path, manifest: dict[str, Any]) -> list[str]:
    """In a child: ``manifest.json`` encoded and written to its temporary file; its hash and
    the file's name."""
    manifest_json = b"".join(encoded_lines(manifest))
    return [_hash(manifest_json), staged(out / "manifest.json", lambda s: s.write(manifest_json))]


def finish_overview(overview: Overview | None, state: PacketState, interrupted: bool) -> None:
    """Wait for the children writing the overview and put their files in place; then (a run
    that wrote every letter) record the overview as written. When a child failed, the
    overview is not recorded (the next run writes it again) and its error is raised. A run
    stopped by Ctrl-C stops the children too: the temporary files they may have left are
    removed by the next run (an interrupted run leaves no stamp)."""
    if overview is None:
        return
    children = [overview.child] + ([overview.writer] if overview.writer is not None else [])
    if interrupted:
        for child in children:
            child.cancel()
        return
    staged: list[str] = []
    try:
        staged += overview.child.result()  # manifest.csv, index.html
        if overview.writer is not None:
            manifest_hash, manifest_file = overview.writer.result()
            staged.append(manifest_file)
    except BaseException:
        for child in children:
            child.cancel()
        for temporary in staged:
            Path(temporary).unlink(missing_ok=True)
        raise
    targets = [overview.out / "manifest.csv", overview.out / "index.html"]
    if overview.writer is not None:
        targets.append(overview.out / "manifest.json")
        overview.digest = _overview_digest(overview.inputs_digest, manifest_hash, overview.shown)
        overview.current = _overview_current(overview.out, state, overview.digest)
    if overview.current:  # the files there are the overview already: the children's go
        for temporary in staged:
            Path(temporary).unlink(missing_ok=True)
        return
    state.combined.pop("packet", None)
    try:
        for temporary, target in zip(staged, targets, strict=True):
            os.replace(temporary, target)
    except OSError as err:
        for temporary in staged:
            Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"cannot write {overview.out}: {err.strerror or err}") from err
    if overview.report is not None:
        overview.report.combined_written += list(OVERVIEW_NAMES)
    if overview.complete:
        state.combined["packet"] = overview.digest
