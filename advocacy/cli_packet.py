"""``advocacy packet``: every city's letters and the files that tie them together.

Only the option parsing and the reporting live here; :mod:`advocacy.packet` does the work.
Nothing heavy is imported at import time, so ``advocacy --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from advocacy.cli_common import State, pass_state
from advocacy.cli_options import campaign_options, letter_inputs, letter_options

SUPPORTERS_OPTION = click.option(
    "--supporters",
    "supporters_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Supporters (CSV, YAML or JSON): each writes their own letters to their officials.",
)


@click.command()
@campaign_options
@letter_options
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/packet"),
    show_default=True,
    help="Output folder.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes rendering letters [default: the number of CPUs this process may use].",
)
@click.option("--force", is_flag=True, help="Render every letter again, even if up to date.")
@click.option(
    "--duplex",
    is_flag=True,
    help="In packet.pdf, start each letter on a new sheet (for printing on both sides).",
)
@click.option(
    "--envelopes",
    is_flag=True,
    help="Also write envelopes.pdf: a #10 envelope for each letter with a postal address.",
)
@click.option(
    "--labels",
    type=click.Choice(["5160", "8160"]),
    default=None,
    help="Also write labels.pdf: address labels on Avery 5160/8160 sheets (30 a sheet).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; only the summary.")
@SUPPORTERS_OPTION
@pass_state
def packet(
    state: State,
    cities: tuple[str, ...],
    statuses: tuple[str, ...],
    to: str,
    template: str | None,
    templates_dir: Path | None,
    formats: str,
    sender_path: Path | None,
    date: dt.date,
    signers_path: Path | None,
    meeting_date: str | None,
    agenda_item: str | None,
    out: Path,
    jobs: int | None,
    force: bool,
    duplex: bool,
    envelopes: bool,
    labels: str | None,
    quiet: bool,
    supporters_path: Path | None,
) -> None:
    """Write the campaign packet: letters to every official of every selected city.

    Writes OUT/<city>/ exactly as `advocacy letter` does, and at the top packet.pdf (every
    letter, with bookmarks), index.html (the overview, with email links), manifest.csv,
    manifest.json and README.txt.

    A rerun renders only letters whose inputs changed (templates, official, tie, quotes,
    sender, date, formats, version); --force renders all. Safe to interrupt: files are
    written atomically and the next run finishes what is missing. Exits 1 if a letter failed
    (the others are still written), 130 when stopped with Ctrl-C.

    \b
    Examples:
      advocacy packet --sender me.toml
      advocacy packet --status kept --to mayor --format pdf,mailto --duplex
      advocacy packet --city "San Jose, CA" --city portland-or --jobs 2 --out letters
      advocacy packet --envelopes --labels 5160
      advocacy packet --supporters supporters.csv --sender me.toml --out campaign

    With --supporters FILE (CSV, YAML or JSON: name, address, city, state, zip, email, phone,
    district, note, organisation) each supporter writes their own letters to their city's
    mayor, its at-large members and their district's member(s): OUT/supporters/<name>/ (their
    letters and their own index.html), OUT/officials/<city>/<official>.pdf (a bundle: a cover
    page, then every resident's letter), index.html and the manifests (one row per supporter
    and official). The folder is made readable by its owner only.
    """
    # only what an unchanged rerun needs: the rest (WeasyPrint's pypdf & co) after the stamp
    from advocacy.packet import stamp

    started = time.monotonic()
    # the stamp's files are checked by a child process while this one reads the inputs
    early = None if force else stamp.check_early(out)
    if early is not None:  # once its verdict came, or is no longer wanted
        click.get_current_context().call_on_close(early.cancel)
    from advocacy.packet import PacketSettings, select_cities, usable_cpus

    data = state.dataset()
    selected = select_cities(data, cities, statuses)
    inputs = letter_inputs(
        state,
        templates_dir,
        formats,
        sender_path,
        signers_path,
        meeting_date,
        agenda_item,
        warn_sender=supporters_path is None,
    )
    settings = PacketSettings(
        out=out,
        folders=tuple(inputs.folders),
        formats=inputs.formats,
        sender=inputs.sender,
        date=date,
        quotes=tuple(data.quotes),
        style=inputs.style,
        extras=inputs.extras,
        jobs=jobs or usable_cpus(),
        force=force,
        duplex=duplex,
        envelopes=envelopes,
        labels=labels,
    )
    options: dict[str, Any] = {"to": to, "template": template}
    if supporters_path is not None:
        only = selected if (cities or statuses) else None
        options.update(
            supporters=str(supporters_path),
            supporters_digest=_digest_or_none(supporters_path),
            cities=None if only is None else [city.label for city in only],
        )
    else:
        options["cities"] = [city.label for city in selected]
    fingerprint = stamp.fingerprint(settings, data, **options)
    settings = replace(settings, fingerprint=fingerprint)
    if not force:
        stamped = stamp.up_to_date(out, fingerprint, early)
        if stamped is not None and _up_to_date(stamped, out, time.monotonic() - started, quiet):
            return
    if supporters_path is not None:
        run_supporters(data, supporters_path, settings, only, to, template, quiet)
        return
    from advocacy.packet import plan_packet

    plan = plan_packet(data, selected, settings, to=to, template_name=template)
    report = _build(plan, settings, quiet)
    _summarise(report, quiet)
    if report.error:
        click.echo(f"Error: {report.error}", err=True)
    if report.exit_code:
        click.get_current_context().exit(report.exit_code)


def _build(plan: Any, settings: Any, quiet: bool) -> Any:
    """Run ``build_packet`` with a progress bar on a terminal (not with --quiet); a letter
    that fails is reported as it fails, with its city and official (and supporter)."""
    from advocacy.packet import build_packet

    show_bar = not quiet and sys.stderr.isatty()
    bar: Any = None

    def on_start(count: int) -> None:
        nonlocal bar
        if show_bar and count:
            bar = click.progressbar(
                length=count, label="Writing letters", file=sys.stderr, show_pos=True, width=30
            )
            bar.__enter__()

    def on_letter(letter: Any, record: dict[str, Any]) -> None:
        if bar is not None:
            bar.update(1)
        if record.get("status") == "failed":
            job = letter.job
            who = (
                f"{job.official.name} (from {job.sender.name})" if job.sender else job.official.name
            )
            message = f"Error: {job.city.label}: {who}: {record.get('error')}"
            if bar is not None:
                click.echo("", err=True)
            click.echo(message, err=True)

    try:
        return build_packet(plan, settings, progress=on_letter, on_start=on_start)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _digest_or_none(path: Path) -> str | None:
    from advocacy.packet.stamp import file_digest

    try:
        return file_digest(path)
    except OSError:
        return None  # reported as the file is read


def _up_to_date(stamped: dict[str, Any], out: Path, elapsed: float, quiet: bool) -> bool:
    """Report a folder the last run left exactly as this run would make it (the stamp);
    False if the stamp cannot be read, and nothing was said."""
    from advocacy.packet.report import PacketReport, SupportersSummary

    people = stamped.get("supporters")
    try:
        summary = SupportersSummary(**people) if isinstance(people, dict) else None
        report = PacketReport(out, cities=int(stamped["cities"]), letters=int(stamped["letters"]))
    except (TypeError, KeyError, ValueError):
        return False  # a stamp this version cannot read: the usual way
    if summary is not None:
        for problem in summary.problems:
            click.echo(problem, err=True)
    report.elapsed = elapsed
    _summarise(report, quiet)
    if summary is not None:
        summary.identical = [tuple(pair) for pair in summary.identical]  # type: ignore[misc]
        summary.reasons = [tuple(pair) for pair in summary.reasons]  # type: ignore[misc]
        _summarise_supporters(summary, quiet)
        if summary.errors:
            click.get_current_context().exit(1)
    return True


def run_supporters(
    data: Any,
    path: Path,
    settings: Any,
    cities: Any,
    to: str,
    template: str | None,
    quiet: bool,
) -> None:
    """Write every supporter's letters (``packet`` and ``letter`` with --supporters)."""
    from advocacy.packet.supporters_plan import plan_supporters
    from advocacy.supporters import load_supporters

    # Reading and planning make ~2 million objects, all kept to the end of the run: the
    # cyclic collector's passes over them found nothing and took 0.27 s before the first
    # letter. It is off until build_packet freezes them (and collects while rendering).
    collecting = gc.isenabled()
    gc.disable()
    try:
        load = load_supporters([path])
        for problem in load.problems:
            click.echo(str(problem), err=True)
        if not load.supporters:
            raise click.ClickException(f"{path}: no supporter could be read")
        private_folder(settings.out)
        plan = plan_supporters(data, load, settings, cities=cities, to=to, template_name=template)
        report = _build(plan, settings, quiet)
    finally:
        if collecting:
            gc.enable()
    _summarise(report, quiet)
    _summarise_supporters(report.supporters, quiet)
    if report.error:
        click.echo(f"Error: {report.error}", err=True)
    code = report.exit_code or (1 if load.errors else 0)
    if code:
        click.get_current_context().exit(code)


def private_folder(out: Path) -> None:
    """Supporters' addresses are personal data: the output folder is for its owner only."""
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        out.chmod(0o700)
    except OSError as err:
        raise click.ClickException(f"cannot create {out}: {err.strerror or err}") from err


def _summarise_supporters(summary: Any, quiet: bool) -> None:
    if summary is None:
        return
    echo = click.echo
    duplicates = f" ({summary.duplicates} duplicates counted once)" if summary.duplicates else ""
    echo(
        f"Supporters: {summary.supporters}{duplicates}; {summary.personal} letters carry a "
        f"personal note; {_count(summary.bundles, 'bundle')} for hand delivery in officials/."
    )
    for name, count in summary.identical:
        echo(
            f"Warning: {count} letters to {name} have identical bodies: identical letters are "
            "the first to be filtered; ask supporters to add a personal note."
        )
    if summary.reasons:
        echo(f"{len(summary.reasons)} letters could not be written:")
        shown = summary.reasons if not quiet else summary.reasons[:5]
        for name, reason in shown[:50]:
            echo(f"  {name}: {reason}")
        if len(summary.reasons) > len(shown[:50]):
            echo(f"  ... and {len(summary.reasons) - len(shown[:50])} more (see index.html)")


def _summarise(report: Any, quiet: bool) -> None:
    """The end-of-run summary: letters per format, skipped officials, warnings, time."""
    echo = click.echo
    for notice in report.notices:
        echo(f"Warning: {notice}", err=True)
    if report.interrupted:
        echo(
            f"Interrupted: {report.rendered} letters written in this run, {report.pending} not "
            f"yet; run the same command again to finish.",
            err=True,
        )
    if report.all_up_to_date and not report.failed:
        echo(
            f"Everything is up to date in {report.out}: {_count(report.letters, 'letter')}, "
            f"{_count(report.cities, 'city', 'cities')} ({report.elapsed:.1f} s)."
        )
        return
    formats = ", ".join(f"{count} {name}" for name, count in report.files.items())
    echo(
        f"{_count(report.letters, 'letter')} for {_count(report.cities, 'city', 'cities')}: "
        f"{report.rendered} written, "
        f"{report.up_to_date} up to date, {len(report.failed)} failed"
        + (f", {report.pending} not written" if report.pending else "")
        + "."
    )
    if formats:
        echo(f"Files: {formats}.")
    if report.pages:
        echo(f"packet.pdf: {report.pages} pages.")
    mailing = report.mailing
    if mailing is not None:
        kinds = [n.removesuffix(".pdf") for n in mailing.files]  # envelopes, labels
        what = " and ".join(kinds).capitalize()
        line = f"{what}: {_count(mailing.addressed, 'letter')} with a postal address"
        if mailing.without_address:
            line += f" ({mailing.without_address} without one get none)"
        echo(line + f" in {', '.join(mailing.files)}.")
    people = [f for f in report.removed_cities if f.startswith("supporters/")]
    places = [f for f in report.removed_cities if not f.startswith("supporters/")]
    if places:
        echo(
            f"Removed the letters of {_count(len(places), 'city', 'cities')} no "
            f"longer in the packet: {', '.join(places)}."
        )
    if people:
        echo(
            f"Removed the letters of {_count(len(people), 'supporter')} no longer in the "
            f"supporters file: {', '.join(p.split('/', 1)[1] for p in people)}."
        )
    if report.skipped:
        echo(f"Skipped {len(report.skipped)} officials:")
        for city, name, reason in report.skipped:
            echo(f"  {city}: {name}: {reason}")
    if report.without_officials:
        echo(f"No officials on record for {len(report.without_officials)} cities:")
        echo("  " + "; ".join(report.without_officials))
    if report.warnings:
        echo(f"{len(report.warnings)} warnings" + (" (see manifest.csv)." if quiet else ":"))
        if not quiet:
            for city, name, text in report.warnings[:20]:
                echo(f"  {city}: {name}: {text}")
            if len(report.warnings) > 20:
                echo(f"  ... and {len(report.warnings) - 20} more (see manifest.csv)")
    if report.failed:
        echo(f"{len(report.failed)} letters failed:", err=True)
        for city, name, error in report.failed:
            echo(f"  {city}: {name}: {error}", err=True)
    echo(f"Done in {report.elapsed:.1f} s. Open {report.out / 'index.html'} to see the packet.")


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else (many or one + 's')}"
