"""Benchmark `advocacy packet` against a naive renderer, and measure its memory.

Run from the repository (not by CI or the tests; it takes about ten minutes on 2 cores):

    python benchmarks/bench_packet.py                 # the figures of the issue
    python benchmarks/bench_packet.py --design        # also the measurements behind the design
    python benchmarks/bench_packet.py --letters 200 --memory-letters 0   # a quick look

It writes synthetic contact files (realistic names, Cyrillic and diacritics included) to a
temporary folder, spread over every city whose tie is not terminated (they replace the
embedded officials of those cities), and measures in one run:

1. the naive baseline: for each letter, one ``weasyprint.HTML(string=...).write_pdf()`` and
   one python-docx ``Document()``, single process, the same letter content;
2. ``advocacy packet`` cold, all formats (pdf, docx, eml, txt, mailto, plus packet.pdf,
   index.html, manifests);
3. ``advocacy packet`` again with nothing changed;
4. the peak memory of a cold packet of ``--memory-letters`` letters, all formats: the sum over
   the packet's processes (parent and workers) of their proportional set size, sampled every
   0.5 s in a run of its own (sampling costs CPU); also the largest single process (RSS).

Targets: cold packet at least 2.5x faster than the baseline; the unchanged rerun at most 5%
of the cold time; peak memory at most 400 MB at 5,000 letters.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

DATE = "2026-12-01"
SENDER = """name = "Oksana Hrytsenko-Müller"
address = ["1200 Alameda St", "San Jose, CA 95126"]
email = "oksana@example.org"
phone = "+1 408 555 0100"
"""

GIVEN = [
    "James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "Aisha",
    "José", "María", "Zoë", "Chloé", "André", "Renée", "Søren", "Björn", "Łukasz", "Małgorzata",
    "Oleksandr", "Olena", "Dmytro", "Iryna", "Nguyễn Thị", "Trần Văn", "Đặng", "Sinéad", "Seán",
    "François", "Hélène", "Jürgen", "Dvořák", "Tomáš", "Ľudmila", "Ömer", "Ayşe", "Mehmet",
    "Олена", "Дмитро", "Оксана", "Тарас", "Kwame", "Ngozi", "Hiroshi", "Mei-Ling", "Priya",
    "Raúl", "Inés", "Joaquín", "Leilani", "Kai", "Camille", "Niamh",
]  # fmt: skip
FAMILY = [
    "Smith", "Johnson", "Williams", "Brown", "García", "Martínez", "Rodríguez", "López",
    "Hernández", "Nguyễn", "Trần", "Phạm", "Kowalski", "Wiśniewski", "Wójcik", "Shevchenko",
    "Kovalenko", "Bondarenko", "Tkachenko", "Коваленко", "Шевченко", "Бондаренко", "O'Brien",
    "Ó Súilleabháin", "Müller", "Schröder", "Gößmann", "Novák", "Dvořáková", "Øster",
    "Åkesson", "Çelik", "Yılmaz", "Okafor", "Mensah", "Tanaka", "Chen", "Patel", "Singh",
    "Lefèvre", "Dupré", "Van der Berg", "D'Angelo", "MacLeod", "Kealoha", "St. Clair",
    "Pérez-Núñez", "Hrytsenko-Müller",
]  # fmt: skip
STREETS = ["Main St", "City Hall Plaza", "Civic Center Dr", "Market St", "First Ave"]


def write_contacts(path: Path, count: int, seed: int = 2022) -> int:
    """Write ``count`` synthetic officials spread over every city whose tie is kept."""
    from advocacy.dataset import load_dataset
    from advocacy.text import slugify

    cities = [c for c in load_dataset().cities() if c.tie.status != "terminated"]
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        city = cities[index % len(cities)]
        number = index // len(cities)  # 0 is the mayor, then districts 1, 2, ...
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        name = f"{given} {family}"
        local = slugify(f"{given}.{family}.{index}").replace("-", ".")
        domain = slugify(city.name) + ".example.gov"
        rows.append(
            {
                "name": name,
                "role": "mayor" if number == 0 else "council_member",
                "city": city.name,
                "state": city.state,
                "district": "" if number == 0 else str(number),
                "email": f"{local}@{domain}",
                "address": f"{100 + index} {rng.choice(STREETS)}; "
                f"{city.name}, {city.state} {10000 + index:05d}",
                "source": f"https://{domain}/council",
                "as_of": "2026-11-01",
            }
        )
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


# -- the naive baseline (runs in its own process) ---------------------------------------------


def naive_baseline(contacts: Path, out: Path) -> None:
    """One HTML().write_pdf() and one Document() per letter, single process, same content."""
    from advocacy.compose import compose_letter
    from advocacy.config import load_sender
    from advocacy.dataset import load_dataset
    from advocacy.formats import Style
    from advocacy.generate import plan_city
    from advocacy.templating import make_environment, search_path

    folders = search_path()
    data = load_dataset([contacts])
    sender = load_sender(out.parent / "sender.toml", _no_config())
    style = Style(tuple(folders))
    environment = make_environment(folders)
    date = dt.date.fromisoformat(DATE)
    extras = {"meeting_date": None, "agenda_item": None, "petition": None}
    count = 0
    for city in data.cities():
        if city.tie.status == "terminated":
            continue
        jobs, _ = plan_city(data, city, folders)
        for job in jobs:
            letter = compose_letter(
                environment, job.template, job.official, city, sender, date, data.quotes, extras
            )
            write_naive(letter, style, folders, out / city.slug, job.stem)
            count += 1
    print(count)


def write_naive(letter, style, folders, folder: Path, stem: str) -> None:  # noqa: ANN001
    """The naive way to write one letter: ``HTML(string).write_pdf()`` on the page with its
    stylesheet inlined, and a python-docx ``Document()`` with its paragraphs."""
    import docx
    import weasyprint

    from advocacy.formats.html import render_html
    from advocacy.formats.text import paragraph_lines

    folder.mkdir(parents=True, exist_ok=True)
    html = render_html(letter, style)  # stylesheet inlined: a self-contained page
    weasyprint.HTML(string=html, base_url=str(folders[-1])).write_pdf(folder / f"{stem}.pdf")
    document = docx.Document()
    document.add_paragraph(letter.salutation)
    for paragraph in letter.paragraphs:
        document.add_paragraph("\n".join(paragraph_lines(paragraph, None)))
    document.save(str(folder / f"{stem}.docx"))


def _no_config():  # noqa: ANN202
    from advocacy.config import Config

    return Config()


# -- measuring a process tree ------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    return found


def _tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        queue += _children(current)
    return pids


def _memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in kB; (0, 0) once it is gone."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


class TreeSampler(threading.Thread):
    """Sample the memory of a process and all its descendants until it ends."""

    def __init__(self, pid: int, interval: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_pss = self.peak_rss = self.peak_single = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            pss = rss = single = 0
            for pid in _tree(self.pid):
                p, r = _memory_kb(pid)
                pss, rss, single = pss + p, rss + r, max(single, r)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_single = max(self.peak_single, single)
            self.stop.wait(self.interval)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(
    command: list[str], cwd: Path, sample: bool = False
) -> tuple[float, TreeSampler | None, float]:
    """Run ``command``; return its wall time, the memory sampler and the CPU time it used.

    The CPU time (user + system) covers the process and every worker it waited for.
    """
    cpu = _children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sampler = TreeSampler(process.pid) if sample else None
    if sampler:
        sampler.start()
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    if sampler:
        sampler.stop.set()
        sampler.join()
    if process.returncode != 0:
        sys.stderr.write(stdout.decode() + stderr.decode())
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}")
    return elapsed, sampler, _children_cpu() - cpu


def packet_command(contacts: Path, out: Path, jobs: int) -> list[str]:
    return [
        sys.executable, "-m", "advocacy", "--contacts", str(contacts), "packet",
        "--sender", "sender.toml", "--date", DATE, "--out", str(out), "--jobs", str(jobs),
        "--quiet",
    ]  # fmt: skip


def count_letters(out: Path) -> int:
    return sum(1 for _ in out.glob("*/*.pdf"))


# -- design measurements -------------------------------------------------------------------------


def design(workdir: Path, letters: int = 24) -> None:
    """The measurements that decided the design (see benchmarks/README.md)."""
    import gc
    import logging
    import re
    import tracemalloc

    import weasyprint
    import weasyprint.pdf.fonts as pdf_fonts
    from pypdf import PdfReader, PdfWriter

    from advocacy.dataset import load_dataset
    from advocacy.formats import Style
    from advocacy.formats.html import render_html
    from advocacy.formats.pdf import Renderer
    from advocacy.generate import LetterFactory, plan_city
    from advocacy.models import Sender
    from advocacy.packet import PdfConcatenator
    from advocacy.templating import search_path

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    folders = search_path()
    data = load_dataset([workdir / "contacts.csv"])
    factory = LetterFactory(folders, ("pdf",), Sender(name="X"), dt.date(2026, 12, 1), data.quotes)
    jobs = []
    for city in data.cities():
        if city.tie.status != "terminated":
            jobs += plan_city(data, city, folders)[0]
    composed = [factory.compose(job) for job in jobs[:letters]]
    style = Style(tuple(folders))
    renderer = Renderer(style)
    renderer.render(composed[0])
    base = str(folders[-1]) + "/"

    def per_letter(label: str, function, items) -> float:  # noqa: ANN001
        started = time.perf_counter()
        result = [function(item) for item in items]
        ms = (time.perf_counter() - started) / len(items) * 1000
        print(f"  {label:<58} {ms:7.1f} ms/letter")
        return result

    print(f"\nDesign measurements ({len(composed)} letters, one process)")
    pages = [render_html(letter, style) for letter in composed]
    per_letter("naive: HTML(string=page).write_pdf()", lambda p: weasyprint.HTML(
        string=p, base_url=base).write_pdf(), pages)  # fmt: skip
    pdfs = per_letter("one at a time, shared fonts + parsed CSS (Renderer)", renderer.render,
                      composed)  # fmt: skip
    bare = [render_html(letter, style, inline_stylesheet=False) for letter in composed]
    css = renderer.stylesheets()
    fonts = renderer.font_config

    def layout(page: str):  # noqa: ANN202
        return weasyprint.HTML(string=page, base_url=base).render(
            stylesheets=css, font_config=fonts
        )

    per_letter("  of which layout", layout, bare)
    for size in (4, 12):
        started = time.perf_counter()
        for start in range(0, len(bare), size):
            chunk = bare[start : start + size]
            bodies = [re.search(r"<body[^>]*>(.*)</body>", p, re.S).group(1) for p in chunk]
            head = chunk[0].split("<body")[0]
            joined = "".join(f'<div style="break-before: page">{b}</div>' for b in bodies)
            layout(f"{head}<body>{joined}</body></html>")
        ms = (time.perf_counter() - started) / len(bare) * 1000
        print(f"  {'  layout, ' + str(size) + ' letters as one document':<58} {ms:7.1f} ms/letter")
    # Each variant writes freshly laid-out documents: WeasyPrint subsets a font in place, so a
    # second write_pdf() of the same document would start from already subset fonts.
    sizes = {}
    variants = (
        ("HarfBuzz subsetter (default)", {}, True),
        ("fontTools subsetter", {}, False),
        ("no subsetting (full_fonts=True)", {"full_fonts": True}, True),
    )
    saved = pdf_fonts.harfbuzz_subset
    for label, options, harfbuzz in variants:
        fresh = [layout(page) for page in bare]
        pdf_fonts.harfbuzz_subset = saved if harfbuzz else None
        try:
            out = per_letter(f"  write_pdf, {label}", lambda d, o=options: d.write_pdf(**o), fresh)
        finally:
            pdf_fonts.harfbuzz_subset = saved
        sizes[label.split(" (")[0]] = sum(map(len, out)) / len(out) / 1024
    print("  PDF size: " + ", ".join(f"{k} {v:.0f} KiB" for k, v in sizes.items()))

    copies = 400
    sources = [pdfs[i % len(pdfs)] for i in range(copies)]
    print(f"\n  packet.pdf from {copies} letter PDFs:")

    def with_pypdf(target: io.BytesIO) -> None:
        writer = PdfWriter()
        for source in sources:
            writer.append(PdfReader(io.BytesIO(source)))
        writer.write(target)

    def streamed(target: io.BytesIO) -> None:
        concatenator = PdfConcatenator(target)
        for source in sources:
            concatenator.add(source)
        concatenator.finish({"Title": "x"}, b"0" * 16)

    for label, function in (("pypdf PdfWriter.append, then write", with_pypdf),
                            ("streaming copy (PdfConcatenator)", streamed)):  # fmt: skip
        started = time.perf_counter()
        target = io.BytesIO()
        function(target)
        ms = (time.perf_counter() - started) / copies * 1000
        size = len(target.getvalue()) / 2**20
        del target
        gc.collect()
        tracemalloc.start()  # a second run for memory: tracing slows Python down
        target = io.BytesIO()
        function(target)
        peak = tracemalloc.get_traced_memory()[1] / 2**20 - len(target.getvalue()) / 2**20
        tracemalloc.stop()
        del target
        gc.collect()
        print(f"  {label:<58} {ms:7.1f} ms/letter, Python heap peak {peak:5.0f} MiB besides "
              f"the {size:.0f} MiB output")  # fmt: skip


# -- the cost of a letter in CPU time (issue 11) ---------------------------------------------------


def compose_letters(contacts: Path, count: int) -> list[Any]:
    """The first ``count`` letters of the packet of ``contacts`` (PDF only), composed."""
    from advocacy.dataset import load_dataset
    from advocacy.generate import LetterFactory, plan_city
    from advocacy.models import Sender
    from advocacy.templating import search_path

    folders = search_path()
    data = load_dataset([contacts])
    sender = Sender(name="Oksana Hrytsenko-Müller", address_lines=("1200 Alameda St",
                    "San Jose, CA 95126"), email="oksana@example.org")  # fmt: skip
    factory = LetterFactory(folders, ("pdf",), sender, dt.date(2026, 12, 1), data.quotes)
    jobs = []
    for city in data.cities():
        if city.tie.status != "terminated":
            jobs += plan_city(data, city, folders)[0]
    return [factory.compose(job) for job in jobs[:count]]


def instructions_run(contacts: Path, mode: str, count: int) -> None:
    """Write ``count`` letters' PDFs (after a warm-up batch) inside ``functools.reduce``: the
    one C function that callgrind collects in (``--letter-instructions``)."""
    import functools
    import logging

    import weasyprint

    from advocacy.formats import Style, renderer
    from advocacy.formats.html import render_html
    from advocacy.packet.workers import PDF_BATCH
    from advocacy.templating import search_path

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    folders = search_path()
    style, base = Style(tuple(folders)), str(folders[-1]) + "/"
    letters = compose_letters(contacts, count + PDF_BATCH)
    ours = renderer("pdf", style)
    batches = [letters[i : i + PDF_BATCH] for i in range(0, len(letters), PDF_BATCH)]
    if mode == "naive":
        write = lambda batch: [  # noqa: E731
            weasyprint.HTML(string=render_html(letter, style), base_url=base).write_pdf()
            for letter in batch
        ]
    elif mode == "alone":
        write = lambda batch: [ours.render(letter) for letter in batch]  # noqa: E731
    else:
        write = ours.render_many
    write(batches[0])  # warm-up: fonts, stylesheet
    written = functools.reduce(lambda n, batch: n + len(write(batch)), batches[1:], 0)
    print(written)


def letter_instructions(workdir: Path, count: int) -> None:
    """Instructions a PDF letter, counted by valgrind's callgrind (user space, independent
    of the machine's load): the naive loop, ours one letter at a time, ours in batches."""
    print(f"\nInstructions a PDF letter (callgrind), {count} letters after a warm-up batch:")
    figures = {}
    for mode in ("naive", "alone", "batches"):
        run_letters = ["--instructions-run", str(workdir / "contacts.csv"), mode, str(count)]
        command = [
            *("valgrind", "--tool=callgrind", "--toggle-collect=functools_reduce"),
            *("--callgrind-out-file=/dev/null", sys.executable, __file__, *run_letters),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=workdir)
        collected = re.search(r"Collected : (\d+)", done.stderr)
        written = int(done.stdout.split()[-1])
        if collected is None or written != count:
            raise SystemExit(f"callgrind did not count {mode}:\n{done.stderr[-2000:]}")
        figures[mode] = int(collected.group(1)) / written / 1e6
        ratio = f"  ratio {figures[mode] / figures['naive']:.3f}" if mode != "naive" else ""
        print(f"  {mode:<8} {figures[mode]:7.1f} M instructions a letter{ratio}")


def letter_cost(workdir: Path, letters: int, jobs: int, packets: bool = True) -> None:
    """CPU time a letter costs: ours against the naive loop, side by side in one run.

    In one process (``time.process_time``, after one warm-up batch each), taking turns
    batch by batch (the 8 letters a packet's worker lays out as one document): the naive loop
    (``HTML(string=page).write_pdf()`` on the page with its stylesheet inlined, plus a
    python-docx ``Document()`` for the all-format figure) and the packet's renderers (PDF
    only, ``render_many``; all formats: pdf, docx, eml, txt, mailto). Then (unless
    ``packets`` is false) cold packets, PDF only and all formats, whose CPU time (parent and
    workers) is divided by the letters written.
    """
    import logging

    import docx
    import weasyprint
    from pypdf import PdfReader

    from advocacy.formats import FORMATS, Style, renderer
    from advocacy.formats.html import render_html
    from advocacy.formats.text import paragraph_lines
    from advocacy.packet.workers import PDF_BATCH
    from advocacy.templating import search_path

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    folders = search_path()
    composed = compose_letters(workdir / "contacts.csv", letters + PDF_BATCH)
    style = Style(tuple(folders))
    base = str(folders[-1]) + "/"

    def naive_pdf(letter) -> None:  # noqa: ANN001
        weasyprint.HTML(string=render_html(letter, style), base_url=base).write_pdf()

    def naive_docx(letter) -> None:  # noqa: ANN001
        document = docx.Document()
        document.add_paragraph(letter.salutation)
        for paragraph in letter.paragraphs:
            document.add_paragraph("\n".join(paragraph_lines(paragraph, None)))
        document.save(io.BytesIO())

    renderers = {name: renderer(name, style) for name in FORMATS}
    batch = PDF_BATCH  # the letters a packet's worker lays out as one document

    def ours_pdf(letters) -> None:  # noqa: ANN001
        renderers["pdf"].render_many(letters)

    def ours_all(letters) -> None:  # noqa: ANN001
        renderers["pdf"].render_many(letters)
        for letter in letters:
            for name, r in renderers.items():
                if name != "pdf":
                    r.render(letter)

    def each(function):  # noqa: ANN001, ANN202
        return lambda letters: [function(letter) for letter in letters]

    def cpu_ms(*functions) -> list[float]:  # noqa: ANN002
        """CPU time a letter of each function, in ms. They take turns batch by batch (in
        alternating order) on the same letters, so a change in the machine's load falls on
        all of them alike."""
        for function in functions:
            function(composed[:batch])  # warm-up: fonts, stylesheet
        totals = [0.0] * len(functions)
        rest = composed[batch:]
        for index in range(0, len(rest), batch):
            letters = rest[index : index + batch]
            for turn in (reversed if index // batch % 2 else list)(range(len(functions))):
                started = time.process_time()
                functions[turn](letters)
                totals[turn] += time.process_time() - started
        return [total / len(rest) * 1000 for total in totals]

    pdfs = renderers["pdf"].render_many(composed[batch:])
    pages = sum(len(PdfReader(io.BytesIO(pdf)).pages) for pdf in pdfs) / len(pdfs)
    load = os.getloadavg()[0]
    naive, ours, naive_doc, ours_every = cpu_ms(
        each(naive_pdf), ours_pdf, each(naive_docx), ours_all
    )
    naive_all = naive + naive_doc
    n = len(composed) - batch
    print(f"\nCPU time a letter, one process, {n} letters ({pages:.2f} pages a letter), "
          f"ours {batch} letters a document:")  # fmt: skip
    print(f"  {'naive HTML(string).write_pdf()':<44} {naive:6.1f} ms")
    print(f"  {'ours, PDF (Renderer.render_many)':<44} {ours:6.1f} ms  ratio {ours / naive:.2f}")
    print(f"  {'naive, PDF + python-docx Document()':<44} {naive_all:6.1f} ms")
    print(f"  {'ours, all formats (pdf docx eml txt mailto)':<44} {ours_every:6.1f} ms  "
          f"ratio {ours_every / naive_all:.2f}")  # fmt: skip
    for label, formats in (("PDF only", "pdf"), ("all formats", None))[: 2 if packets else 0]:
        command = packet_command(workdir / "contacts.csv", workdir / f"cost-{label[:3]}", jobs)
        if formats:
            command += ["--format", formats]
        wall, _, cpu = run(command, workdir)
        written = count_letters(workdir / f"cost-{label[:3]}")
        base_ms = naive if formats else naive_all
        print(f"  packet, {label}, {jobs} jobs: {cpu / written * 1000:6.1f} ms CPU a letter "
              f"(all processes, start-up included), ratio {cpu / written * 1000 / base_ms:.2f}; "
              f"wall {wall:.1f} s for {written} letters")  # fmt: skip
    print(f"  load average (1 min): {load:.1f} before, {os.getloadavg()[0]:.1f} after, on "
          f"{len(os.sched_getaffinity(0))} CPUs")  # fmt: skip


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--memory-letters", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--design", action="store_true", help="also the design measurements")
    parser.add_argument("--design-only", action="store_true", help="only those")
    parser.add_argument(
        "--letter-cost", action="store_true", help="only the CPU time a letter costs (issue 11)"
    )
    parser.add_argument(
        "--no-packets", action="store_true", help="--letter-cost without the two cold packets"
    )
    parser.add_argument(
        "--letter-instructions",
        type=int,
        metavar="N",
        help="only the instructions a PDF letter costs, N letters (valgrind; try 16)",
    )
    parser.add_argument("--instructions-run", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--baseline-run", nargs=2, metavar=("CONTACTS", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.baseline_run:
        naive_baseline(Path(args.baseline_run[0]), Path(args.baseline_run[1]))
        return
    if args.instructions_run:
        contacts, mode, count = args.instructions_run
        instructions_run(Path(contacts), mode, int(count))
        return

    workdir = Path(tempfile.mkdtemp(prefix="advocacy-bench-"))
    try:
        (workdir / "sender.toml").write_text(SENDER, encoding="utf-8")
        contacts = workdir / "contacts.csv"
        written = write_contacts(contacts, args.letters)
        print(f"advocacy packet benchmark: {written} synthetic officials, {args.jobs} jobs, "
              f"{len(os.sched_getaffinity(0))} CPUs, in {workdir}")  # fmt: skip
        if args.letter_instructions:
            letter_instructions(workdir, args.letter_instructions)
            return
        if args.letter_cost:
            letter_cost(workdir, min(args.letters, 200), args.jobs, not args.no_packets)
            return
        if args.design or args.design_only:
            design(workdir)
        if args.design_only:
            return

        baseline, _, baseline_cpu = run(
            [sys.executable, __file__, "--baseline-run", str(contacts), str(workdir / "naive")],
            workdir,
        )
        naive_letters = count_letters(workdir / "naive")
        # no memory sampling while timing: reading smaps of every process costs CPU
        cold, _, cold_cpu = run(packet_command(contacts, workdir / "packet", args.jobs), workdir)
        letters = count_letters(workdir / "packet")
        rerun, _, _ = run(packet_command(contacts, workdir / "packet", args.jobs), workdir)
        print(
            f"\n{'naive baseline (pdf + docx, 1 process)':<44} {baseline:8.1f} s  "
            f"{naive_letters} letters, {baseline / naive_letters * 1000:.0f} ms/letter; "
            f"CPU {baseline_cpu:.1f} s"
        )
        print(
            f"{'advocacy packet, cold, all formats':<44} {cold:8.1f} s  {letters} letters, "
            f"{cold / letters * 1000:.0f} ms/letter; {baseline / cold:.2f}x faster than "
            f"the baseline (target >= 2.5x); CPU {cold_cpu:.1f} s in all processes, "
            f"{cold_cpu / cold:.2f} CPUs busy on average"
        )
        print(
            f"{'advocacy packet, rerun, nothing changed':<44} {rerun:8.2f} s  "
            f"{rerun / cold * 100:.1f}% of cold (target <= 5%)"
        )

        if args.memory_letters:
            big = workdir / "contacts-big.csv"
            write_contacts(big, args.memory_letters, seed=5000)
            elapsed, sampler, _ = run(packet_command(big, workdir / "big", args.jobs), workdir,
                                   sample=True)  # fmt: skip
            assert sampler is not None
            letters = count_letters(workdir / "big")
            print(f"{'peak memory at ' + str(letters) + ' letters':<44} "
                  f"{sampler.peak_pss / 1024:8.0f} MB (PSS, all processes; target <= 400 MB); "
                  f"RSS sum {sampler.peak_rss / 1024:.0f} MB, largest process "
                  f"{sampler.peak_single / 1024:.0f} MB; cold run {elapsed:.0f} s")  # fmt: skip
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
