"""packet.pdf: the letters' PDFs copied into one file, streamed, with bookmarks."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    create_string_object,
)

from advocacy import __version__
from advocacy.exceptions import AdvocacyError
from advocacy.output import atomic_stream, inside
from advocacy.packet.manifest import letter_title
from advocacy.packet.plan import CityPlan, PacketPlan, PacketSettings, digest
from advocacy.packet.workers import result_of

PACKET_PDF = "packet.pdf"
#: packet.pdf while it is being built; a name remove_stale_temporaries() cleans up.
PACKET_PDF_BUILDING = ".advocacy-packet.pdf.building.tmp"


# -- reading a letter's PDF: only the objects its pages use ------------------------------------


def _lazy_reader_class() -> type[PdfReader]:
    """A PdfReader that parses an object of an object stream only when it is asked for.

    pypdf 7 parses every object of an object stream as soon as one of them is needed. In a
    tagged letter the stream holds the whole structure tree (hundreds of objects a page)
    next to the few objects a copied page uses, so reading a letter cost 15 ms where its
    pages need 7. This reader finds the object through the stream's own index and parses
    it alone; the copy comes out the same byte for byte (tests compare both readers). It
    relies on pypdf 7's reader (the method it replaces, and that it caches what that method
    returns); with another pypdf, or anything unexpected in a stream, pypdf's own way is
    used.
    """
    import pypdf

    try:
        from pypdf._utils import read_non_whitespace
        from pypdf.generic import read_object

        major = int(pypdf.__version__.split(".")[0])
    except (ImportError, ValueError, AttributeError):  # pragma: no cover - another pypdf
        return PdfReader
    if major != 7 or not hasattr(PdfReader, "_get_object_from_stream"):
        return PdfReader  # pragma: no cover - another pypdf

    class LetterReader(PdfReader):
        def _get_object_from_stream(self, indirect_reference: IndirectObject) -> Any:
            number = indirect_reference.idnum
            cached = self.cache_get_indirect_object(0, number)
            if cached is not None:
                return cached
            try:
                stream, first, offsets = self._object_stream(self.xref_objStm[number][0])
                stream.seek(first + offsets[number])
            except (KeyError, ValueError, IndexError, TypeError):
                return super()._get_object_from_stream(indirect_reference)
            read_non_whitespace(stream)
            stream.seek(-1, 1)
            value = read_object(stream, self)
            self.cache_indirect_object(0, number, value)
            return value

        def _object_stream(self, number: int) -> tuple[io.BytesIO, int, dict[int, int]]:
            """An object stream's data, where its objects start, and each object's offset."""
            streams = self.__dict__.setdefault("_letter_streams", {})
            if number not in streams:
                stream = IndirectObject(number, 0, self).get_object()
                data = stream.get_data()  # type: ignore[union-attr]
                count, first = int(stream["/N"]), int(stream["/First"])  # type: ignore[index]
                index = data[:first].split()
                if len(index) != 2 * count:
                    raise ValueError(f"object stream {number}: a damaged index")
                offsets = {int(index[2 * i]): int(index[2 * i + 1]) for i in range(count)}
                streams[number] = (io.BytesIO(data), first, offsets)
            return streams[number]  # type: ignore[no-any-return]

    return LetterReader


_READER: type[PdfReader] | None = None


def letter_reader(data: bytes) -> PdfReader:
    """A reader of one letter's PDF bytes (see :func:`_lazy_reader_class`)."""
    global _READER
    if _READER is None:
        _READER = _lazy_reader_class()
    return _READER(io.BytesIO(data), strict=False)


# -- packet.pdf: the letters' PDFs copied into one file, streamed ----------------------------


_NAMES: dict[str, bytes] = {}


def _written(value: Any) -> bytes:
    """A pypdf object as it is written in a PDF file."""
    buffer = io.BytesIO()
    value.write_to_stream(buffer)
    return buffer.getvalue()


@dataclass
class Bookmark:
    title: str
    page: int  # object number of the page it opens
    children: list[Bookmark] = field(default_factory=list)


class PdfConcatenator:
    """Write a PDF made of other PDFs' pages, one source file at a time, to a stream.

    Each source is parsed with pypdf; its pages and everything they use (content streams,
    fonts, images, link annotations) are written out at once with new object numbers, and the
    source is dropped. Only object offsets and page numbers stay in memory. Streams are copied
    as they are, still compressed. Pages are grouped under one page-tree node per section
    (a city), and the outline (bookmarks) is written at the end.
    """

    HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

    def __init__(self, stream: IO[bytes]):
        self.stream = stream
        self.position = 0
        self.offsets: dict[int, int] = {}
        self.next_number = 3  # 1: catalog, 2: root of the page tree
        self.sections: list[tuple[int, list[int]]] = []  # (page-tree node, its pages)
        self.outline: list[Bookmark] = []
        self.pages = 0
        self._write(self.HEADER)

    def _write(self, data: bytes) -> None:
        self.stream.write(data)
        self.position += len(data)

    def _allocate(self) -> int:
        number = self.next_number
        self.next_number += 1
        return number

    def _object(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.position
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def start_section(self) -> None:
        self.sections.append((self._allocate(), []))

    def add(self, source: Path | bytes) -> list[int]:
        """Append every page of ``source``; return the object numbers of the new pages."""
        if not self.sections:
            self.start_section()
        parent, kids = self.sections[-1]
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        reader = letter_reader(data)
        numbers: dict[tuple[int, int], int] = {}
        queue: list[tuple[int, IndirectObject]] = []

        def renumber(reference: IndirectObject) -> int:
            key = (reference.idnum, reference.generation)
            if key not in numbers:
                target = reference.get_object()
                kind = target.get("/Type") if isinstance(target, DictionaryObject) else None
                if kind == "/Pages":
                    numbers[key] = parent
                elif kind == "/Catalog":
                    numbers[key] = 1
                else:
                    numbers[key] = self._allocate()
                    queue.append((numbers[key], reference))
            return numbers[key]

        page_numbers = []
        for page in reader.pages:
            reference = page.indirect_reference
            number = self._allocate()
            if reference is not None:
                numbers[(reference.idnum, reference.generation)] = number
            page_numbers.append((number, page))
        for number, page in page_numbers:
            # pypdf has already copied inherited attributes (/Resources, /MediaBox...) onto
            # each page; the page's parent becomes this section's node of the page tree.
            items = [
                self._leaf(key) + b" " + self._serialize(value, renumber)
                for key, value in page.items()
                if key not in ("/Parent", "/StructParents")
            ]
            items.append(b"/Parent %d 0 R" % parent)
            self._object(number, b"<<" + b" ".join(items) + b">>")
            kids.append(number)
        while queue:
            number, reference = queue.pop()
            self._object(number, self._serialize(reference.get_object(), renumber))
        self.pages += len(page_numbers)
        return [number for number, _ in page_numbers]

    def add_blank_page(self, like: int | None = None) -> int:
        """Append an empty page (US Letter), e.g. so the next letter starts on a new sheet."""
        if not self.sections:
            self.start_section()
        parent, kids = self.sections[-1]
        number = self._allocate()
        self._object(
            number,
            b"<</Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources <<>>>>" % parent,
        )
        kids.append(number)
        self.pages += 1
        return number

    def _serialize(self, value: Any, renumber: Callable[[Any], int]) -> bytes:
        if isinstance(value, IndirectObject):
            return b"%d 0 R" % renumber(value)
        if isinstance(value, DictionaryObject):
            items = []
            for key, item in value.items():
                if isinstance(value, StreamObject) and key == "/Length":
                    continue
                items.append(self._leaf(key) + b" " + self._serialize(item, renumber))
            if isinstance(value, StreamObject):
                # pypdf keeps a stream's bytes as stored (still compressed) in ``_data``.
                raw = value._data  # noqa: SLF001
                items.append(b"/Length %d" % len(raw))
                return b"<<" + b" ".join(items) + b">>\nstream\n" + raw + b"\nendstream"
            return b"<<" + b" ".join(items) + b">>"
        if isinstance(value, ArrayObject):
            return b"[" + b" ".join(self._serialize(item, renumber) for item in value) + b"]"
        return self._leaf(value)

    @staticmethod
    def _leaf(value: Any) -> bytes:
        kind = type(value)
        if kind is NumberObject:
            return b"%d" % value
        if kind is NameObject:  # few distinct names, used over and over
            cached = _NAMES.get(value)
            if cached is None:
                cached = _NAMES[value] = _written(value)
            return cached
        return _written(value)

    def bookmark(self, title: str, page: int, parent: Bookmark | None = None) -> Bookmark:
        mark = Bookmark(title, page)
        (parent.children if parent else self.outline).append(mark)
        return mark

    def _text(self, text: str) -> bytes:
        return self._leaf(create_string_object(text))

    def _write_outline(self, marks: list[Bookmark], parent: int) -> tuple[int, int, int]:
        """Write ``marks`` under ``parent``; return (first, last, count of visible items)."""
        numbers = [self._allocate() for _ in marks]
        count = len(marks)
        for index, (mark, number) in enumerate(zip(marks, numbers, strict=True)):
            parts = [
                b"/Title " + self._text(mark.title),
                b"/Parent %d 0 R" % parent,
                b"/Dest [%d 0 R /XYZ null null null]" % mark.page,
            ]
            if index:
                parts.append(b"/Prev %d 0 R" % numbers[index - 1])
            if index + 1 < len(numbers):
                parts.append(b"/Next %d 0 R" % numbers[index + 1])
            if mark.children:
                first, last, _ = self._write_outline(mark.children, number)
                # a negative count: the item starts closed (city -> letters stays tidy)
                parts.append(
                    b"/First %d 0 R /Last %d 0 R /Count -%d" % (first, last, len(mark.children))
                )
            self._object(number, b"<<" + b" ".join(parts) + b">>")
        return numbers[0], numbers[-1], count

    def finish(self, info: dict[str, str], identifier: bytes) -> None:
        """Write the page tree, the outline, the catalog, the cross-reference table."""
        for node, kids in self.sections:
            refs = b" ".join(b"%d 0 R" % kid for kid in kids)
            self._object(
                node, b"<</Type /Pages /Parent 2 0 R /Kids [%s] /Count %d>>" % (refs, len(kids))
            )
        refs = b" ".join(b"%d 0 R" % node for node, _ in self.sections)
        self._object(2, b"<</Type /Pages /Kids [%s] /Count %d>>" % (refs, self.pages))
        catalog = [b"/Type /Catalog", b"/Pages 2 0 R"]
        if self.outline:
            root = self._allocate()
            first, last, count = self._write_outline(self.outline, root)
            self._object(
                root,
                b"<</Type /Outlines /First %d 0 R /Last %d 0 R /Count %d>>" % (first, last, count),
            )
            catalog += [b"/Outlines %d 0 R" % root, b"/PageMode /UseOutlines"]
        self._object(1, b"<<" + b" ".join(catalog) + b">>")
        info_number = self._allocate()
        entries = b" ".join(b"/" + key.encode() + b" " + self._text(v) for key, v in info.items())
        self._object(info_number, b"<<" + entries + b">>")
        start = self.position
        size = self.next_number
        lines = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
        for number in range(1, size):
            lines.append(b"%010d 00000 n \n" % self.offsets[number])
        hexid = identifier.hex().encode()
        lines.append(
            b"trailer\n<</Size %d /Root 1 0 R /Info %d 0 R /ID [<%s> <%s>]>>\n"
            % (size, info_number, hexid, hexid)
        )
        lines.append(b"startxref\n%d\n%%%%EOF\n" % start)
        self._write(b"".join(lines))


def write_packet_pdf(
    path: Path,
    out: Path,
    sections: Iterable[tuple[str, Iterable[tuple[str, str]]]],
    *,
    duplex: bool,
    info: dict[str, str],
    identifier: bytes,
) -> int:
    """Write ``packet.pdf`` from the letters' PDFs; return its page count.

    ``sections`` is ``[(city title, [(letter title, pdf path relative to out), ...]), ...]``;
    both levels may be lazy (the packet feeds letters in as the workers finish them). With
    ``duplex``, a letter with an odd number of pages is followed by a blank page, so every
    letter starts on a new sheet when printed on both sides.
    """
    with atomic_stream(path) as stream:
        writer = PdfConcatenator(stream)
        odd = False  # the letter before has an odd number of pages
        for city_title, letters in sections:
            city_mark: Bookmark | None = None
            for letter_title, relative in letters:
                if duplex and odd:
                    writer.add_blank_page()
                if city_mark is None:
                    writer.start_section()
                try:
                    pages = writer.add(inside(out, relative))
                except Exception as err:  # noqa: BLE001 - pypdf raises many kinds
                    raise AdvocacyError(f"{relative}: cannot read this PDF: {err}") from err
                odd = len(pages) % 2 == 1
                if city_mark is None:
                    city_mark = writer.bookmark(city_title, pages[0])
                writer.bookmark(letter_title, pages[0], city_mark)
        writer.finish(info, identifier)
        return writer.pages


def packet_pdf_options(plan: PacketPlan, settings: PacketSettings) -> dict[str, Any]:
    """packet.pdf's metadata and file identifier: the same inputs give the same bytes."""
    identifier = digest(plan.inputs_digest, [p.digest for p in plan.letters], settings.duplex)
    return {
        "duplex": settings.duplex,
        "info": {
            "Title": f"Sister-city campaign letters, {settings.date.isoformat()}",
            "Producer": f"advocacy {__version__}",
            "CreationDate": "D:" + settings.date.strftime("%Y%m%d") + "000000Z",
        },
        "identifier": bytes.fromhex(identifier[:32]),
    }


class PacketPdfBuilder:
    """Build packet.pdf in a thread of the parent while the workers render.

    The parent mostly waits for its workers: copying each finished letter into the packet
    meanwhile, in city order, takes that work off the end of the run. The file is built under
    a temporary name and becomes packet.pdf only when the run is complete (:meth:`install`).
    Start it after the workers exist (after the first result): forking a process while a
    thread runs is not safe.
    """

    def __init__(self, plan: PacketPlan, settings: PacketSettings, records: dict[str, Any]):
        self.plan = plan
        self.settings = settings
        self.records = records
        self.path = settings.out / PACKET_PDF_BUILDING
        self.pages: int | None = None
        self.error: BaseException | None = None
        self._arrived = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def arrived(self, key: str, record: dict[str, Any]) -> None:
        """Hand over a finished letter (starting the builder at the first one)."""
        with self._arrived:
            self.records[key] = record
            self._arrived.notify_all()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="packet.pdf", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """No more letters will arrive: let the builder finish, or give up, and stop."""
        with self._arrived:
            self._closed = True
            self._arrived.notify_all()
        if self._thread is not None:
            self._thread.join()

    def _wait(self, key: str) -> dict[str, Any] | None:
        with self._arrived:
            while key not in self.records and not self._closed:
                self._arrived.wait()
            return self.records.get(key)

    def _letters(self, city_plan: CityPlan) -> Iterator[tuple[str, str]]:
        for planned in city_plan.letters:
            record = self._wait(planned.key)
            if record is None:
                raise _Abandoned
            result = result_of(planned.job, record)
            if result.status == "ok" and "pdf" in result.files:
                yield letter_title(planned.job), result.files["pdf"]

    def _run(self) -> None:
        sections = ((c.city.label, self._letters(c)) for c in self.plan.cities)
        options = packet_pdf_options(self.plan, self.settings)
        try:
            self.pages = write_packet_pdf(self.path, self.settings.out, sections, **options)
        except _Abandoned:
            self.pages = None
        except BaseException as err:  # noqa: BLE001 - handed to the main thread by install()
            self.error = err

    def install(self) -> int | None:
        """Move the finished file into place as packet.pdf; return its page count."""
        if self.error is not None:
            raise self.error
        if self.pages is None:
            return None
        os.replace(self.path, self.settings.out / PACKET_PDF)
        return self.pages

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class _Abandoned(Exception):
    """The run stopped before every letter arrived: the packet.pdf being built is dropped."""
