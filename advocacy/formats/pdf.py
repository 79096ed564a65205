"""PDF letters: the HTML print layout laid out by WeasyPrint.

One :class:`Renderer` per process keeps WeasyPrint's font configuration and the parsed
stylesheet, so only the first letter pays for loading fonts. WeasyPrint fetches nothing but
files inside the template folders and ``data:`` addresses (:class:`SafeURLFetcher`): a
template or stylesheet that points at the network or elsewhere on the disk gets no image,
the letter is still rendered, and the refused address is kept in ``Renderer.refused``.

The output is byte-identical for the same letter: the dates in the PDF are the letter's date
and WeasyPrint derives the file identifier and font-subset names from the content.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ElementTree
import zlib
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import cssselect2
import pydyf
from weasyprint import CSS, HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from advocacy.exceptions import RenderFailed
from advocacy.formats import Style, pdf_ctypes, pdf_lines
from advocacy.formats.html import LAYOUT, STYLESHEET, find_stylesheet, layout, render_html
from advocacy.formats.pdf_batch import Batch
from advocacy.letter import Letter
from advocacy.templating import builtin_dir

SUFFIX = ".pdf"


class FetchRefused(ValueError):
    """WeasyPrint asked for an address outside the template folders."""


class SafeURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that reads only local files inside ``roots`` and ``data:``.

    WeasyPrint catches the :class:`FetchRefused` raised here, logs it and goes on without
    the resource; every refused address is also appended to ``refused``.
    """

    def __init__(self, roots: tuple[Path, ...]):
        super().__init__(timeout=1, allowed_protocols=("file", "data"), allow_redirects=False)
        self.roots = tuple(Path(root).resolve() for root in roots)
        self.refused: list[str] = []

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return True
        if scheme != "file" or parts.netloc not in ("", "localhost"):
            return False
        try:
            path = Path(url2pathname(unquote(parts.path))).resolve()
        except (OSError, ValueError):
            return False
        return any(path.is_relative_to(root) for root in self.roots)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if not self.allows(url):
            if url not in self.refused:
                self.refused.append(url)
            raise FetchRefused(f"refused to fetch {url} (only files in the template folders)")
        return super().fetch(url, headers)


#: An attribute value holding a tab or a line break: XML would read it as a space.
_BREAK_IN_ATTRIBUTE = re.compile(r'="[^"]*[\t\n\r]')


#: The rules of WeasyPrint's user-agent sheet that give every element a pseudo-element.
_EVERY_ELEMENT = re.compile(
    r"^::(marker|footnote-call|footnote-marker|note-call|note-marker|note-callback) \{[^}]*\}\n",
    re.MULTILINE,
)
_PSEUDO_ELEMENTS = ("footnote-call", "footnote-marker", "marker", "note-call", "note-callback",
                    "note-marker")  # fmt: skip


@functools.cache
def letter_user_agent_sheets() -> tuple[CSS, CSS] | None:
    """WeasyPrint's user-agent stylesheet and the built-in letter's copy of it, if it can.

    The sheet gives every element six pseudo-elements (``::marker``, ``::footnote-call``,
    ``::footnote-marker`` and three ``::note-`` ones), and WeasyPrint computes a style for
    each: some 300 a letter, for pseudo-elements the built-in layout and stylesheet never
    show. Their copy keeps ``::marker`` for list items only and drops the other five (they
    have no footnotes): 3.5 % of a letter's CPU time, the same PDF. ``None`` when this
    WeasyPrint's sheet is not the one expected.
    """
    try:
        from weasyprint.css.counters import CounterStyle
        from weasyprint.html import UA, UA_STYLESHEET
    except ImportError:  # pragma: no cover - another WeasyPrint
        return None
    if tuple(sorted(_EVERY_ELEMENT.findall(UA))) != _PSEUDO_ELEMENTS:
        return None

    def narrowed(rule: re.Match[str]) -> str:
        return "li" + rule.group(0) if rule.group(1) == "marker" else ""

    lean = CSS(string=_EVERY_ELEMENT.sub(narrowed, UA), counter_style=CounterStyle())
    return UA_STYLESHEET, lean


class LetterHTML(HTML):
    """A page of the built-in layout with the built-in stylesheet: laid out with the lean
    copy of WeasyPrint's user-agent stylesheet (:func:`letter_user_agent_sheets`)."""

    def _ua_stylesheets(self, *args: object, **kwargs: object) -> Sequence[CSS]:
        sheets = super()._ua_stylesheets(*args, **kwargs)  # type: ignore[misc]
        pair = letter_user_agent_sheets()
        if pair is None:
            return sheets  # type: ignore[no-any-return]
        full, lean = pair
        return [lean if sheet is full else sheet for sheet in sheets]


def parse_page(
    page: str, base_url: str | None, fetcher: URLFetcher, html_class: type[HTML] = HTML
) -> HTML:
    """The page as WeasyPrint's :class:`HTML`, read with Python's XML parser when it can.

    WeasyPrint reads HTML with tinyhtml5, an HTML5 parser in pure Python: 6 % of a letter's
    CPU time. The built-in layout writes well-formed XML (void elements closed, data escaped),
    so its page is read with the C parser of :mod:`xml.etree` instead, into the same tree:
    the PDF comes out byte for byte the same (tests check it on the embedded letters). A page
    the XML parser refuses, or that has an attribute XML would read differently (a tab or a
    line break in it), goes to tinyhtml5 as before.
    """
    if not _BREAK_IN_ATTRIBUTE.search(page):
        try:
            root = ElementTree.fromstring(page)
        except ElementTree.ParseError:
            pass
        else:
            # What an HTML parser does with the whitespace around <head> and <body>: text
            # directly in <html> is dropped, what follows </body> goes into the body.
            root.text = None
            for child in root:
                child.tail = None
            html = html_class(string="<html></html>", base_url=base_url, url_fetcher=fetcher)
            wrapper = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            html.wrapper_element, html.etree_element = wrapper, wrapper.etree_element
            return html
    return html_class(string=page, base_url=base_url, url_fetcher=fetcher)


#: zlib's level for the letters' streams: its default, where pydyf asks for 9. A letter's
#: streams (the page, two font subsets, their character maps, the XMP metadata) then take
#: 1.1 ms to compress instead of 3.0, and 1 % more bytes.
COMPRESSION = 6


def compress_streams(document: Document, pdf: pydyf.PDF, level: int = COMPRESSION) -> None:
    """A ``write_pdf`` finisher: compress each stream WeasyPrint marked for compression at
    ``level``, exactly as pydyf would at 9 (the same dictionary, ``/FlateDecode``, the length),
    so that the PDF differs only in its compressed bytes. pydyf compresses the object and
    cross-reference streams it builds as it writes, at 9, as before."""
    for item in pdf.objects:
        if isinstance(item, pydyf.Stream) and item.compress and isinstance(item.extra, dict):
            data = b"\n".join(_bytes(part) for part in item.stream)
            packer = zlib.compressobj(level=level)
            item.stream = [packer.compress(data) + packer.flush()]
            item.compress = False
            item.extra["Filter"] = "/FlateDecode"


def _bytes(part: object) -> bytes:
    """A part of a stream as pydyf writes it (``pydyf._to_bytes``)."""
    return pydyf._to_bytes(part)  # type: ignore[attr-defined,no-any-return]


class Renderer:
    """Render letters to PDF bytes; build once per process and reuse."""

    def __init__(self, style: Style, **options: object):
        self.style = style
        self.font_config = FontConfiguration()
        self.fetcher = SafeURLFetcher(tuple(style.template_folders))
        folders = style.template_folders
        self.base_url = str(Path(folders[0]).resolve()) + "/" if folders else None
        #: extra WeasyPrint rendering options, e.g. ``full_fonts=True`` (see DEFAULT_OPTIONS).
        #: Letters are tagged PDF/UA-1: structure tags in reading order, language, title.
        self.options = {"pdf_variant": "pdf/ua-1", **options}
        self.options.setdefault("cache", {})  # images (a letterhead logo) decoded once
        self._stylesheets: dict[Path, CSS] = {}
        self._xml_layout: bool | None = None
        self._builtin_look: bool | None = None
        self._batch: Batch | None = None
        #: lines of text laid out once for all letters (:mod:`advocacy.formats.pdf_lines`)
        self.line_cache = pdf_lines.install()
        pdf_ctypes.install()  # font subsets' C arrays made without parsing their type names
        #: PDFs laid out ahead (:mod:`advocacy.formats.pdf_batch`), by ``id`` of their letter
        self._kept: dict[int, tuple[Letter, bytes]] = {}

    @property
    def xml_layout(self) -> bool:
        """Whether the layout is the built-in one, known to read the same as XML and HTML."""
        if self._xml_layout is None:
            builtin = (builtin_dir() / LAYOUT).resolve()
            self._xml_layout = Path(layout(self.style).filename or "").resolve() == builtin
        return self._xml_layout

    @property
    def builtin_look(self) -> bool:
        """Whether both the layout and the stylesheet are the built-in ones."""
        if self._builtin_look is None:
            path = find_stylesheet(self.style)
            css = path is not None and path.resolve() == (builtin_dir() / STYLESHEET).resolve()
            self._builtin_look = css and self.xml_layout
        return self._builtin_look

    @property
    def refused(self) -> list[str]:
        """Addresses WeasyPrint asked for and did not get."""
        return self.fetcher.refused

    def stylesheets(self) -> list[CSS]:
        path = find_stylesheet(self.style)
        if path is None:
            return []
        key = path.resolve()
        if key not in self._stylesheets:
            try:
                self._stylesheets[key] = CSS(
                    filename=str(key),
                    url_fetcher=self.fetcher,
                    font_config=self.font_config,
                )
            except OSError as err:
                raise RenderFailed(f"cannot read stylesheet {path}: {err}") from err
        return [self._stylesheets[key]]

    @property
    def batch(self) -> Batch:
        """Lays several letters out as one document (:mod:`advocacy.formats.pdf_batch`)."""
        if self._batch is None:
            self._batch = Batch(self)
        return self._batch

    def parse(self, page: str) -> HTML:
        """The letter's page as WeasyPrint's :class:`HTML`."""
        if self.xml_layout:
            html_class = LetterHTML if self.builtin_look else HTML
            return parse_page(page, self.base_url, self.fetcher, html_class)
        return HTML(string=page, base_url=self.base_url, url_fetcher=self.fetcher)

    def layout(self, letter: Letter, *, compact: bool = False) -> Document:
        """Lay the letter out (WeasyPrint's ``Document``: its pages, not yet drawn)."""
        page = render_html(letter, self.style, inline_stylesheet=False, compact=compact)
        html = self.parse(page)
        with pdf_lines.active(self.line_cache):
            return html.render(
                stylesheets=self.stylesheets(), font_config=self.font_config, **self.options
            )

    def keep(self, letters: Sequence[Letter], written: dict[int, bytes]) -> None:
        """Have :meth:`render` return ``written[i]`` for ``letters[i]`` (the same object),
        instead of what was kept before."""
        self._kept = {id(letters[index]): (letters[index], pdf) for index, pdf in written.items()}

    def render_many(self, letters: Sequence[Letter]) -> list[bytes]:
        """The letters' PDFs, laid out together where they can be (the same bytes)."""
        written = self.batch.render(letters)
        return [written.get(index) or self.render(letter) for index, letter in enumerate(letters)]

    def render(self, letter: Letter) -> bytes:
        kept = self._kept.pop(id(letter), None)
        if kept is not None and kept[0] is letter:
            return kept[1]
        document = self.layout(letter)
        if len(document.pages) == 2 and not letter.appendix:
            # A few lines over: tighter spacing may bring the letter back to one page.
            compact = self.layout(letter, compact=True)
            if len(compact.pages) == 1:
                document = compact
        return self.write(document)

    def write(self, document: Document) -> bytes:
        """The laid-out letter as PDF bytes (streams compressed by :func:`compress_streams`)."""
        pdf = document.write_pdf(finisher=compress_streams, **self.options)
        assert pdf is not None
        return pdf
