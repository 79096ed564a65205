"""Copying letters into packet.pdf and the bundles: the lazy reader copies what pypdf copies."""

from __future__ import annotations

import io
import subprocess

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import advocacy.packet.pdf as packet_pdf
from advocacy.cli import cli


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Tagged PDF letters of the embedded data (Chicago's mayor and council, San Jose's)."""
    out = tmp_path_factory.mktemp("letters")
    for city in ("Chicago", "San Jose"):
        result = CliRunner().invoke(
            cli,
            ["letter", "--city", city, "--to", "all", "--format", "pdf",
             "--date", "2026-12-01", "--out", str(out)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    pdfs = sorted(out.rglob("*.pdf"))
    assert len(pdfs) >= 3
    return [path.read_bytes() for path in pdfs]


def concatenated(letters: list[bytes], reader: type[PdfReader] | None) -> bytes:
    saved = packet_pdf._READER
    packet_pdf._READER = reader
    try:
        target = io.BytesIO()
        writer = packet_pdf.PdfConcatenator(target)
        for number, data in enumerate(letters):
            pages = writer.add(data)
            writer.bookmark(f"letter {number}", pages[0])
        writer.finish({"Title": "Letters"}, b"0123456789abcdef")
        return target.getvalue()
    finally:
        packet_pdf._READER = saved


def test_the_lazy_reader_reads_objects_one_at_a_time(letters):
    reader = packet_pdf.letter_reader(letters[0])
    if type(reader) is PdfReader:
        pytest.skip("another pypdf: its own reader is used")
    assert reader.xref_objStm, "a letter keeps its objects in object streams"
    _ = reader.pages[0].get_contents()
    parsed = len(reader.resolved_objects)
    assert 0 < parsed < len(reader.xref_objStm) / 2  # not the whole structure tree


def test_the_copy_is_the_same_as_with_pypdfs_reader(letters, tmp_path):
    lazy = concatenated(letters, None)  # the reader letter_reader() picks
    plain = concatenated(letters, PdfReader)
    assert lazy == plain
    path = tmp_path / "packet.pdf"
    path.write_bytes(lazy)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = int(next(x for x in info.stdout.splitlines() if x.startswith("Pages:")).split()[1])
    assert pages == sum(len(PdfReader(io.BytesIO(data)).pages) for data in letters)


def test_a_damaged_object_stream_index_falls_back_to_pypdf(letters, monkeypatch):
    reader = packet_pdf.letter_reader(letters[0])
    if type(reader) is PdfReader:
        pytest.skip("another pypdf: its own reader is used")

    def damaged(self, number):
        raise ValueError(f"object stream {number}: a damaged index")

    monkeypatch.setattr(type(reader), "_object_stream", damaged)
    assert len(reader.pages) == 1
    assert reader.pages[0].extract_text()
