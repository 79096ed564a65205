"""Typography of the template's own words; data printed as written; districts; the window fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advocacy.formats.window import ADDRESS_BOX, MAX_LINES, block_height, fit_address, text_width
from advocacy.templating import make_environment
from advocacy.text import district_heading
from advocacy.typography import NBSP, curl, en_dashes, keep_last_words_together


def render(tmp_path: Path, source: str, **context: object) -> str:
    (tmp_path / "t.j2").write_text(source, encoding="utf-8")
    return make_environment([tmp_path]).get_template("t.j2").render(context)


def test_template_text_gets_curly_quotes_and_en_dashes(tmp_path: Path) -> None:
    out = render(
        tmp_path,
        """{{ city }}'s tie. Don't wait: "end it" - now. '90s, 'quoted' words. "{{ city }}".\n"""
        "- a list item\nwell-known - {{ a }} - {{ b }}\n"
        """{{ a ~ "'s" }}{% if a ~ "'s" == "Chicago's" %}!{% endif %}\n""",
        city="San Jose",
        a="Chicago",
        b="Moscow",
    )
    assert out == (
        "San Jose\u2019s tie. Don\u2019t wait: \u201cend it\u201d \u2013 now. \u201890s, "
        "\u2018quoted\u2019 words. \u201cSan Jose\u201d.\n- a list item\n"
        "well-known \u2013 Chicago \u2013 Moscow\nChicago\u2019s!"
    )


def test_data_is_printed_as_written(tmp_path: Path) -> None:
    value = """He said "Don't" - San Diego - Vladivostok, 'x' {{ 7*7 }}"""
    assert render(tmp_path, "{{ v }}", v=value) == value
    assert render(tmp_path, "A {{ v }} B", v=value) == f"A {value} B"


def test_html_layout_is_not_curled(tmp_path: Path) -> None:
    (tmp_path / "t.html.j2").write_text('<p class="x">it\'s</p>', encoding="utf-8")
    environment = make_environment([tmp_path], html=True)
    assert environment.get_template("t.html.j2").render() == '<p class="x">it\'s</p>'


@given(st.text(alphabet="ab \"'-\n(", max_size=40))
def test_curling_keeps_everything_but_the_quotes(text: str) -> None:
    curled = curl(text)
    assert len(curled) == len(text)
    assert '"' not in curled and "'" not in curled
    straight = curled.translate(str.maketrans("\u201c\u201d\u2018\u2019", "\"\"''"))
    assert straight == text
    assert en_dashes(text).replace("\u2013", "-") == text


def test_subject_keeps_its_last_two_words_together() -> None:
    assert keep_last_words_together("Please end it now") == f"Please end it{NBSP}now"
    assert keep_last_words_together("Alone") == "Alone"


@pytest.mark.parametrize(
    ("value", "label"),
    [("2", "District 2"), ("District 2", "District 2"), ("Ward 5", "Ward 5"), ("", ""),
     (None, ""), ("  10 ", "District 10"), ("²", "District ²")],
)  # fmt: skip
def test_district_heading(value: str | None, label: str) -> None:
    assert district_heading(value) == label


def test_district_is_never_doubled() -> None:
    import dataclasses

    from samples import make_letter

    letter = make_letter()
    for district in ("2", "District 2"):
        official = dataclasses.replace(letter.official, role="council_member", district=district)
        lines = dataclasses.replace(letter, official=official).recipient_lines
        assert lines[1] == "Councilmember, District 2"


def test_fit_address() -> None:
    five = ("Matt Mahan", "Mayor", "City of San Jose", "200 E. Santa Clara St.", "San Jose, CA")
    assert fit_address(five).size == 10.0
    six = (*five[:3], "Office of the Mayor", *five[3:])
    joined = (six[0], "Mayor, City of San Jose", *six[3:])
    fit = fit_address(six, joined)
    assert fit.fits and fit.lines == joined and fit.size == 10.0
    seven = (*six, "Suite 1800")
    fit = fit_address(seven, (seven[0], "Mayor, City of San Jose", *seven[3:]))
    assert fit.fits and len(fit.lines) == MAX_LINES and fit.size >= 8.5
    assert block_height(len(fit.lines), fit.size) <= ADDRESS_BOX.height
    too_many = tuple(f"Line {n}" for n in range(8))
    assert not fit_address(too_many).fits
    wide = ("Name", "A very long line of an address that cannot fit in the window at all here")
    fit = fit_address(wide)
    assert not fit.fits or all(text_width(line, fit.size) <= 3.7 for line in fit.lines)
