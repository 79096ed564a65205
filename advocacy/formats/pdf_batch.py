"""Several PDF letters laid out as one WeasyPrint document, each written as its own file.

WeasyPrint pays some work once a document whatever its length (the cascade's set-up, the
page's styles, the layout context): laying 8 letters out as one document and writing each
letter's page as its own PDF costs about 0.9 of laying them out one at a time, and gives the
same bytes (tests compare them).

How: the letters' pages (the built-in layout, well-formed XML) are read one by one, then the
body of every letter after the first is moved into the first one's body. A batch stylesheet
makes each letter's header start a new page (``break-before: page``) and gives every page the
built-in stylesheet's first-page rules (``@page :first`` copied as ``@page``): a letter of one
page is laid out exactly as on its own. Each page is written with the metadata its own letter
would have had (:func:`weasyprint.html.get_html_metadata` on its own page). A letter that
takes more than one page in the batch, or whose page cannot be told apart, is rendered alone
(:meth:`Renderer.render`: the continuation line of page 2, the tighter spacing of a letter a
few lines over one page). Anything not as expected (another layout or stylesheet, another
WeasyPrint) falls back to one letter at a time.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import cssselect2
import tinycss2
from weasyprint import CSS, HTML
from weasyprint.document import Document, DocumentMetadata
from weasyprint.html import get_html_metadata

from advocacy.exceptions import AdvocacyError
from advocacy.formats import pdf_lines
from advocacy.formats.html import find_stylesheet, render_html
from advocacy.letter import Letter

if TYPE_CHECKING:
    from advocacy.formats.pdf import Renderer
    from advocacy.generate import LetterFactory, LetterJob

#: The element of the built-in layout that starts a letter (``letter.html.j2``).
HEADER_TAG, HEADER_CLASS = "header", "letter-head"


def first_page_rules(stylesheet: str) -> str | None:
    """The stylesheet's ``@page :first`` rules as plain ``@page`` rules, or ``None``.

    Every page of a batch is some letter's first page; later in the cascade than the
    stylesheet, these rules give each one the margins and margin boxes of a first page.
    """
    copied = []
    for rule in tinycss2.parse_stylesheet(stylesheet, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.lower_at_keyword == "page" and rule.content:
            prelude = tinycss2.serialize(rule.prelude).strip()
            if prelude == ":first":
                copied.append("@page {" + tinycss2.serialize(rule.content) + "}")
            elif prelude:
                return None  # other page selectors (:left, names): not what the batch expects
    return "\n".join(copied) if copied else None


@functools.cache
def _batch_sheet(stylesheet: str) -> str | None:
    rules = first_page_rules(stylesheet)
    if rules is None:
        return None
    return f"{rules}\n{HEADER_TAG}.{HEADER_CLASS} {{ break-before: page; }}\n"


class Batch:
    """Lays letters out together for one :class:`~advocacy.formats.pdf.Renderer`."""

    def __init__(self, renderer: Renderer):
        self.renderer = renderer
        self._sheet: CSS | None = None
        self.usable = False
        if renderer.builtin_look:
            path = find_stylesheet(renderer.style)
            assert path is not None  # the built-in look has the built-in stylesheet
            text = _batch_sheet(path.read_text(encoding="utf-8"))
            if text is not None:
                self._sheet = CSS(string=text, font_config=renderer.font_config)
                self.usable = True

    def render(self, letters: Sequence[Letter]) -> dict[int, bytes]:
        """The PDFs of the letters that fit on one page, by position in ``letters``.

        A letter missing from the result is rendered alone by the caller, as are all of them
        if the batch fails (one letter WeasyPrint cannot lay out must not fail the others).
        """
        if not self.usable or len(letters) < 2:
            return {}
        try:
            return self._render(letters)
        except Exception:  # noqa: BLE001 - each letter is rendered alone, and fails alone
            return {}

    def _render(self, letters: Sequence[Letter]) -> dict[int, bytes]:
        renderer = self.renderer
        htmls: list[HTML] = []
        positions: list[int] = []  # in ``letters``; a letter whose page fails is left out
        for position, letter in enumerate(letters):
            try:
                page = render_html(letter, renderer.style, inline_stylesheet=False)
            except AdvocacyError:
                continue  # it fails again, alone, with its own message
            htmls.append(renderer.parse(page))
            positions.append(position)
        if len(htmls) < 2:
            return {}
        metadata = [DocumentMetadata(**get_html_metadata(html)) for html in htmls]
        owner = _merge(htmls)
        if owner is None:
            return {}
        base = htmls[0]
        root = base.etree_element
        base.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        assert self._sheet is not None
        with pdf_lines.active(renderer.line_cache):
            document = base.render(
                stylesheets=[*renderer.stylesheets(), self._sheet],
                font_config=renderer.font_config,
                **renderer.options,
            )
        pages = _pages_by_letter(document, owner, len(htmls))
        written: dict[int, bytes] = {}
        for index, own in enumerate(pages):
            if len(own) != 1:
                continue  # two pages or more: rendered alone (continuation line, compact)
            single = document.copy(own)
            single.metadata = metadata[index]
            written[positions[index]] = renderer.write(single)
        return written


def _merge(htmls: Sequence[HTML]) -> dict[int, int] | None:
    """Move every letter's body into the first letter's body; map each letter's header (by
    ``id``) to its letter. ``None`` when a page is not the built-in layout's."""
    owner: dict[int, int] = {}
    bodies = []
    for index, html in enumerate(htmls):
        root = html.etree_element
        body = root.find("body")
        if root.tag != "html" or body is None or len(body) == 0:
            return None
        header = body[0]
        if header.tag != HEADER_TAG or HEADER_CLASS not in (header.get("class") or "").split():
            return None
        owner[id(header)] = index
        bodies.append(body)
    first = bodies[0]
    for body in bodies[1:]:
        for child in list(body):
            first.append(child)
    return owner


def _pages_by_letter(document: Document, owner: dict[int, int], count: int) -> list[list[Any]]:
    """Each letter's pages: a page belongs to the letter whose header starts it, or to the
    letter of the page before. A page that cannot be read so makes its letter go alone."""
    pages: list[list[Any]] = [[] for _ in range(count)]
    current: int | None = None
    for page in document.pages:
        first = _first_element(page)
        if first is not None and id(first) in owner:
            current = owner[id(first)]
        elif current is None or first is None:
            return [[] for _ in range(count)]
        pages[current].append(page)
    return pages


def _first_element(page: Any) -> Any:
    """The element of the first box in the page's body, or ``None``."""
    page_box = getattr(page, "_page_box", None)
    for box in getattr(page_box, "children", ()):
        if getattr(box, "element_tag", None) == "html":
            body: Any = box.children[0] if box.children else None
            if getattr(body, "element_tag", None) != "body" or not body.children:
                return None
            return body.children[0].element
    return None


@contextlib.contextmanager
def rendered_together(factory: LetterFactory, jobs: Sequence[LetterJob]) -> Iterator[None]:
    """Inside the block, ``factory.write`` writes ``jobs``' PDFs laid out together.

    The letters are composed here, once (``LetterFactory.compose_ahead``: inside the block
    ``factory.compose`` returns each of ``jobs``' letter, or raises the error composing it
    raised), and the PDF renderer returns the PDF laid out here for that letter. Without
    PDFs, or with fewer than two letters, nothing is done ahead.
    """
    if "pdf" not in factory.formats or len(jobs) < 2:
        yield
        return
    try:
        renderer = factory.renderer("pdf")
    except Exception:  # noqa: BLE001 - reported by each letter's own write
        yield
        return
    letters = factory.compose_ahead(jobs)
    renderer.keep(letters, renderer.batch.render(letters))
    try:
        yield
    finally:
        factory.drop_ahead()
        renderer.keep((), {})
