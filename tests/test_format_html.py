"""The HTML print layout: escaping, the source list, paragraph kinds, overrides, a golden file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import assert_golden
from markupsafe import escape
from samples import HOSTILE, QUOTE_URL, make_letter  # noqa: E402

from advocacy.exceptions import RenderFailed
from advocacy.formats import Style
from advocacy.formats.html import blocks, render_html, sources
from advocacy.letter import Note, NoteRef, Paragraph
from advocacy.templating import builtin_dir

STYLE = Style(template_folders=(builtin_dir(),))


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(make_letter(), STYLE)


def test_golden(html: str) -> None:
    assert_golden(html, "html/letter.html")


def test_deterministic(html: str) -> None:
    assert render_html(make_letter(), STYLE) == html


def test_data_is_escaped(html: str) -> None:
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; “Ёлка” O&#39;Brien {{ 7*7 }}"
    assert escaped in html
    assert "<script>" not in html
    assert "{{ 7*7 }}" in html and "49" not in html
    assert "&lt;b&gt;tags&lt;/b&gt;" in html


def test_references_are_numbers_and_the_sources_a_list_at_the_end(html: str) -> None:
    assert html.count('<sup class="note-ref">1</sup>') == 2  # the note is cited twice
    url = QUOTE_URL.replace("&", "&amp;")
    sources = html[html.index('<section class="sources"') :]
    assert sources.startswith('<section class="sources" aria-label="Sources">\n<p>1. Volodymyr')
    assert f'<a href="{url}">{url}</a></p>' in sources
    # The list comes after the signature, the numbers in the text before it.
    assert html.index('class="signature"') < html.index('class="sources"')
    assert html.rindex('class="note-ref"') < html.index('class="signature"')


def test_citation_printed_once(html: str) -> None:
    assert html.count("Volodymyr Zelenskyy, President of Ukraine") == 1
    assert html.count(QUOTE_URL.replace("&", "&amp;")) == 2  # href and link text only


def test_only_web_addresses_become_links() -> None:
    letter = make_letter()
    quote = dataclasses.replace(letter.notes[0].quote, url="javascript:alert(1)")
    letter = dataclasses.replace(letter, notes=(dataclasses.replace(letter.notes[0], quote=quote),))
    page = render_html(letter, STYLE)
    assert "javascript:alert(1)</p>" in page
    assert 'href="javascript' not in page


def test_sources_numbered_in_the_order_the_letter_cites_them() -> None:
    letter = make_letter()
    second = dataclasses.replace(letter.notes[0].quote, id="q2", url="https://example.com/two")
    letter = dataclasses.replace(
        letter,
        paragraphs=(Paragraph(("First", NoteRef(2))), *letter.paragraphs),
        notes=(*letter.notes, Note(2, second)),
    )
    page = render_html(letter, STYLE)
    assert 'First<sup class="note-ref">1</sup>' in page
    assert [source.url for source in sources(letter)] == ["https://example.com/two", QUOTE_URL]
    assert page.index("<p>1. ") < page.index("https://example.com/two") < page.index("<p>2. ")


def test_metadata_and_layout_parts(html: str) -> None:
    assert "<title>Ending Springfield&#39;s sister-city tie with Екатеринбург</title>" in html
    assert '<meta name="author" content="Mary O&#39;Neil"/>' in html
    assert '<meta name="description" content="Letter to Mayor José Peña, Springfield, IL"/>' in html
    assert '<meta name="dcterms.created" content="2024-06-03T00:00:00Z"/>' in html
    assert '<address class="inside-address" style="top: ' in html
    assert "<blockquote><p>Sister cities must choose" in html
    assert "Dear Mayor Peña,</p>" in html
    assert "@page" in html  # the stylesheet is inlined


def test_without_inline_stylesheet() -> None:
    page = render_html(make_letter(), STYLE, inline_stylesheet=False)
    assert "<style>" not in page and "@page" not in page


def test_headings_and_lists() -> None:
    letter = dataclasses.replace(
        make_letter(),
        paragraphs=(
            Paragraph(("What we ask",), "heading"),
            Paragraph(("Two asks:",), "list", items=(("End the tie", NoteRef(1)), ("Reply",))),
        ),
    )
    page = render_html(letter, STYLE)
    assert "<h2>What we ask</h2>" in page
    assert '<li>End the tie<sup class="note-ref">1</sup></li>' in page
    assert "<li>Reply</li>" in page


def test_missing_note_is_an_error() -> None:
    letter = dataclasses.replace(make_letter(), notes=())
    with pytest.raises(RenderFailed, match="note 1"):
        blocks(letter)


def test_user_folder_overrides_layout_and_stylesheet(tmp_path: Path) -> None:
    user = tmp_path / "templates"
    user.mkdir()
    (user / "letter.css").write_text("body { color: red } </style><b>", encoding="utf-8")
    style = Style(template_folders=(user, builtin_dir()))
    page = render_html(make_letter(), style)
    assert "body { color: red }" in page
    assert "</style><b>" not in page  # the stylesheet cannot close its element
    layout = tmp_path / "layout"
    layout.mkdir()
    (layout / "letter.html.j2").write_text(
        "<p>{{ letter.official.name }} {{ letter.sender.organisation }}</p>", encoding="utf-8"
    )
    page = render_html(make_letter(), Style(template_folders=(layout, builtin_dir())))
    assert page == f"<p>José Peña {escape(HOSTILE)}</p>"


def test_letterhead_logo_only_inside_template_folders(tmp_path: Path) -> None:
    user = tmp_path / "templates"
    user.mkdir()
    (user / "logo.png").write_bytes(b"png")
    (tmp_path / "secret.png").write_bytes(b"png")
    style = Style(
        template_folders=(user, builtin_dir()),
        letterhead={"organisation": "Friends & Neighbours", "logo": "logo.png"},
    )
    page = render_html(make_letter(), style)
    assert f'src="{(user / "logo.png").resolve().as_uri()}"' in page
    assert "Friends &amp; Neighbours" in page
    outside = dataclasses.replace(style, letterhead={"logo": "../secret.png"})
    assert "secret.png" not in render_html(make_letter(), outside)
