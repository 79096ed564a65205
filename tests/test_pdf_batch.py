"""PDF letters laid out several to a WeasyPrint document: the same bytes as one at a time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from samples import make_letter  # noqa: E402

from advocacy.dataset import load_dataset
from advocacy.exceptions import AdvocacyError
from advocacy.formats import Style
from advocacy.formats.pdf import Renderer
from advocacy.formats.pdf_batch import first_page_rules, rendered_together
from advocacy.generate import LetterFactory, LetterJob, plan_city
from advocacy.letter import Letter, NoteRef, Paragraph
from advocacy.models import Sender
from advocacy.packet.plan import PlannedLetter
from advocacy.packet.workers import Unit, write_units
from advocacy.templating import builtin_dir, search_path

STYLE = Style(template_folders=(builtin_dir(),))
SENDER = Sender(
    name="Olena Kovalenko",
    address_lines=("1 Market St", "San Jose, CA 95113"),
    email="olena.kovalenko@example.org",
)
DATE = dt.date(2026, 12, 1)


def embedded_jobs(count: int) -> tuple[LetterFactory, list[LetterJob]]:
    """Letters of the embedded data: one from each of ``count`` cities (varied templates)."""
    folders = search_path()
    data = load_dataset()
    factory = LetterFactory(folders, ("pdf",), SENDER, DATE, data.quotes)
    jobs = []
    for city in data.cities():
        planned = plan_city(data, city, folders)[0]
        if planned and city.tie.status != "terminated":
            jobs.append(planned[len(jobs) % len(planned)])
        if len(jobs) == count:
            break
    return factory, jobs


def longer(letter: Letter, words: int) -> Letter:
    more = Paragraph(("Sister-city ties matter to Екатеринбург and to Springfield. " * words,))
    return dataclasses.replace(letter, paragraphs=(*letter.paragraphs, more))


def test_letters_laid_out_together_are_the_same_bytes_as_alone() -> None:
    """One-page letters come from the batch; a letter of two pages (the continuation line),
    one a few lines over (laid out again with tighter spacing) and one with an appendix are
    rendered alone; every file is byte for byte what one letter at a time gives."""
    factory, jobs = embedded_jobs(9)
    letters = [factory.compose(job) for job in jobs]
    two_pages = longer(make_letter(), 60)
    compact = longer(make_letter(), 34)
    appendix = dataclasses.replace(make_letter(), appendix=(Paragraph(("Signed: 12 people",)),))
    alone = Renderer(STYLE)
    assert len(PdfReader(io.BytesIO(alone.render(two_pages))).pages) == 2
    assert (
        len(alone.layout(compact).pages) == 2
        and len(alone.layout(compact, compact=True).pages) == 1
    )
    letters[2:2] = [two_pages, compact]
    letters.append(appendix)

    together = Renderer(STYLE)
    batched = together.batch.render(letters)
    assert sorted(batched) == [
        i for i, letter in enumerate(letters) if letter not in (two_pages, compact, appendix)
    ]
    assert together.render_many(letters) == [alone.render(letter) for letter in letters]


def test_a_letter_whose_page_fails_is_left_out_of_the_batch() -> None:
    broken = dataclasses.replace(make_letter(), paragraphs=(Paragraph(("See", NoteRef(9))),))
    good = make_letter()
    other = dataclasses.replace(good, subject="Another subject")
    renderer = Renderer(STYLE)
    batched = renderer.batch.render([good, broken, other])
    assert sorted(batched) == [0, 2]
    assert batched[0] == Renderer(STYLE).render(good)
    assert batched[2] == Renderer(STYLE).render(other)
    with pytest.raises(AdvocacyError, match="note 9"):
        renderer.render_many([good, broken, other])


def test_first_page_rules_become_rules_for_every_page() -> None:
    css = "@page { margin: 1in }\n@page :first { margin-top: 2in; @top-left { content: none } }"
    assert first_page_rules(css) == "@page { margin-top: 2in; @top-left { content: none } }"
    assert first_page_rules("@page :left { margin: 1in }") is None  # not what batches expect
    assert first_page_rules("p { margin: 0 }") is None


def test_a_user_stylesheet_is_rendered_one_letter_at_a_time(tmp_path: Path) -> None:
    (tmp_path / "letter.css").write_text("p { color: red }", encoding="utf-8")
    renderer = Renderer(Style(template_folders=(tmp_path, builtin_dir())))
    assert not renderer.batch.usable
    assert renderer.batch.render([make_letter(), make_letter()]) == {}


def test_workers_write_batches_composing_each_letter_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory, jobs = embedded_jobs(4)
    composed: list[str] = []
    compose = LetterFactory._compose  # where a letter is composed (compose may hand one ahead)

    def counted(self: LetterFactory, job: LetterJob) -> Letter:
        composed.append(job.stem)
        if job is jobs[1]:
            raise AdvocacyError("this letter cannot be composed")
        return compose(self, job)

    monkeypatch.setattr(LetterFactory, "_compose", counted)
    units = [Unit((PlannedLetter(job, ""),)) for job in jobs]
    written = list(write_units(factory, units, tmp_path / "together"))
    assert composed == [job.stem for job in jobs]  # each once, ahead of writing
    assert [records[0]["status"] for records, _ in written] == ["ok", "failed", "ok", "ok"]
    assert written[1][0][0]["error"] == "this letter cannot be composed"
    assert "compose" not in vars(factory)  # the factory is itself again after the batch

    alone = LetterFactory(search_path(), ("pdf",), SENDER, DATE, factory.quotes)
    for index, job in enumerate(jobs):
        if index == 1:
            continue
        relative = written[index][0][0]["files"]["pdf"]
        result = alone.write(job, tmp_path / "alone")
        assert result.files["pdf"] == relative
        assert (tmp_path / "together" / relative).read_bytes() == (
            tmp_path / "alone" / relative
        ).read_bytes()


def test_rendered_together_does_nothing_without_pdf(tmp_path: Path) -> None:
    factory, jobs = embedded_jobs(2)
    text_only = LetterFactory(factory.folders, ("txt",), SENDER, DATE, factory.quotes)
    with rendered_together(text_only, jobs):
        assert "compose" not in vars(text_only)
