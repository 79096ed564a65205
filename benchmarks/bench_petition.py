"""Petition letters by number of signatures: where the time goes, and the 2,500 limit.

Run: python benchmarks/bench_petition.py [--sizes 250,500,1000,2500] [--formats txt,docx,pdf]

For each size, writes a signers CSV (realistic names, one in five with a comment) and times
`advocacy letter --template petition --signers FILE` for the mayor of San Jose, one format a
run, each in its own process (start-up included). Then times the refusal of a 100,000-row
file. Prints seconds and milliseconds a signature, so growth that is not linear shows as a
rising figure per signature.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NAMES = ["Олена Коваленко", "José Núñez", "Nguyễn Thị Phạm", "Łukasz Wójcik", "Amara Okafor"]


def signers_file(folder: Path, count: int) -> Path:
    path = folder / f"signers-{count}.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("name,city,comment\n")
        for i in range(count):
            comment = "Cut the tie now, please." if i % 5 == 0 else ""
            handle.write(f"{NAMES[i % len(NAMES)]} {i},San Jose,{comment}\n")
    return path


def timed(folder: Path, signers: Path, fmt: str) -> tuple[float, int]:
    command = [
        sys.executable, "-m", "advocacy", "letter", "--city", "San Jose", "--to", "mayor",
        "--template", "petition", "--signers", str(signers), "--format", fmt,
        "--date", "2026-12-01", "--out", str(folder / "out"),
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    return time.perf_counter() - start, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,500,1000,2500")
    parser.add_argument("--formats", default="txt,docx,pdf")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    formats = args.formats.split(",")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        print(f"{'signatures':>10}  " + "  ".join(f"{f:>16}" for f in formats))
        for size in sizes:
            signers = signers_file(folder, size)
            cells = []
            for fmt in formats:
                seconds, code = timed(folder, signers, fmt)
                mark = "" if code == 0 else f" (exit {code})"
                cells.append(f"{seconds:6.1f} s {1000 * seconds / size:5.1f} ms{mark}")
            print(f"{size:>10,}  " + "  ".join(f"{c:>16}" for c in cells), flush=True)
        seconds, code = timed(folder, signers_file(folder, 100_000), "pdf")
        print(f"100,000 signatures refused in {seconds:.1f} s (exit {code})")


if __name__ == "__main__":
    main()
