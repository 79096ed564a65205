"""A packet run: render what is out of date, then write the combined files."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advocacy import __version__
from advocacy.exceptions import AdvocacyError, TemplateFailed, WorkerDied
from advocacy.formats import FILE_FORMATS
from advocacy.generate import write_city_index
from advocacy.jsonfile import encoded_lines
from advocacy.output import atomic_stream, atomic_write, inside, remove_stale_temporaries
from advocacy.packet import stamp
from advocacy.packet.mailing import write_mailing
from advocacy.packet.manifest import letter_title, manifest_csv, manifest_row, tie_dict
from advocacy.packet.plan import PacketPlan, PacketSettings, PlannedLetter, digest
from advocacy.packet.report import PacketReport
from advocacy.packet.state import COMBINED_KEYS, PacketState, exclusive_lock
from advocacy.packet.supporter_pages import (
    page_is_current,
    page_key,
    page_path,
    recorded,
)
from advocacy.packet.supporters_files import Overview, finish_overview, write_supporter_files
from advocacy.packet.supporters_plan import SUPPORTERS_FOLDER
from advocacy.packet.workers import Unit, render_letters, render_units, result_of
from advocacy.templating import shared_environment

if TYPE_CHECKING:  # imported where a PDF is made: pypdf & co take 0.3 s to import
    from advocacy.packet.pdf import PacketPdfBuilder

INDEX_HTML = "index.html"
MANIFEST_CSV = "manifest.csv"
MANIFEST_JSON = "manifest.json"
README_TXT = "README.txt"
INDEX_TEMPLATE = "_packet-index.html.j2"
README_TEMPLATE = "_packet-readme.txt.j2"
NO_OFFICIALS = "no officials on record"


# -- the run ------------------------------------------------------------------------------------


def build_packet(
    plan: PacketPlan,
    settings: PacketSettings,
    *,
    progress: Callable[[PlannedLetter, dict[str, Any]], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> PacketReport:
    """Render what is out of date, then write the combined files; return what happened.

    ``on_start(n)`` is called with the number of letters to render, ``progress`` after each.
    Ctrl-C (KeyboardInterrupt) stops the run cleanly: the report says ``interrupted``.
    """
    started = clock()
    out = settings.out
    report = PacketReport(out, cities=len(plan.cities), letters=plan.letter_count)
    with exclusive_lock(out) as lock_fd:
        # a run that finished left a stamp, and no temporary file behind: only after a run
        # that did not (killed, failed) is the folder searched for them
        if not stamp.clear(out):
            remove_stale_temporaries(out)
        state = PacketState.load(out)
        if state.set_aside is not None:
            report.notices.append(
                f"the state file was damaged: set aside as {state.set_aside.name}; every "
                "letter is rendered again"
            )
        records: dict[str, dict[str, Any]] = {}
        todo: list[PlannedLetter] = []
        for letter in plan.letters:
            cached = None if settings.force else state.up_to_date(letter)
            if cached is None:
                todo.append(letter)
            else:
                records[letter.key] = cached
        report.removed_cities = _forget_unplanned(state, plan)
        units: list[Unit] = []
        pages: dict[str, str] = {}
        if plan.supporters is not None:
            units, pages = _supporter_units(plan, settings, state, todo)
            todo = [letter for unit in units for letter in unit.letters]
            for letter in todo:
                records.pop(letter.key, None)
        report.up_to_date = len(records)
        if on_start is not None:
            on_start(len(todo))
        builder = None
        overview: Overview | None = None  # a supporters packet's overview, being written
        if todo and "pdf" in settings.formats and plan.supporters is None:
            from advocacy.packet.pdf import PacketPdfBuilder

            builder = PacketPdfBuilder(plan, settings, records)
        # the end of a run that lays out no page (no PDF, no envelopes or labels: WeasyPrint's
        # layouts are full of reference cycles) runs without the collector
        no_layout = not ("pdf" in settings.formats or settings.envelopes or settings.labels)
        with _collector_spared(paused_end=no_layout) as rendered:
            try:
                try:
                    if plan.supporters is None:
                        for letter, record in render_letters(todo, settings, lock_fd):
                            if builder is not None:
                                builder.arrived(letter.key, record)
                            else:
                                records[letter.key] = record
                            state.record(letter, record)
                            report.rendered += 1
                            if progress is not None:
                                progress(letter, record)
                    else:
                        for unit, written, page in render_units(units, settings, lock_fd):
                            for letter, record in zip(unit.letters, written, strict=True):
                                records[letter.key] = record
                                state.record(letter, record, flush=False)
                                report.rendered += 1
                                if progress is not None:
                                    progress(letter, record)
                            state.flush()
                            _page_written(
                                unit, written, page, pages, state, report,
                                plan.inputs_digest, settings.formats,
                            )  # fmt: skip
                except KeyboardInterrupt:
                    report.interrupted = True
                except WorkerDied as err:
                    report.error = str(err)
                report.pending = report.letters - len(records)
                rendered()
                if builder is not None:
                    builder.close()
                if plan.supporters is None:
                    _write_combined(plan, settings, state, records, report, builder)
                    if not report.pending and not report.interrupted and not report.error:
                        report.mailing = write_mailing(plan, settings, state, records)
                        if report.mailing is not None and report.mailing.written:
                            report.combined_written += list(report.mailing.files)
                else:
                    overview = write_supporter_files(plan, settings, state, records, report)
            except KeyboardInterrupt:
                report.interrupted = True
            finally:
                if builder is not None:
                    builder.close()
                    builder.discard()
                known = _save(state, overview, report, stamped=settings.fingerprint is not None)
            if settings.fingerprint is not None and known is not None and _finished(report):
                # only a shortcut for the next run: without it (a full disk) that run checks the
                # letters one by one
                with contextlib.suppress(AdvocacyError, OSError):
                    files = _stamp_files(state)
                    stamp.write(out, settings.fingerprint, files, _stamp_summary(report), known)
    report.elapsed = clock() - started
    return report


@contextlib.contextmanager
def _collector_spared(*, paused_end: bool = True) -> Iterator[Callable[[], None]]:
    """Keep the cyclic collector off what the run holds to its end; call the function given
    when the letters are rendered.

    A supporters packet holds ~2 million objects from its plan to its end (the letters and
    their jobs, then their records), and the collector's full passes over all of them cost
    ~2 s of the parent's time, most of it while the workers needed both CPUs. So what exists
    before rendering is frozen (:func:`gc.freeze`: still freed when nothing refers to it;
    only a reference cycle waits for the end of the block), the records too once rendered,
    and with ``paused_end`` the end of the run, which makes rows and pages for the manifests
    but no cycles, runs without the collector. Its state at the end is the caller's.
    Objects that were frozen before the run stay as they were (the collector is then left
    as it is).
    """
    enabled = gc.isenabled()
    freeze = not gc.get_freeze_count()
    if freeze:
        gc.freeze()
        gc.enable()  # while rendering (a caller may have paused it while planning)

    def rendered() -> None:
        if freeze:
            gc.freeze()
        if paused_end:
            gc.disable()

    try:
        yield rendered
    finally:
        if freeze:
            gc.unfreeze()
        if enabled:
            gc.enable()
        else:
            gc.disable()


def _save(
    state: PacketState, overview: Overview | None, report: PacketReport, *, stamped: bool
) -> dict[str, int] | None:
    """Save the state, and return the sizes the stamp lists without a stat (None: the run
    will not be stamped).

    A supporters packet's child writing the overview is waited for, and its files put in
    place, while the state is saved (once the letters are encoded, before the combined
    hashes are): so the state claims the overview only once it is there. Meanwhile this
    process gathers what the stamp needs. The child's error, or a Ctrl-C while waiting for
    it, is raised once the state is saved (without the overview recorded as written).
    """
    known: dict[str, int] | None = None
    failure: list[BaseException] = []
    finished = False  # set when finishing() runs: save() calls it at most once

    def finishing() -> None:
        nonlocal known, finished
        finished = True
        if stamped and _finished(report):
            known = _known_sizes(state)
        try:
            finish_overview(overview, state, report.interrupted)
        except BaseException as err:  # noqa: BLE001 - raised once the state is saved
            failure.append(err)

    try:
        state.save(finishing)
    except BaseException:
        # stopped (Ctrl-C) or failed before it got there: the overview is not put in place,
        # its temporary files are removed by the next run (this one leaves no stamp)
        if not finished and overview is not None:
            overview.child.cancel()
        raise
    if failure:
        raise failure[0]
    return known


def _known_sizes(state: PacketState) -> dict[str, int]:
    """The files of the letters and of the supporters' pages, with the sizes recorded as
    they were written (and checked since): the stamp lists them without a stat each."""
    known = state.file_sizes()
    for key, value in state.combined.items():
        if key.startswith(f"{SUPPORTERS_FOLDER}/"):  # a page: "hash size"
            size = value.rsplit(" ", 1)[-1]
            if size.isdigit():
                known[page_path(key)] = int(size)
    return known


def _stamp_files(state: PacketState) -> list[str]:
    """The other files the packet wrote: those the state lists by folder (each city's index
    and manifest, the bundles), and the folder's own."""
    files: list[str] = []
    for key, value in state.combined.items():
        if key == "bundles":
            with contextlib.suppress(ValueError, TypeError):
                files.extend(json.loads(value or "{}"))
        elif key not in COMBINED_KEYS and not key.startswith(f"{SUPPORTERS_FOLDER}/"):
            files += [f"{key}/{INDEX_HTML}", f"{key}/{MANIFEST_JSON}"]  # a city's folder
    with contextlib.suppress(OSError), os.scandir(state.out) as entries:
        files += [entry.name for entry in entries if entry.is_file(follow_symlinks=False)]
    return files


def _finished(report: PacketReport) -> bool:
    return not (report.pending or report.interrupted or report.error or report.failed)


def _stamp_summary(report: PacketReport) -> dict[str, Any]:
    """What the summary of a run that finds everything up to date says."""
    summary: dict[str, Any] = {"letters": report.letters, "cities": report.cities}
    if report.supporters is not None:
        summary["supporters"] = asdict(report.supporters)
    return summary


def _supporter_units(
    plan: PacketPlan, settings: PacketSettings, state: PacketState, todo: list[PlannedLetter]
) -> tuple[list[Unit], dict[str, str]]:
    """The supporters whose letters or page must be written, and the hashes of the pages
    written before (a page never written gets its hash once it is).

    A supporter's page is written by the worker that writes their letters, from the letters'
    results (their ``mailto:`` links stay in the worker). So when a page must be written
    again, all of that supporter's letters are rendered again with it: a few letters, and only
    for the supporters whose letters or page changed.
    """
    waiting = {letter.key for letter in todo}
    units: list[Unit] = []
    pages: dict[str, str] = {}
    for group in plan.supporters.groups:
        stored = state.combined.get(group.folder)
        if stored is None:  # never written: its hash is computed once it is (_page_written)
            units.append(Unit(tuple(group.letters), group))
            continue
        key = pages[group.folder] = page_key(plan.inputs_digest, group, settings.formats)
        current = page_is_current(settings.out, group, key, stored)
        if not current or any(letter.key in waiting for letter in group.letters):
            units.append(Unit(tuple(group.letters), group))
    return units, pages


def _page_written(
    unit: Unit,
    written: list[dict[str, Any]],
    page: Any,
    pages: dict[str, str],
    state: PacketState,
    report: PacketReport,
    inputs_digest: str,
    formats: tuple[str, ...],
) -> None:
    """Record a supporter's page: done only when every letter on it was written."""
    group = unit.group
    state.combined.pop(group.folder, None)
    if page is None:
        return
    path, size, error = page
    if error is not None:
        where = group.city.label if group.city is not None else group.supporter.city
        report.failed.append((where, group.supporter.name, f"{page_path(group.folder)}: {error}"))
        return
    report.combined_written.append(path)
    if all(record.get("status") == "ok" for record in written):
        key = pages.get(group.folder) or page_key(inputs_digest, group, formats)
        state.combined[group.folder] = recorded(key, size)


def _forget_unplanned(state: PacketState, plan: PacketPlan) -> list[str]:
    """Remove the letters (and their files) this packet no longer has; return dropped cities.

    A letter of one of the packet's cities that is no longer planned (``--to mayor`` after
    ``--to all``) goes, and so does a city left out of this run (``--city`` or ``--status``
    changed): its letters, its index and manifest, and its folder when nothing else is in it.
    Only files a packet run wrote and recorded are removed.
    """
    planned = {letter.key for letter in plan.letters}
    folders = {city.city.slug for city in plan.cities}
    gone: set[str] = set()
    if plan.supporters is not None:
        folders |= plan.supporters.folders
    for key in [k for k in state.letters if k not in planned]:
        state.forget(key)
        gone.add(key.rsplit("/", 1)[0])  # a city's folder, or supporters/<slug>
    # a city folder's index is recorded in ``combined`` under the folder's name
    dropped = sorted((gone | set(state.combined)) - folders - set(COMBINED_KEYS))
    for folder in dropped:
        state.combined.pop(folder, None)
        for name in (INDEX_HTML, MANIFEST_JSON):
            state.remove(f"{folder}/{name}")
        with contextlib.suppress(OSError, AdvocacyError):
            inside(state.out, folder).rmdir()  # only when empty: nothing of the user's is lost
    return dropped


PENDING = {"status": "pending", "error": "not written yet: the run stopped before this letter"}


def _pending(state: PacketState, key: str) -> dict[str, Any]:
    """A letter the run did not reach: it keeps the files of its last run, listed as such."""
    old = (state.letters.get(key) or {}).get("record") or {}
    if old.get("status") != "ok" or not old.get("files"):
        return PENDING
    return {
        **PENDING,
        "files": dict(old["files"]),
        "sizes": dict(old.get("sizes") or {}),
        "warnings": ["not rendered again yet: the files of its last run are kept"],
    }


def _write_combined(
    plan: PacketPlan,
    settings: PacketSettings,
    state: PacketState,
    records: dict[str, dict[str, Any]],
    report: PacketReport,
    builder: PacketPdfBuilder | None = None,
) -> None:
    """Write each city's index and manifest, then the packet's own files, where they changed.

    ``builder``, if given, has built packet.pdf while the letters were rendered.
    """
    from advocacy.packet.pdf import PACKET_PDF, packet_pdf_options, write_packet_pdf

    out = settings.out
    folders = list(settings.folders)
    complete = not report.pending and not report.interrupted and not report.error
    rows: list[dict[str, Any]] = []
    cities: list[dict[str, Any]] = []
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for city_plan in plan.cities:
        city = city_plan.city
        results = [
            result_of(p.job, records.get(p.key) or _pending(state, p.key))
            for p in city_plan.letters
        ]
        city_rows = [manifest_row(city, r) for r in results]
        skipped = [
            {"official": s.official.name, "role": s.official.role, "reason": s.reason}
            for s in city_plan.skipped
        ]
        digests = [p.digest for p in city_plan.letters]
        city_hash = digest(
            plan.inputs_digest, city.label, tie_dict(city), city_rows, skipped, digests
        )
        city_files = [f"{city.slug}/{INDEX_HTML}", f"{city.slug}/{MANIFEST_JSON}"]
        has_folder = bool(city_plan.letters or city_plan.skipped)
        changed = state.combined.get(city.slug) != city_hash or not _all_exist(out, city_files)
        if has_folder and changed:
            state.combined.pop(city.slug, None)
            write_city_index(
                out, city, results, city_plan.skipped, folders, settings.date, settings.formats
            )
            state.combined[city.slug] = city_hash
            report.combined_written.append(city.slug)
        for result in results:
            name = result.job.official.name
            if result.status == "failed":
                report.failed.append((city.label, name, result.error or "failed"))
            report.warnings.extend((city.label, name, w) for w in result.warnings)
            for format_name in result.files:
                report.files[format_name] = report.files.get(format_name, 0) + 1
            if result.mailto:
                report.files["mailto"] = report.files.get("mailto", 0) + 1
        report.skipped.extend((city.label, s.official.name, s.reason) for s in city_plan.skipped)
        if not city_plan.officials:
            report.without_officials.append(city.label)
        rows.extend(city_rows)
        cities.append(
            {
                "city": city.label,
                "folder": city.slug,
                "tie": tie_dict(city),
                "letters": city_rows,
                "skipped": skipped,
                "officials_on_record": city_plan.officials,
                "note": NO_OFFICIALS if not city_plan.officials else "",
            }
        )
        pdfs = [
            (letter_title(r.job), r.files["pdf"])
            for r in results
            if r.status == "ok" and "pdf" in r.files
        ]
        sections.append((city.label, pdfs))

    totals = {
        "cities": len(cities),
        "letters": len(rows),
        "ok": sum(1 for r in rows if r["status"] == "ok"),
        "failed": sum(1 for r in rows if r["status"] == "failed"),
        "pending": sum(1 for r in rows if r["status"] == "pending"),
        "skipped": len(report.skipped),
        "files": dict(report.files),
        "without_officials": len(report.without_officials),
    }
    combined_hash = digest(
        plan.inputs_digest, cities, [p.digest for p in plan.letters], settings.duplex, complete
    )
    wants_pdf = "pdf" in settings.formats and any(letters for _, letters in sections)
    # a run where letters failed does not replace the last good packet.pdf with one that
    # lacks them; the manifest says it is kept (a first run still gets one)
    keep_pdf = wants_pdf and bool(report.failed) and (out / PACKET_PDF).is_file()
    names = [INDEX_HTML, MANIFEST_CSV, MANIFEST_JSON, README_TXT]
    if wants_pdf and complete:
        names.append(PACKET_PDF)
    if state.combined.get("packet") == combined_hash and _all_exist(out, names):
        if wants_pdf and complete:
            report.pages = state.combined.get("packet_pages")  # type: ignore[assignment]
        return
    state.combined.pop("packet", None)
    manifest = {
        "advocacy_version": __version__,
        "date": settings.date.isoformat(),
        "formats": list(settings.formats),
        "duplex": settings.duplex,
        "complete": complete,
        "packet_pdf": _packet_pdf_note(wants_pdf, complete, keep_pdf),
        "totals": totals,
        "cities": [{key: value for key, value in c.items() if key != "letters"} for c in cities],
        "letters": rows,
    }
    with atomic_stream(out / MANIFEST_JSON) as stream:
        for chunk in encoded_lines(manifest):
            stream.write(chunk)
    atomic_write(out / MANIFEST_CSV, manifest_csv(rows))
    # the last packet.pdf goes only when this packet has no PDFs any more (--format without
    # pdf, or a finished run without a letter in PDF): a run stopped before any letter was
    # written again has no PDF to show either, and keeps the last one
    no_pdfs = "pdf" not in settings.formats or (complete and not report.failed)
    if not wants_pdf and no_pdfs and state.combined.pop("packet_pages", None) is not None:
        (out / PACKET_PDF).unlink(missing_ok=True)  # ours, from a run that had PDFs
    if keep_pdf:
        report.pages = state.combined.get("packet_pages")  # type: ignore[assignment]
    elif wants_pdf and complete:
        built = builder.install() if builder is not None else None
        if built is None:
            options = packet_pdf_options(plan, settings)
            built = write_packet_pdf(out / PACKET_PDF, out, sections, **options)
        report.pages = built
        state.combined["packet_pages"] = report.pages  # type: ignore[assignment]
    context = {
        "cities": cities,
        "totals": totals,
        "formats": [f for f in settings.formats if f in FILE_FORMATS],
        "mailto": "mailto" in settings.formats,
        "date": settings.date,
        "version": __version__,
        "duplex": settings.duplex,
        "packet_pdf": PACKET_PDF if wants_pdf and (complete or keep_pdf) else None,
        "pages": report.pages,
        "complete": complete,
        "sender": settings.sender,
    }
    _render_template(folders, INDEX_TEMPLATE, context, out / INDEX_HTML, html=True)
    _render_template(folders, README_TEMPLATE, context, out / README_TXT, html=False)
    report.combined_written += names
    if complete:
        state.combined["packet"] = combined_hash


def _packet_pdf_note(wants_pdf: bool, complete: bool, kept: bool) -> str | None:
    if not wants_pdf:
        return None
    if kept:
        return "kept from the last run without failures: letters failed in this run"
    return "this run" if complete else "not written: the run did not finish"


def _all_exist(out: Path, names: Iterable[str]) -> bool:
    return all((out / name).is_file() for name in names)


def _render_template(
    folders: list[Path], name: str, context: dict[str, Any], path: Path, *, html: bool
) -> None:
    import jinja2

    from advocacy.templating import template_error

    try:
        text = shared_environment(tuple(folders), html=html).get_template(name).render(context)
    except jinja2.TemplateError as err:
        raise template_error(err, name) from err
    except TemplateFailed:
        raise
    atomic_write(path, text.encode("utf-8"))
