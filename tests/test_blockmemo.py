"""Blocks kept by what they read (advocacy.blockmemo): every letter reads as if rendered alone."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy import blockmemo
from advocacy.compose import build_context, compose_letter
from advocacy.dataset import load_dataset
from advocacy.exceptions import TemplateFailed
from advocacy.models import Sender
from advocacy.templating import builtin_dir, make_environment, read_meta

DATE = dt.date(2026, 12, 1)
DATA = load_dataset(())
CITIES = DATA.cities()
EXTRAS = {"meeting_date": "2026-12-10", "agenda_item": "Item 7", "petition": None}

#: One template with what a campaign might write: blocks that read the sender's name, email
#: and note, print the sender whole, a block holding blocks, super(), self.x(), a scoped
#: block in a loop, macros, a namespace set in one block and read in another, a variable set
#: between blocks, random, a list from the extras, an include.
TRICKY = """{% extends "_letter.j2" %}
{% set ns = namespace(count=0) %}
{% macro shout(text) %}{{ text|upper }}{% endmacro %}
{% block subject %}Re {{ city.name }}{% endblock %}
{% block salutation %}{{ super() }} / {{ sender.place or "nowhere" }}{% endblock %}
{% block body %}
{% block opening %}{% if sender.is_resident %}Neighbour {{ sender.district }}
{% else %}From {{ sender.place }}{% endif %}{% endblock %}

{% block named %}I am {{ sender.name }} ({{ sender|attr("email") }}).{% endblock %}

{% block whole %}{{ sender }}{% endblock %}

{% block counted %}{% set ns.count = ns.count + 1 %}counted {{ ns.count }}{% endblock %}

{% block reads_count %}now {{ ns.count }}{% endblock %}

{% block shouted %}{{ shout(official.name) }}{% endblock %}

{% for item in ["a", "b"] %}
{% block looped scoped %}[{{ item }} {{ sender.organisation }}]{% endblock %}
{% endfor %}

{% block lucky %}{{ ["x", "y", "z", "w"]|random }}{% endblock %}

{% block listed %}{{ wanted|join(",") if wanted is defined else "-" }}{% endblock %}

{% block included %}{% include "_piece.j2" %}{% endblock %}

{% block personal %}{{ literal(personal) }}{% endblock %}
{% endblock %}
{% block closing %}{{ self.named() }} {% if self.personal() %}(with a note){% endif %}{% endblock %}
{% block short %}{{ self.opening()|length }} {{ tie.russian_city }}{% endblock %}
"""
PIECE = "piece for {{ sender.zip or 'no zip' }} in {{ city.name }}"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tricky")
    (path / "tricky.j2").write_text(TRICKY, encoding="utf-8")
    (path / "_piece.j2").write_text(PIECE, encoding="utf-8")
    return path


def _senders() -> list[Sender]:
    names = ["Ann Lee", "Bo Diaz", None, "Ann Lee"]
    places = [
        ("1 Main St", "San Jose, CA 95113"),
        ("2 Oak Ave", "Portland, OR 97201"),
        ("3 Elm St", "Chicago, IL 60601"),
        (),
    ]
    senders = []
    for index in range(16):
        senders.append(
            Sender(
                name=names[index % 4],
                address_lines=places[(index // 2) % 4],
                email=["ann@example.org", None, "bo@example.org"][index % 3],
                district=["3", None, "District 1"][index % 3],
                organisation=["", "Friends of Kyiv"][index // 8],
            )
        )
    return senders


def _officials() -> list[Any]:
    """Officials of a city with each tie status (a mayor and a council member where the data
    has both)."""
    chosen = []
    for status in ("kept", "suspended", "terminated", "dormant", "unknown"):
        cities = [c for c in CITIES if c.tie.status == status and DATA.officials_of(c)]
        cities.sort(key=lambda c: -len(DATA.officials_of(c)))
        officials = DATA.officials_of(cities[0])
        chosen += [(cities[0], official) for official in {officials[0], officials[-1]}]
    return sorted(chosen, key=lambda pair: (pair[0].name, pair[1].name))


def test_the_built_in_letters_are_the_same_with_and_without_kept_blocks() -> None:
    """Every built-in letter template, every tie status, residents, non-residents,
    organisations, senders without an address, notes or none: the same Letter each time."""
    folders = [builtin_dir()]
    kept = make_environment(folders, reload=False, memo=True)
    plain = make_environment(folders, reload=False)
    templates = ["mayor.j2", "council.j2", "petition.j2", "public-comment.j2", "thank-you.j2"]
    compared = 0
    for round_ in range(2):  # the second round finds what the first kept
        for name in templates:
            info = read_meta(builtin_dir() / name, "built-in")
            for city, official in _officials():
                for index, sender in enumerate(_senders()):
                    personal = ["", "My family is from Kharkiv.", ""][(index + round_) % 3]
                    args = (info, official, city, sender, DATE, DATA.quotes, EXTRAS)
                    try:
                        expected = compose_letter(plain, *args, personal=personal)
                    except TemplateFailed as err:
                        with pytest.raises(TemplateFailed) as caught:
                            compose_letter(kept, *args, personal=personal)
                        assert str(caught.value) == str(err)
                        continue
                    assert compose_letter(kept, *args, personal=personal) == expected
                    compared += 1
    assert compared > 500
    found = [block.found for block in _blocks(kept)]
    assert sum(found) > compared  # blocks were in fact kept and found again


def _blocks(environment: Any) -> list[blockmemo.MemoBlock]:
    return [
        block
        for template in environment.cache._mapping.values()
        for block in template.blocks.values()
    ]


def _render(environment: Any, sender: Sender, official: Any, city: Any, extras: Any) -> str:
    context = build_context(official, city, sender, DATE, DATA.quotes, extras, "")
    context["salutation_punctuation"] = ":"
    return str(environment.get_template("tricky.j2").render(context))


def test_a_tricky_template_reads_the_same(folder: Path) -> None:
    kept = make_environment([folder, builtin_dir()], reload=False, memo=True)
    plain = make_environment([folder, builtin_dir()], reload=False)
    for _ in range(3):
        for city, official in _officials():
            for sender in _senders():
                extras = {"wanted": ["one", "two"]}
                rendered = _render(kept, sender, official, city, extras)
                expected = _render(plain, sender, official, city, extras)
                # the random pick is the one thing that differs; everything else is equal
                assert _without_luck(rendered) == _without_luck(expected)
    blocks = {
        (template.name, name): block
        for template in kept.cache._mapping.values()
        for name, block in template.blocks.items()
    }
    # never found again: blocks holding blocks, a random pick, a list, a namespace, a macro of
    # the template (made anew for each letter)
    never = ["body", "lucky", "listed", "counted", "reads_count", "closing", "short", "shouted"]
    for name in never:
        block = blocks[("tricky.j2", name)]
        assert block.found == 0, name
    # kept: by the values they read (the loop's item in a scoped block too)
    for name in ("subject", "opening", "looped", "whole", "included"):
        assert blocks[("tricky.j2", name)].found > 0, name


def _without_luck(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if line not in {"x", "y", "z", "w"})


def test_random_is_drawn_for_every_letter(folder: Path) -> None:
    kept = make_environment([folder, builtin_dir()], reload=False, memo=True)
    city, official = _officials()[0]
    picks = set()
    for _ in range(60):
        text = _render(kept, _senders()[0], official, city, {})
        picks |= {line for line in text.splitlines() if line in {"x", "y", "z", "w"}}
    assert len(picks) > 1


@dataclass(frozen=True)
class _Frozen:
    value: str


@dataclass
class _Mutable:
    value: str


def test_values_are_compared_by_what_they_are() -> None:
    key = blockmemo.value_key
    assert len({key(1), key(True), key(1.0), key("1"), key((1,)), key(None)}) == 6
    assert key("a") == key("a") and key(("a", 2)) == key(("a", 2))
    first, second = _Frozen("a"), _Frozen("a")
    assert key(first) == key(first) and key(first) != key(second)  # by identity
    for refused in ([1], {"a": 1}, {1}, _Mutable("a"), (1, [2])):
        assert key(refused) is None


def test_a_block_printing_something_new_each_time_stops_being_kept(folder: Path) -> None:
    kept = make_environment([folder, builtin_dir()], reload=False, memo=True)
    city, official = _officials()[0]
    for index in range(blockmemo.TRIAL_LOOKUPS + 10):
        sender = Sender(name=f"Person {index}", email=f"p{index}@example.org")
        assert f"I am Person {index} (p{index}@example.org)." in _render(
            kept, sender, official, city, {}
        )
    whole = kept.get_template("tricky.j2").blocks["whole"]  # the sender printed whole
    assert not whole.enabled and whole.nodes == 1 and whole.found == 0


def test_other_threads_render_without_keeping(folder: Path) -> None:
    kept = make_environment([folder, builtin_dir()], reload=False, memo=True)
    plain = make_environment([folder, builtin_dir()], reload=False)
    city, official = _officials()[1]
    results: list[str] = []
    for sender in _senders()[:4]:
        thread = threading.Thread(
            target=lambda s=sender: results.append(_render(kept, s, official, city, {}))
        )
        thread.start()
        thread.join()
    expected = [_render(plain, s, official, city, {}) for s in _senders()[:4]]
    assert [_without_luck(r) for r in results] == [_without_luck(e) for e in expected]
    assert all(block.lookups == 0 for block in _blocks(kept))


def test_an_error_still_names_the_template_line(tmp_path: Path) -> None:
    (tmp_path / "broken.j2").write_text(
        '{% extends "_letter.j2" %}\n{% block body %}\nfine\n{{ nothing.here }}\n{% endblock %}\n',
        encoding="utf-8",
    )
    info = read_meta(tmp_path / "broken.j2", "user")
    kept = make_environment([tmp_path, builtin_dir()], reload=False, memo=True)
    city, official = _officials()[0]
    for _ in range(2):
        with pytest.raises(TemplateFailed) as caught:
            compose_letter(kept, info, official, city, Sender(name="A"), DATE, DATA.quotes)
        assert caught.value.line == 4 and "broken.j2" in str(caught.value)
        assert not blockmemo._FRAMES  # nothing of the failed block is left recording


def test_a_block_stopped_by_the_time_limit_leaves_nothing_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import advocacy.budget

    monkeypatch.setattr(advocacy.budget, "MAX_RENDER_SECONDS", 0.3)
    (tmp_path / "slow.j2").write_text(
        '{% extends "_letter.j2" %}\n{% block body %}{{ sender.name }}'
        "{% for i in range(100000) %}{% for j in range(100000) %}{% if j < 0 %}x{% endif %}"
        "{% endfor %}{% endfor %}{% endblock %}\n",
        encoding="utf-8",
    )
    info = read_meta(tmp_path / "slow.j2", "user")
    kept = make_environment([tmp_path, builtin_dir()], reload=False, memo=True)
    city, official = _officials()[0]
    with pytest.raises(TemplateFailed, match="took more than") as caught:
        compose_letter(kept, info, official, city, Sender(name="A"), DATE, DATA.quotes)
    # the time limit's own message, not Jinja failing to find the line it stopped at
    assert "TypeError" not in str(caught.value) and caught.value.exhausted
    assert not blockmemo._FRAMES
    # and the next letter is composed as usual
    info = read_meta(builtin_dir() / "mayor.j2", "built-in")
    plain = make_environment([builtin_dir()], reload=False)
    args = (info, official, city, Sender(name="A"), DATE, DATA.quotes)
    assert compose_letter(kept, *args) == compose_letter(plain, *args)


_FIELD = st.sampled_from(["", "a", "b"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Ann", "Bo", ""]),
            _FIELD,
            st.sampled_from(["", "3", "District 1"]),
            st.sampled_from(["", "San Jose, CA 95113", "Portland, OR 97201", "Chicago, IL 60601"]),
            st.integers(0, 4),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_sequence_of_letters_reads_as_rendered_alone(
    folder: Path, letters: list[tuple[str, str, str, str, int]]
) -> None:
    """Whatever came before, a letter's text is the one it has when rendered alone."""
    kept = make_environment([folder, builtin_dir()], reload=False, memo=True)
    plain = make_environment([folder, builtin_dir()], reload=False)
    officials = _officials()
    for name, organisation, district, place, which in letters:
        city, official = officials[which % len(officials)]
        sender = Sender(
            name=name or None,
            address_lines=("1 Main St", place) if place else (),
            district=district or None,
            organisation=organisation or None,
            email=f"{name.lower()}@example.org" if name else None,
        )
        extras = {"wanted": [name, district]}
        assert _without_luck(_render(kept, sender, official, city, extras)) == _without_luck(
            _render(plain, sender, official, city, extras)
        )
