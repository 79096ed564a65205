"""Lines of text laid out once for many letters: the same PDFs as without the cache."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from samples import make_letter  # noqa: E402
from test_pdf_batch import STYLE, embedded_jobs, longer

from advocacy.formats import Style, pdf_lines
from advocacy.formats.pdf import Renderer
from advocacy.letter import NoteRef, Paragraph
from advocacy.templating import builtin_dir


def test_letters_come_out_the_same_with_and_without_the_line_cache(tmp_path: Path) -> None:
    assert pdf_lines.install()  # the WeasyPrint it was written for: the cache is in use
    factory, jobs = embedded_jobs(8)
    listed = (
        Paragraph(("What we ask",), "heading"),
        Paragraph(("Two asks:",), "list", items=(("End the tie", NoteRef(1)), ("Reply",))),
        Paragraph(("A quotation, set smaller.",), "quote"),
    )
    letters = [factory.compose(job) for job in jobs] + [
        longer(make_letter(), 60),  # two pages: the continuation line
        dataclasses.replace(make_letter(), paragraphs=make_letter().paragraphs + listed),
    ]
    head = {"organisation": "Friends of Kharkiv", "lines": "a line"}
    styles = (STYLE, Style(template_folders=(builtin_dir(),), fold_marks=True, letterhead=head))
    for style in styles:
        cached, plain = Renderer(style), Renderer(style)
        plain.line_cache = False
        assert cached.line_cache
        assert cached.render_many(letters) == [plain.render(letter) for letter in letters]


def test_a_line_laid_out_again_comes_from_the_cache() -> None:
    renderer = Renderer(STYLE)
    first = renderer.render(make_letter())
    kept = len(pdf_lines._cache)
    assert kept
    assert renderer.render(make_letter()) == first
    assert len(pdf_lines._cache) == kept  # every line of the second letter was found


def test_outside_a_renderer_lines_are_not_kept() -> None:
    import weasyprint

    pdf_lines.install()
    pdf_lines._cache.clear()
    weasyprint.HTML(string="<p>Not kept.</p>").write_pdf()
    assert not pdf_lines._cache
