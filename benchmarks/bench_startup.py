"""Start-up time of the listing commands, side by side with the imports they avoid.

Run: python benchmarks/bench_startup.py [--runs N]

Prints the median wall time of each command over N runs, measured in one run so the
machine's load affects them alike, and the ratios that matter: `advocacy --help` against a
bare interpreter and against importing WeasyPrint and python-docx.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "advocacy --help": [sys.executable, "-m", "advocacy", "--help"],
    "advocacy cities": [sys.executable, "-m", "advocacy", "cities"],
    "advocacy officials --json": [sys.executable, "-m", "advocacy", "officials", "--json"],
    "import weasyprint, docx": [sys.executable, "-c", "import weasyprint, docx"],
}


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    results: dict[str, float] = {}
    for _ in range(2):  # interleave rounds so drift hits every command alike
        for name, command in COMMANDS.items():
            results.setdefault(name, 0.0)
            results[name] += median_seconds(command, runs) / 2
    for name, seconds in results.items():
        print(f"{name:28s} {seconds * 1000:7.0f} ms")
    help_time = results["advocacy --help"]
    print(f"--help minus bare python:     {(help_time - results['python -c pass']) * 1000:.0f} ms")
    print(f"heavy imports / --help:       {results['import weasyprint, docx'] / help_time:.1f}x")


if __name__ == "__main__":
    main()
