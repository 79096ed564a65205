"""Measure rendered files the way a printer sees them: poppler's text boxes and page counts.

The tests that use these helpers need poppler-utils (``pdftotext``, ``pdfinfo``) and, for the
DOCX, LibreOffice (``soffice``, Debian's libreoffice-writer-nogui). A missing program fails
the test with a message saying what to install: it never skips.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

INCH = 72.0
PACKAGES = {
    "pdftotext": "poppler-utils",
    "pdfinfo": "poppler-utils",
    "soffice": "libreoffice-writer-nogui",
}


def need(program: str) -> str:
    """The path of ``program``; fails the test (never skips) when it is not installed."""
    path = shutil.which(program)
    if path is None:
        pytest.fail(
            f"{program} is not installed: these tests measure rendered files with it "
            f"(apt-get install {PACKAGES.get(program, program)})",
            pytrace=False,
        )
    return path


@dataclass(frozen=True)
class Word:
    """A word on a page, in inches from the page's top-left corner."""

    page: int
    text: str
    left: float
    top: float
    right: float
    bottom: float


def words(pdf: Path) -> list[Word]:
    """Every word of ``pdf`` with its box (``pdftotext -bbox``)."""
    out = subprocess.run(
        [need("pdftotext"), "-bbox", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    out = re.sub(r"<!DOCTYPE[^>]*>", "", out)
    root = ET.fromstring(out)
    found = []
    for number, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=1):
        for word in page.iter("{http://www.w3.org/1999/xhtml}word"):
            box = [float(word.get(key, 0)) / INCH for key in ("xMin", "yMin", "xMax", "yMax")]
            found.append(Word(number, word.text or "", *box))
    return found


def pages(pdf: Path) -> int:
    """The page count ``pdfinfo`` reports."""
    out = subprocess.run(
        [need("pdfinfo"), str(pdf)], capture_output=True, check=True, text=True
    ).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))  # type: ignore[union-attr]


def lines(found: list[Word], tolerance: float = 0.02) -> list[list[Word]]:
    """Words grouped into lines (same page, same top within ``tolerance`` in)."""
    result: list[list[Word]] = []
    for word in sorted(found, key=lambda w: (w.page, round(w.top, 2), w.left)):
        if (
            result
            and result[-1][0].page == word.page
            and abs(result[-1][0].top - word.top) < tolerance
        ):
            result[-1].append(word)
        else:
            result.append([word])
    return result


def to_pdf(documents: list[Path], out: Path) -> list[Path]:
    """Convert DOCX files to PDF with LibreOffice headless (one process for all of them)."""
    soffice = need("soffice")
    out.mkdir(parents=True, exist_ok=True)
    profile = out / "lo-profile"
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
         "pdf", "--outdir", str(out), *map(str, documents)],
        capture_output=True, check=True, timeout=600,
    )  # fmt: skip
    converted = [out / (document.stem + ".pdf") for document in documents]
    missing = [path.name for path in converted if not path.is_file()]
    assert not missing, f"LibreOffice did not convert {missing}"
    return converted
