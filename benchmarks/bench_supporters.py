"""Benchmark the text formats of `advocacy packet` against awdeorio/mailmerge 2.x, side by side.

Run from the repository (not by CI or the tests):

    python benchmarks/bench_supporters.py                       # 2,000 and 25,000 letters
    python benchmarks/bench_supporters.py --sizes 2000 --memory-letters 0   # a quick look

For each size it writes a synthetic contact file (the officials of bench_packet.py: names
from many scripts, spread over every city whose tie is not terminated) and, in one run:

1. ``advocacy packet --format eml,txt,mailto`` cold: letters a second (wall clock), and the CPU
   time of all its processes;
2. mailmerge 2.x, ``mailmerge --dry-run --no-limit --output-format raw`` on the same rows, with
   a comparable template: the email body of one of our letters (same length, same quotes),
   the official's name, title and city filled in by Jinja, output to a file; messages a second;
3. the packet again with nothing changed: its time as a share of the cold one;
4. with ``--supporters N``: the same for ``advocacy packet --supporters`` on N synthetic
   supporters (benchmarks/supporters.py; 10,000 make about 25,000 letters), mailmerge on one row
   per letter written (from the packet's manifest), and the peak memory sampled in that run;
5. with ``--memory-letters N``: the peak memory (PSS summed over the packet's processes) of a
   cold text packet of N letters, sampled in a run of its own.

Before each cold run it prints what creating a file costs on the disk at that moment
(``creation_probe``): on this machine's ext4 without a journal, files created within minutes
of a large deletion cost several times more CPU, whoever deleted them. The benchmark keeps
each run's output until it ends, so it does not slow its own next run down that way.

mailmerge is installed in a virtual environment of the benchmark's own (``--mailmerge-venv``,
by default ``~/.cache/advocacy-bench/mailmerge``), never as a dependency of the project.

Both tools run as on a user's machine, their modules' bytecode compiled and kept
(:func:`bytecode_as_installed`).

Targets (issue 9): at least as many letters a second as mailmerge; peak memory at most
400 MB at 25,000 letters; the unchanged rerun at most 5 % of cold.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_packet import DATE, SENDER, run, write_contacts, write_naive  # noqa: E402

MAILMERGE = "mailmerge>=2,<3"
FORMATS = "eml,txt,mailto"
SERVER_CONF = """[smtp_server]
host = localhost
port = 25
security = Never
ratelimit = 0
"""


def mailmerge_venv(path: Path) -> Path:
    """A venv with mailmerge 2.x at ``path`` (made once); return its ``mailmerge`` program."""
    program = path / "bin" / "mailmerge"
    if not program.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run([str(path / "bin" / "pip"), "install", "--quiet", MAILMERGE], check=True)
    return program


def bytecode_as_installed() -> None:
    """Run both tools as they run on a user's machine: Python keeps each module's compiled
    bytecode (``PYTHONDONTWRITEBYTECODE``, set on some machines, is removed for the runs), and
    our package is compiled beforehand as ``pip install`` compiles an installed package --
    mailmerge's was, when its environment was made. Without it, every run of ours compiled
    its 70 modules (0.15 s of CPU) and mailmerge's none."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    package = Path(__file__).resolve().parent.parent / "advocacy"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def mailmerge_inputs(contacts: Path, workdir: Path) -> tuple[Path, Path, Path]:
    """The template, database and server file for mailmerge: the same rows as the packet,
    and a template with the body of one of our letters."""
    import datetime as dt

    from advocacy.config import Config, load_sender
    from advocacy.dataset import load_dataset
    from advocacy.formats.text import email_text
    from advocacy.generate import LetterFactory, plan_city
    from advocacy.templating import search_path

    folders = search_path()
    data = load_dataset([contacts])
    sender = load_sender(workdir / "sender.toml", Config())
    assert sender is not None
    factory = LetterFactory(folders, ("eml",), sender, dt.date.fromisoformat(DATE), data.quotes)
    city = next(c for c in data.cities() if c.tie.status == "kept" and data.officials_of(c))
    job = plan_city(data, city, folders)[0][0]
    letter = factory.compose(job)
    body = email_text(letter)
    official = job.official
    for value, variable in (
        (official.name, "{{name}}"),
        (letter.salutation, "Dear {{title}} {{surname}},"),
        (city.name, "{{city}}"),
    ):
        body = body.replace(value, variable)
    template = workdir / "mailmerge_template.txt"
    template.write_text(
        "TO: {{name}} <{{email}}>\n"
        f"FROM: {sender.name} <{sender.email}>\n"
        "SUBJECT: Please end {{city}}'s sister-city tie\n"
        "\n" + body,
        encoding="utf-8",
    )
    database = workdir / "mailmerge_database.csv"
    with contacts.open(encoding="utf-8") as source, database.open("w", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "name", "title", "surname", "city"])
        for row in csv.DictReader(source):
            title = "Mayor" if row["role"] == "mayor" else "Councilmember"
            writer.writerow([row["email"], row["name"], title, row["name"].split()[-1],
                             row["city"]])  # fmt: skip
    server = workdir / "mailmerge_server.conf"
    server.write_text(SERVER_CONF, encoding="utf-8")
    return template, database, server


def database_from_manifest(manifest: Path, database: Path) -> int:
    """mailmerge's rows from the packet's manifest.csv: one row per letter written."""
    count = 0
    with manifest.open(encoding="utf-8-sig") as source, database.open("w", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "name", "title", "surname", "city"])
        for row in csv.DictReader(source):
            if row.get("status") != "ok" or not row.get("email"):
                continue
            city = row["city"].rsplit(",", 1)[0]
            writer.writerow([row["email"], row["official"], row["title"],
                             row["official"].split()[-1], city])  # fmt: skip
            count += 1
    return count


def run_mailmerge(program: Path, inputs: tuple[Path, Path, Path], workdir: Path) -> tuple:
    """Run mailmerge into a file; return (wall seconds, CPU seconds, messages)."""
    import resource

    template, database, server = inputs
    output = workdir / "mailmerge.out"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with output.open("wb") as handle:
        subprocess.run(
            [str(program), "--dry-run", "--no-limit", "--output-format", "raw",
             "--template", str(template), "--database", str(database), "--config", str(server)],
            cwd=workdir, stdout=handle, check=True,
        )  # fmt: skip
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with output.open("rb") as handle:
        messages = sum(1 for line in handle if line.startswith(b">>> message ") and
                       line.rstrip().endswith(b"sent"))  # fmt: skip
    return elapsed, cpu, messages


def packet_command(contacts: Path | None, out: Path, jobs: int, supporters: Path | None = None
                   ) -> list[str]:  # fmt: skip
    data = ["--contacts", str(contacts)] if contacts else []
    who = ["--supporters", str(supporters)] if supporters else ["--sender", "sender.toml"]
    return [
        sys.executable, "-m", "advocacy", *data, "packet", *who, "--date", DATE,
        "--out", str(out), "--jobs", str(jobs), "--format", FORMATS, "--quiet",
    ]  # fmt: skip


def supporters_run(count: int, workdir: Path, program: Path, jobs: int, memory: bool) -> None:
    """``packet --supporters`` on ``count`` synthetic supporters (benchmarks/supporters.py)."""
    import supporters as synthetic

    path = workdir / f"supporters-{count}.csv"
    synthetic.write(path, synthetic.make_rows(count, 2022, 0.3, 0.0))
    out = workdir / f"supporters-out-{count}"
    probe = creation_probe(workdir)
    cold, sampler, cold_cpu = run(packet_command(None, out, jobs, path), workdir, memory)
    manifest = out / "manifest.csv"
    with manifest.open(encoding="utf-8-sig") as handle:
        letters = sum(1 for row in csv.DictReader(handle) if row.get("status") == "ok")
    contacts = workdir / "contacts-template.csv"
    write_contacts(contacts, 200)
    template, _, server = mailmerge_inputs(contacts, workdir)
    database = workdir / "mailmerge_supporters.csv"
    database_from_manifest(manifest, database)
    mm_wall, mm_cpu, messages = run_mailmerge(program, (template, database, server), workdir)
    rerun, _, rerun_cpu = run(packet_command(None, out, jobs, path), workdir)
    # one supporter more: the stamp no longer matches, so the run plans every letter and
    # renders only the new supporter's
    with path.open("a", encoding="utf-8") as handle:
        handle.write("Nova Added,1 Added St,San Jose,CA,95113,nova@example.org,,3,\n")
    added, _, added_cpu = run(packet_command(None, out, jobs, path), workdir)
    ours, theirs = letters / cold, messages / mm_wall
    print(f"\n{count} supporters ({load()}; before the cold run, {probe}):")
    print(f"  advocacy packet --supporters, cold  {cold:7.2f} s  {letters} letters"
          f"  {ours:7.0f} letters/s  CPU {cold_cpu:.2f} s "
          f"({cold_cpu / max(letters, 1) * 1000:.2f} ms/letter)")  # fmt: skip
    print(f"  mailmerge, same rows                {mm_wall:7.2f} s  {messages} "
          f"messages {theirs:7.0f} messages/s  CPU {mm_cpu:.2f} s")  # fmt: skip
    print(f"  ratio: {ours / theirs:.2f}x mailmerge's rate (target >= 1)")
    print(
        f"  rerun, nothing changed              {rerun:7.2f} s  "
        f"{rerun / cold * 100:.1f}% of cold (target <= 5%), CPU {rerun_cpu:.2f} s"
    )
    print(
        f"  rerun, one supporter added          {added:7.2f} s  "
        f"{added / cold * 100:.1f}% of cold, CPU {added_cpu:.2f} s"
    )
    if sampler is not None:
        print(f"  peak memory (sampled in the cold run): {sampler.peak_pss / 1024:.0f} MB PSS, "
              f"all processes (target <= 400 MB); largest process "
              f"{sampler.peak_single / 1024:.0f} MB")  # fmt: skip


def naive_supporters(path: Path, out: Path) -> int:
    """The naive loop on supporters' letters: for each planned letter, one process composes it
    and writes one ``HTML(string).write_pdf()`` and one python-docx ``Document()``."""
    import datetime as dt

    from advocacy.compose import compose_letter
    from advocacy.config import Config, load_sender
    from advocacy.dataset import load_dataset
    from advocacy.formats import Style
    from advocacy.packet.plan import PacketSettings
    from advocacy.packet.supporters_plan import plan_supporters
    from advocacy.supporters import load_supporters
    from advocacy.templating import make_environment, search_path

    folders = tuple(search_path())
    data = load_dataset()
    style = Style(folders)
    sender = load_sender(out.parent / "sender.toml", Config())
    assert sender is not None
    date = dt.date.fromisoformat(DATE)
    settings = PacketSettings(out=out, folders=folders, formats=("pdf", "docx"), sender=sender,
                              date=date, quotes=tuple(data.quotes), style=style)  # fmt: skip
    plan = plan_supporters(data, load_supporters([path]), settings)
    environment = make_environment(list(folders))
    extras = {"meeting_date": None, "agenda_item": None, "petition": None}
    count = 0
    for planned in plan.letters:
        job = planned.job
        letter = compose_letter(environment, job.template, job.official, job.city, job.sender,
                                date, data.quotes, extras, personal=job.personal)  # fmt: skip
        write_naive(letter, style, folders, out / job.folder, job.stem)
        count += 1
    return count


def all_formats_run(count: int, workdir: Path, jobs: int) -> None:
    """``packet --supporters`` in every format against the naive loop on the same letters."""
    import supporters as synthetic

    path = workdir / f"supporters-all-{count}.csv"
    synthetic.write(path, synthetic.make_rows(count, 7, 0.3, 0.0))
    naive_out = workdir / "naive-supporters"
    here = str(Path(__file__).parent)
    code = (
        f"import sys; sys.path.insert(0, {here!r}); import bench_supporters as b; "
        f"from pathlib import Path; print(b.naive_supporters(Path({str(path)!r}), "
        f"Path({str(naive_out)!r})))"
    )
    probe = creation_probe(workdir)
    naive, _, naive_cpu = run([sys.executable, "-c", code], workdir)
    out = workdir / "supporters-all-out"
    command = [
        sys.executable, "-m", "advocacy", "packet", "--supporters", str(path), "--date", DATE,
        "--out", str(out), "--jobs", str(jobs), "--quiet",
    ]  # fmt: skip
    cold, _, cold_cpu = run(command, workdir)
    letters = sum(1 for _ in out.glob("supporters/*/*.pdf"))
    naive_letters = sum(1 for _ in naive_out.glob("supporters/*/*.pdf"))
    print(f"\nall formats, {count} supporters ({load()}; before the naive loop, {probe}):")
    print(f"  naive loop (PDF + DOCX a letter, one process)  {naive:7.2f} s  {naive_letters} "
          f"letters  CPU {naive_cpu:.1f} s")  # fmt: skip
    print(f"  advocacy packet --supporters (pdf, docx, eml, txt, mailto, bundles, pages) "
          f"{cold:7.2f} s  {letters} letters  CPU {cold_cpu:.1f} s")  # fmt: skip
    print(f"  ratio: {naive / cold:.2f}x faster than the naive loop (target >= 2.5)")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def creation_probe(workdir: Path, folders: int = 300) -> str:
    """What creating files costs on this disk now: CPU time (user + system) a new folder or
    file, for ``folders`` new folders holding two 2 KB files each (as a supporter's letters).

    A packet creates tens of thousands of files; on an ext4 file system without a journal
    (this machine's), the kernel passes over every inode freed in the last one to six minutes
    before it reuses one, one at a time, so right after a large deletion (another run's
    output) each new file costs several times more. The figure says which case a run was in.
    """
    base = Path(tempfile.mkdtemp(prefix="probe-", dir=workdir))
    started = time.process_time()
    for number in range(folders):
        folder = base / str(number)
        folder.mkdir()
        for name in ("a.eml", "a.txt"):
            (folder / name).write_bytes(b"x" * 2048)
    cost = (time.process_time() - started) / (folders * 3) * 1e6
    return f"creating a file or folder costs {cost:.0f} us of CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,25000", help="officials per run, comma list")
    parser.add_argument("--memory-letters", type=int, default=25000)
    parser.add_argument(
        "--supporters", type=int, default=0,
        help="also `packet --supporters` on this many synthetic supporters (10000: ~25,000 "
        "letters); its memory is sampled in its cold run",
    )  # fmt: skip
    parser.add_argument(
        "--all-formats", type=int, default=0,
        help="also every format for this many supporters against the naive loop (400: ~930 "
        "letters, about 2 minutes)",
    )  # fmt: skip
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument(
        "--mailmerge-venv", type=Path, default=Path.home() / ".cache/advocacy-bench/mailmerge"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    program = mailmerge_venv(args.mailmerge_venv)
    bytecode_as_installed()
    version = subprocess.run([str(program), "--version"], capture_output=True, text=True)
    workdir = Path(tempfile.mkdtemp(prefix="advocacy-bench-text-"))
    print(f"text packet vs {version.stdout.strip()}: {args.jobs} jobs, "
          f"{len(os.sched_getaffinity(0))} CPUs, {load()}, in {workdir}")  # fmt: skip
    try:
        (workdir / "sender.toml").write_text(SENDER, encoding="utf-8")
        for size in [int(s) for s in args.sizes.split(",") if s]:
            contacts = workdir / f"contacts-{size}.csv"
            write_contacts(contacts, size)
            inputs = mailmerge_inputs(contacts, workdir)
            out = workdir / f"packet-{size}"
            probe = creation_probe(workdir)
            cold, _, cold_cpu = run(packet_command(contacts, out, args.jobs), workdir)
            letters = sum(1 for _ in out.glob("*/*.txt"))
            mm_wall, mm_cpu, messages = run_mailmerge(program, inputs, workdir)
            rerun, _, rerun_cpu = run(packet_command(contacts, out, args.jobs), workdir)
            ours, theirs = letters / cold, messages / mm_wall
            print(f"\n{size} officials ({load()}; before the cold run, {probe}):")
            print(f"  advocacy packet --format {FORMATS}, cold  {cold:7.2f} s  {letters} letters"
                  f"  {ours:7.0f} letters/s  CPU {cold_cpu:.2f} s "
                  f"({cold_cpu / letters * 1000:.2f} ms/letter)")  # fmt: skip
            print(f"  mailmerge --dry-run --output-format raw  {mm_wall:7.2f} s  {messages} "
                  f"messages {theirs:7.0f} messages/s  CPU {mm_cpu:.2f} s "
                  f"({mm_cpu / max(messages, 1) * 1000:.2f} ms/message)")  # fmt: skip
            print(f"  ratio: {ours / theirs:.2f}x mailmerge's rate (target >= 1)")
            print(
                f"  rerun, nothing changed                  {rerun:7.2f} s  "
                f"{rerun / cold * 100:.1f}% of cold (target <= 5%), CPU {rerun_cpu:.2f} s"
            )
            # kept until the end: deleting thousands of files slows down creating the next
            # run's (creation_probe)
        if args.supporters:
            supporters_run(args.supporters, workdir, program, args.jobs, memory=True)
        if args.all_formats:
            all_formats_run(args.all_formats, workdir, args.jobs)
        if args.memory_letters:
            contacts = workdir / "contacts-memory.csv"
            write_contacts(contacts, args.memory_letters, seed=5000)
            out = workdir / "packet-memory"
            elapsed, sampler, _ = run(packet_command(contacts, out, args.jobs), workdir, True)
            assert sampler is not None
            letters = sum(1 for _ in out.glob("*/*.txt"))
            print(f"\npeak memory, {letters} letters, text formats: "
                  f"{sampler.peak_pss / 1024:.0f} MB PSS, all processes (target <= 400 MB); "
                  f"RSS sum "
                  f"{sampler.peak_rss / 1024:.0f} MB, largest process "
                  f"{sampler.peak_single / 1024:.0f} MB; run {elapsed:.1f} s")  # fmt: skip
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
