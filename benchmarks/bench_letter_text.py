"""CPU time of one text letter in a worker: ``LetterFactory.write`` for eml, txt and mailto.

    python benchmarks/bench_letter_text.py                      # 2,000 supporters, this tree
    python benchmarks/bench_letter_text.py --baseline main~3    # and a commit, side by side
    python benchmarks/bench_letter_text.py --profile w.prof     # cProfile of one pass
    python benchmarks/bench_letter_text.py --instructions --supporters 100 --baseline main~3

Writes a synthetic supporters file (``supporters.py``, the same rows as ``bench_supporters.py``),
plans its letters as ``packet --supporters`` does (``plan_supporters``), then, in one process,
has one ``LetterFactory`` (as a worker builds it: not durable, renderers prepared, one letter
written, ``gc.freeze()``) write every supporter's letters and page into a new, empty output
folder as a worker does (``workers.write_unit``), and reports the CPU time (``process_time``:
user + system) a letter; then, in another process, every letter composed and rendered but no
file or page written (what the files and pages cost is the difference). With
``--baseline REV`` the package of commit REV (``git archive``) is measured the same way in
processes of its own, the trees alternating round by round so both see the same load; the
ratios are per round. The load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FORMATS = ("eml", "txt", "mailto")
DATE = "2026-12-01"


def measure(
    supporters_csv: Path, workdir: Path, profile: str | None, files: bool = True
) -> dict[str, Any]:
    """In this process: plan the letters, write each once; CPU seconds and counts.

    ``files=False`` composes and renders every letter but writes no file and no supporter's
    page (what they cost is the difference). Each pass runs in a process of its own: a
    second pass in the same process would find the letters' paragraphs already laid out.
    """
    import datetime as dt
    import gc

    import advocacy
    import advocacy.generate
    from advocacy.dataset import load_dataset
    from advocacy.formats import Style
    from advocacy.generate import LetterFactory
    from advocacy.models import Sender
    from advocacy.packet.plan import PacketSettings
    from advocacy.packet.supporters_plan import plan_supporters
    from advocacy.supporters import load_supporters
    from advocacy.templating import search_path

    if os.environ.get("BENCH_SLOW"):
        import advocacy.budget

        advocacy.budget.MAX_RENDER_SECONDS = 3600.0
    folders = search_path(None, workdir)
    data = load_dataset(())
    out = workdir / f"out-{os.getpid()}"
    settings = PacketSettings(
        out=out,
        folders=tuple(folders),
        formats=FORMATS,
        sender=Sender(),
        date=dt.date.fromisoformat(DATE),
        quotes=tuple(data.quotes),
        style=Style(tuple(folders)),
    )
    load = load_supporters([supporters_csv])
    plan = plan_supporters(data, load, settings)
    jobs = [letter.job for city in plan.cities for letter in city.letters]
    # as a worker: one factory, renderers prepared, a first letter written, gc.freeze()
    factory = LetterFactory(
        list(folders), FORMATS, settings.sender, settings.date, settings.quotes, {}, None, False
    )
    factory.prepare()
    factory.write(jobs[0], workdir / f"warm-{os.getpid()}")
    if not files:
        advocacy.generate.write_all_or_none = lambda files, durable=True: None  # type: ignore
    out.mkdir()
    gc.freeze()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.process_time()
    # functools.reduce: the one C function callgrind collects in (--instructions)
    if files:  # as a worker writes them: each supporter's letters, then their page
        from advocacy.packet.workers import Unit, write_unit

        units = [Unit(tuple(group.letters), group) for group in plan.supporters.groups]
        failed = functools.reduce(
            lambda n, unit: n + sum(r["status"] != "ok" for r in write_unit(factory, unit, out)[0]),
            units,
            0,
        )
    else:
        failed = functools.reduce(
            lambda n, job: n + (factory.write(job, out).status != "ok"), jobs, 0
        )
    cpu = time.process_time() - start
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    written = sum(1 for _ in out.rglob("*") if _.is_file())
    # the files stay until the end: ext4 makes each new file costlier for a minute or so
    # after many were deleted (its inode allocator skips recently deleted inodes one by one)
    return {
        "letters": len(jobs),
        "failed": failed,
        "files": written,
        "cpu": cpu,
        "source": str(Path(advocacy.__file__).parent),
    }


def child(
    source: str, supporters_csv: Path, workdir: Path, files: bool, callgrind: bool = False
) -> dict[str, Any]:
    """Run :func:`measure` in a new process on the package under ``source``; with
    ``callgrind``, under valgrind, counting the instructions of the loop over the letters."""
    env = dict(os.environ, PYTHONPATH=source + os.pathsep + str(HERE))
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(supporters_csv)]
    if not files:
        command.append("--no-files")
    if callgrind:
        command[:0] = ["valgrind", "--tool=callgrind", "--toggle-collect=functools_reduce",
                       "--callgrind-out-file=/dev/null"]  # fmt: skip
        env["BENCH_SLOW"] = "1"  # ~100 times slower: the first letter compiles the templates
    done = subprocess.run(
        command, env=env, cwd=workdir, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"measuring {source} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if callgrind:
        collected = re.search(r"Collected : (\d+)", done.stderr)
        if collected is None:
            raise SystemExit(f"no instruction count from valgrind:\n{done.stderr}")
        result["instructions"] = int(collected.group(1))
    if result["source"] != str(Path(source) / "advocacy"):
        raise SystemExit(f"measured {result['source']}, not {source}")
    if result["failed"]:
        raise SystemExit(f"{result['failed']} letters failed with {source}")
    return result


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--supporters", type=int, default=2000, help="synthetic supporters")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="a commit to measure side by side (git archive)")
    parser.add_argument("--profile", help="write a cProfile of one pass (this tree) here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-files", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions a letter with callgrind instead (use --supporters 100)",
    )
    args = parser.parse_args()

    if args.child is not None:
        sys.path.insert(0, str(HERE))
        print(json.dumps(measure(args.child, Path.cwd(), None, not args.no_files)))
        return

    sys.path.insert(0, str(HERE))
    import supporters as synthetic

    workdir = Path(tempfile.mkdtemp(prefix="advocacy-bench-letter-"))
    try:
        path = workdir / "supporters.csv"
        synthetic.write(path, synthetic.make_rows(args.supporters, 2022, 0.3, 0.0))
        if args.profile:
            sys.path.insert(0, str(ROOT))  # this tree's package
            result = measure(path, workdir, args.profile)
            print(f"profile of {result['letters']} letters written to {args.profile}")
            return
        trees = {"this tree": str(ROOT)}
        if args.baseline:
            base = workdir / "baseline"
            base.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.baseline, "advocacy"],
                capture_output=True,
                check=True,
            )
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
            trees[f"baseline {args.baseline}"] = str(base)
        if args.instructions:
            for name, source in trees.items():
                result = child(source, path, workdir, True, callgrind=True)
                print(
                    f"  {name:>20}: {result['letters']} letters, {result['files']} files, "
                    f"{result['instructions'] / result['letters'] / 1e6:.3f} M instructions "
                    "a letter (user space, callgrind)"
                )
            return
        print(
            f"LetterFactory.write, formats {','.join(FORMATS)}, {args.supporters} synthetic "
            f"supporters, {args.rounds} rounds; {load()}"
        )
        per_letter: dict[str, list[float]] = {name: [] for name in trees}
        without_files: dict[str, list[float]] = {name: [] for name in trees}
        for round_number in range(1, args.rounds + 1):
            order = list(trees.items()) if round_number % 2 else list(reversed(trees.items()))
            for name, source in order:
                result = child(source, path, workdir, True)
                bare = child(source, path, workdir, False)
                ms = result["cpu"] / result["letters"] * 1000
                bare_ms = bare["cpu"] / bare["letters"] * 1000
                per_letter[name].append(ms)
                without_files[name].append(bare_ms)
                print(
                    f"  round {round_number} {name:>20}: {result['letters']} letters, "
                    f"{result['files']} files, CPU {result['cpu']:.2f} s, {ms:.3f} ms a letter "
                    f"({bare_ms:.3f} ms without writing files or pages); {load()}"
                )
        print("CPU a letter, median of the rounds (min): written / without writing files or pages")
        for name, values in per_letter.items():
            print(
                f"  {name:>20}: {statistics.median(values):.3f} ms ({min(values):.3f}) / "
                f"{statistics.median(without_files[name]):.3f} ms "
                f"({min(without_files[name]):.3f})"
            )
        if args.baseline:
            label = f"baseline {args.baseline}"
            for title, figures in (("written", per_letter), ("without the files", without_files)):
                ratios = [
                    theirs / ours
                    for ours, theirs in zip(figures["this tree"], figures[label], strict=True)
                ]
                print(
                    f"  baseline / this tree, {title}, per round: "
                    f"{', '.join(f'{r:.2f}' for r in ratios)}"
                )
        print(f"({load()})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
