"""`advocacy site` without a browser: the page's data, its policy, its weight, its refusals."""

from __future__ import annotations

import datetime as dt
import html as html_text
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from advocacy.cli import cli
from advocacy.dataset import load_dataset
from advocacy.exceptions import TemplateFailed
from advocacy.generate import plan_city
from advocacy.models import Sender
from advocacy.packet import select_cities
from advocacy.site import build_site
from advocacy.site.build import PAGE_BUDGET, csp_hash
from advocacy.site.letters import (
    FIELDS,
    MARKERS,
    SiteComposer,
    letter_record,
    sender_for,
    substitute,
    without_personal,
)
from advocacy.templating import search_path

DATE = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def data():
    return load_dataset()


def page_parts(html: str) -> tuple[str, dict, list[str], list[str]]:
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy
    payload = re.search(
        r'<script type="application/json" id="site-data">(.*?)</script>', html, re.S
    )
    assert payload
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    styles = re.findall(r"<style[^>]*>(.*?)</style>", html, re.S)
    return html_text.unescape(policy.group(1)), json.loads(payload.group(1)), scripts, styles


def test_embedded_campaign_page_is_light_self_contained_and_locked_down(data, tmp_path):
    cities = select_cities(data)
    result = build_site(data, cities, search_path(), tmp_path / "site", DATE)
    html = result.path.read_text(encoding="utf-8")
    assert result.size == len(html.encode("utf-8")) < PAGE_BUDGET
    assert result.cities == len(cities) > 40
    assert result.cities_with_letters >= 15 and result.officials >= 40
    policy, payload, scripts, styles = page_parts(html)
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    assert "'unsafe-inline'" not in policy
    assert len(scripts) == 1 and csp_hash(scripts[0]) in policy
    assert len(styles) == 2 and all(csp_hash(style) in policy for style in styles)
    # No resource from anywhere: no src, no stylesheet link, no @import, no url().
    assert not re.search(r"<(img|link|iframe|object|embed|audio|video)\b", html)
    assert " src=" not in html and "@import" not in html and "url(" not in html
    labels = {c["label"] for c in payload["cities"]}
    assert "San Jose, CA" in labels and "Portland, OR" in labels
    assert sum(len(c["officials"]) for c in payload["cities"]) == result.officials


def test_rebuild_is_byte_identical_and_leaves_the_file_alone(data, tmp_path):
    out = tmp_path / "site"
    cities = select_cities(data, ["San Jose, CA"])
    first = build_site(data, cities, search_path(), out, DATE)
    before = first.path.stat().st_mtime_ns
    again = build_site(data, cities, search_path(), out, DATE)
    assert first.written and not again.written
    assert again.path.stat().st_mtime_ns == before
    later = build_site(data, cities, search_path(), out, DATE + dt.timedelta(days=1))
    assert later.written  # the footer's date changed
    assert [p.name for p in out.iterdir()] == ["index.html"]  # no temporary left behind


@pytest.mark.parametrize("personal", ["", "My  grandmother was born in Kharkiv."])
@pytest.mark.parametrize("variant", ["d", "r", "n", "s"])
def test_variants_filled_in_are_the_letters_the_tool_writes(data, variant, personal):
    """What the page does (markers -> typed values) gives the letter compose_letter makes."""
    city = data.find_city("San Jose, CA")
    jobs, _ = plan_city(data, city, search_path())
    job = next(j for j in jobs if (j.official.role == "mayor") == (variant != "d"))
    composer = SiteComposer(search_path(), DATE, data.quotes)
    marked = composer.variant(job, variant)
    values = {
        "name": "Ann <b>&amp;</b> 🌻",
        "street": "1 Market St #4",
        "city": {"n": "Chicago", "s": "San José"}.get(variant, "San Jose"),
        "state": {"n": "IL", "s": "NM"}.get(variant, "CA"),
        "zip": "95113",
        "email": "ann@example.org",
        "district": "District 3",
        "personal": " ".join(personal.split()),  # the page collapses spaces, as paragraphs do
    }
    sender = Sender(
        name=values["name"],
        address_lines=(values["street"], f"{values['city']}, {values['state']} {values['zip']}"),
        email=values["email"],
        district=sender_for(variant, job.official, city, values).district,
    )
    expected = letter_record(composer._compose(job, sender, personal))
    if personal or marked.bare is not None:
        record = marked.record(bare=not personal)
    else:
        record = without_personal(marked.record())
    filled = json.loads(substitute(json.dumps(record, ensure_ascii=False), values))
    assert filled == expected
    assert all(marker not in json.dumps(filled, ensure_ascii=False) for marker in MARKERS.values())
    assert set(MARKERS) == set(FIELDS)
    assert ("Kharkiv" in json.dumps(filled)) == bool(personal)


def write_template(folder: Path, body: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "mayor.j2").write_text(
        '{#- meta\ndescription: test\naudience: mayor\n-#}\n{% extends "builtin:mayor.j2" %}\n'
        + body,
        encoding="utf-8",
    )


def test_a_template_deciding_on_the_senders_name_is_refused_with_its_line(data, tmp_path):
    folder = tmp_path / "templates"
    write_template(
        folder,
        "{% block thanks %}\nThank you.\n"
        "{% if sender.name|length > 12 %}Yours, with a long name.{% endif %}\n{% endblock %}\n",
    )
    cities = select_cities(data, ["San Jose, CA"])
    with pytest.raises(TemplateFailed) as caught:
        build_site(data, cities, search_path(folder), tmp_path / "site", DATE)
    assert caught.value.template == str(folder / "mayor.j2")
    assert caught.value.line == 8
    assert "sender.name" in str(caught.value)
    assert not (tmp_path / "site").exists()


def test_a_template_printing_the_senders_fields_is_accepted(data, tmp_path):
    folder = tmp_path / "templates"
    write_template(
        folder,
        "{% block thanks %}\nWrite to {{ sender.email }} or to {{ sender.name }} at "
        "{% for line in sender.address_lines %}{{ line }}; {% endfor %}\n{% endblock %}\n",
    )
    result = build_site(
        data, select_cities(data, ["San Jose, CA"]), search_path(folder), tmp_path / "s", DATE
    )
    assert result.written


def test_cli_writes_the_page_and_says_how_to_open_and_publish_it(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        cli, ["site", "--city", "Portland, OR", "--date", "2026-11-28", "--out", "pub"]
    )
    assert result.exit_code == 0, result.output
    page = tmp_path / "pub" / "index.html"
    assert page.is_file()
    assert f"Open it: {page.as_uri()}" in result.output
    assert "Publish it: copy the folder pub to any static web host" in result.output
    again = runner.invoke(
        cli, ["site", "--city", "Portland, OR", "--date", "2026-11-28", "--out", "pub"]
    )
    assert again.output.startswith("Up to date:")


def test_cli_refusal_is_one_line_and_writes_nothing(tmp_path):
    write_template(
        tmp_path / "mine",
        "{% block opening %}\n{% if sender.email.endswith('.gov') %}Official.{% endif %}\n"
        "{% endblock %}\n",
    )
    result = CliRunner().invoke(
        cli, ["site", "--city", "San Jose", "--templates", "mine", "--date", "2026-11-28"]
    )
    assert result.exit_code == 1
    message = result.output.strip()
    assert "\n" not in message and "Traceback" not in message
    assert "mayor.j2:7" in message and "sender.email" in message
    assert not (tmp_path / "site").exists()


def test_sender_markers_survive_the_templates_cleaning():
    """The markers sit outside the range the engine strips from data values."""
    from advocacy.templating import MARK_LAST, clean_value

    sender = Sender(name=MARKERS["name"])
    assert clean_value(sender.name) == MARKERS["name"]
    assert min(ord(m) for m in MARKERS.values()) > ord(MARK_LAST)


@pytest.mark.parametrize(
    ("snippet", "refused"),
    [
        ("{% if sender.name and sender.email %}Reply to {{ sender.email }}.{% endif %}", None),
        ("{{ sender.name ~ ', resident' if sender.district else sender.name }}", None),
        ("{{ sender.name|upper }}", "sender.name"),
        ("{% if sender.district == 'District 3' %}Hi.{% endif %}", "sender.district"),
        ("{{ sender.address_lines[0] }}", "sender.address_lines"),
        ("{% if 'gov' in sender.email %}Hi.{% endif %}", "sender.email"),
        ("{{ sender.phone|upper }}{% if sender.organisation == 'x' %}x{% endif %}", None),
    ],
)
def test_what_a_template_may_do_with_the_fields_the_page_fills(data, tmp_path, snippet, refused):
    """Print them, join them, test whether they are set: yes. Decide on their value: no.

    The page leaves phone and organisation empty, so a template may do anything with them.
    """
    folder = tmp_path / "templates"
    write_template(folder, "{% block thanks %}\n" + snippet + "\n{% endblock %}\n")
    cities = select_cities(data, ["San Jose, CA"])
    if refused is None:
        assert build_site(data, cities, search_path(folder), tmp_path / "site", DATE).written
        return
    with pytest.raises(TemplateFailed) as caught:
        build_site(data, cities, search_path(folder), tmp_path / "site", DATE)
    assert caught.value.line == 7 and refused in str(caught.value)


def test_at_large_members_get_every_variant_district_members_one():
    from advocacy.models import Official
    from advocacy.site.letters import variants_for

    def member(district):
        return Official(name="A B", role="council_member", city="X", state="CA", district=district)

    assert variants_for(member("At Large")) == ("d", "r", "n", "s")
    assert variants_for(member(None)) == ("d", "r", "n", "s")
    assert variants_for(member("Ward 3")) == ("d",)
    mayor = Official(name="C D", role="mayor", city="X", state="CA")
    assert variants_for(mayor) == ("d", "r", "n", "s")
