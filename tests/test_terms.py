"""Terms of office: term dates, no letter after a term ends, `contacts check` warnings."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from advocacy.cli import cli
from advocacy.contacts import load_contacts
from advocacy.dataset import _decision, embedded_ties, load_dataset
from advocacy.exceptions import DataError
from advocacy.models import Official

COLUMNS = [
    "name", "role", "city", "state", "email", "address", "source", "as_of",
    "term_start", "term_end", "elected", "next_election", "stale",
]  # fmt: skip
ADDRESS = "300 S. Adams Street; Tallahassee, FL 32301"


def row(name: str, **values: str) -> dict[str, str]:
    base = {
        "name": name,
        "role": values.pop("role", "mayor"),
        "city": "Tallahassee",
        "state": "FL",
        "email": f"{name.split()[-1].lower()}@example.gov",
        "address": ADDRESS,
        "source": "https://example.gov/mayor",
        "as_of": "2026-10-01",
    }
    return {**base, **values}


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def messages(path: Path, today: str = "2026-11-01") -> list[str]:
    result = load_contacts([path], today=dt.date.fromisoformat(today))
    return [str(p) for p in result.problems]


# -- reading -----------------------------------------------------------------------------------


def test_term_dates_are_read_from_csv_yaml_and_json(tmp_path):
    csv_path = write(
        tmp_path / "c.csv", [row("Ann Able", term_start="2022-11-16", term_end="2026-11-16")]
    )
    yaml_path = tmp_path / "c.yaml"
    yaml_path.write_text(
        "- name: Ann Able\n  role: mayor\n  city: Tallahassee\n  state: FL\n"
        "  email: a@example.gov\n  term_start: 2022-11-16\n  term_end: '2026-11-16'\n"
        "  elected: 2022-08-23\n  next_election: 2026-08-18\n",
        encoding="utf-8",
    )
    json_path = tmp_path / "c.json"
    json_path.write_text(
        json.dumps([{**row("Ann Able"), "term_end": "2026-11-16", "elected": "2022-08-23"}]),
        encoding="utf-8",
    )
    for path in (csv_path, yaml_path, json_path):
        [official] = load_contacts([path], today=dt.date(2026, 11, 1)).officials
        assert official.term_end == "2026-11-16"
    [from_yaml] = load_contacts([yaml_path], today=dt.date(2026, 11, 1)).officials
    assert (from_yaml.term_start, from_yaml.elected, from_yaml.next_election) == (
        "2022-11-16",
        "2022-08-23",
        "2026-08-18",
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"term_end": "16/11/2026"}, "term_end '16/11/2026' is not a date (use YYYY-MM-DD)"),
        ({"term_start": "2026-02-30"}, "term_start '2026-02-30' is not a date"),
        ({"elected": "2026-11"}, "elected '2026-11' is not a date"),
        ({"next_election": "soon"}, "next_election 'soon' is not a date"),
        (
            {"term_start": "2026-12-01", "term_end": "2022-12-01"},
            "term_end 2022-12-01 is before term_start 2026-12-01",
        ),
    ],
)
def test_bad_term_dates_are_errors_with_path_and_line(tmp_path, values, expected):
    path = write(
        tmp_path / "c.csv",
        [row("Good Mayor", role="mayor"), row("Bad Member", role="council", **values)],
    )
    result = load_contacts([path], today=dt.date(2026, 11, 1))
    assert [o.name for o in result.officials] == ["Good Mayor"]  # the good row is still used
    [error] = result.errors
    assert str(error).startswith(f"{path}:3: error: ")
    assert expected in str(error)


# -- what the dates say on a day ---------------------------------------------------------------


def test_term_end_is_the_last_day_in_office():
    official = Official("Ann Able", "mayor", "Tallahassee", "FL", term_end="2026-11-16")
    assert official.out_of_office(dt.date(2026, 11, 15)) is None
    assert official.out_of_office(dt.date(2026, 11, 16)) is None
    assert official.out_of_office(dt.date(2026, 11, 17)) == "term ended 2026-11-16"
    incoming = Official("Bo Bell", "mayor", "Tallahassee", "FL", term_start="2026-11-17")
    assert incoming.out_of_office(dt.date(2026, 11, 16)) == "term starts 2026-11-17"
    assert incoming.out_of_office(dt.date(2026, 11, 17)) is None


def test_stale_is_derived_from_term_dates_where_they_exist():
    day = dt.date(2026, 11, 1)
    flagged_current = Official("A", "mayor", "X", "FL", stale=True, term_end="2027-01-01")
    assert not flagged_current.is_stale(day)
    unflagged_former = Official("B", "mayor", "X", "FL", stale=False, term_end="2026-01-01")
    assert unflagged_former.is_stale(day)
    flag_only = Official("C", "mayor", "X", "FL", stale=True)
    assert flag_only.is_stale(day)


def letter(contacts: Path, date: str) -> tuple[object, dict]:
    result = CliRunner().invoke(
        cli,
        ["--contacts", str(contacts), "letter", "--city", "Tallahassee", "--date", date,
         "--format", "txt", "--out", "out"],
        catch_exceptions=False,
    )  # fmt: skip
    manifest = json.loads(Path("out/tallahassee-fl/manifest.json").read_text(encoding="utf-8"))
    return result, manifest


@pytest.mark.parametrize(
    ("date", "written"),
    [("2026-11-15", True), ("2026-11-16", True), ("2026-11-17", False)],
    ids=["before", "on", "after"],
)
def test_no_letter_after_the_term_end(tmp_path, date, written):
    contacts = write(
        tmp_path / "c.csv",
        [
            row("John Outgoing", term_start="2018-11-20", term_end="2026-11-16"),
            row("Mary Member", role="council", term_end="2028-11-20"),
        ],
    )
    result, manifest = letter(contacts, date)
    assert result.exit_code == 0, result.output
    names = [entry["official"] for entry in manifest["letters"]]
    assert "Mary Member" in names
    assert ("John Outgoing" in names) is written
    assert Path("out/tallahassee-fl/john-outgoing.txt").exists() is written
    if written:
        assert manifest["skipped"] == []
    else:
        assert manifest["skipped"] == [
            {"official": "John Outgoing", "role": "mayor", "reason": "term ended 2026-11-16"}
        ]
        assert "skipped John Outgoing: term ended 2026-11-16" in result.output


def test_no_letter_before_the_term_starts(tmp_path):
    contacts = write(tmp_path / "c.csv", [row("Nina Incoming", term_start="2026-11-17")])
    _, manifest = letter(contacts, "2026-11-16")
    assert manifest["skipped"][0]["reason"] == "term starts 2026-11-17"
    _, manifest = letter(contacts, "2026-11-17")
    assert [e["official"] for e in manifest["letters"]] == ["Nina Incoming"]


def test_packet_summary_and_manifest_show_the_term_end(tmp_path):
    contacts = write(tmp_path / "c.csv", [row("John Outgoing", term_end="2026-11-16")])
    result = CliRunner().invoke(
        cli,
        ["--contacts", str(contacts), "packet", "--city", "Tallahassee", "--date", "2026-11-17",
         "--format", "txt", "--jobs", "1", "--out", "out"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "term ended 2026-11-16" in result.output
    manifest = json.loads(Path("out/tallahassee-fl/manifest.json").read_text(encoding="utf-8"))
    assert manifest["skipped"][0]["reason"] == "term ended 2026-11-16"
    assert not Path("out/tallahassee-fl/john-outgoing.txt").exists()
    tie = load_dataset().find_city("Tallahassee").tie
    assert (manifest["tie"]["decided_by"], manifest["tie"]["decision_source"]) == (
        tie.decided_by,
        tie.decision_source,
    )
    whole = json.loads(Path("out/manifest.json").read_text(encoding="utf-8"))
    [city] = [c for c in whole["cities"] if c["city"] == "Tallahassee, FL"]
    assert city["tie"]["decided_by"] == tie.decided_by


def test_an_explicit_stale_flag_is_ignored_where_term_dates_exist(tmp_path):
    contacts = write(tmp_path / "c.csv", [row("Vi Current", stale="true", term_end="2029-12-01")])
    _, manifest = letter(contacts, "2026-11-20")
    assert [e["official"] for e in manifest["letters"]] == ["Vi Current"]
    assert any("stale: true is ignored" in m for m in messages(contacts))


def test_an_explicit_stale_flag_counts_without_term_dates(tmp_path):
    contacts = write(tmp_path / "c.csv", [row("Old Record", stale="true")])
    _, manifest = letter(contacts, "2026-11-20")
    assert manifest["letters"] == []
    assert manifest["skipped"][0]["reason"].startswith("record is stale")


# -- contacts check ----------------------------------------------------------------------------


def test_check_warns_about_terms_ending_ended_and_elections_since_as_of(tmp_path):
    path = write(
        tmp_path / "c.csv",
        [
            row("Ending Soon", role="council", term_end="2026-12-31"),  # 60 days after 11-01
            row("Ending Later", role="council", term_end="2027-01-01"),  # 61 days
            row("Ended", role="council", term_end="2026-10-31"),
            row("On The Ballot", role="council", next_election="2026-10-15"),  # as_of 10-01
            row("Elected Before", role="council", elected="2026-09-01"),
            row("Ballot Ahead", role="council", next_election="2026-11-03"),
        ],
    )
    found = messages(path, today="2026-11-01")
    assert (
        f"{path}:2: warning: term ends 2026-12-31 (in 60 days); check who takes the seat" in found
    )
    assert not any(m.startswith(f"{path}:3:") for m in found)
    assert f"{path}:4: warning: term ended 2026-10-31: no letter is written after that day" in found
    assert (
        f"{path}:5: warning: the seat's election of 2026-10-15 was held after this record's "
        "as_of (2026-10-01); check who holds it now"
    ) in found
    assert not any(m.startswith((f"{path}:6:", f"{path}:7:")) for m in found)


def test_contacts_check_as_of_option(tmp_path):
    path = write(tmp_path / "c.csv", [row("Ann Able", term_end="2026-11-16")])
    early = CliRunner().invoke(cli, ["contacts", "check", str(path), "--as-of", "2026-01-01"])
    assert early.exit_code == 0 and "term end" not in early.output
    soon = CliRunner().invoke(cli, ["contacts", "check", str(path), "--as-of", "2026-11-16"])
    assert "term ends 2026-11-16 (today)" in soon.output
    late = CliRunner().invoke(cli, ["contacts", "check", str(path), "--as-of", "2026-11-17"])
    assert late.exit_code == 0
    assert "term ended 2026-11-16" in late.output
    bad = CliRunner().invoke(cli, ["contacts", "check", str(path), "--as-of", "tomorrow"])
    assert bad.exit_code == 2


def test_officials_listing_shows_terms(tmp_path):
    path = write(
        tmp_path / "c.csv", [row("Ann Able", term_start="2022-11-16", term_end="2026-11-16")]
    )
    result = CliRunner().invoke(
        cli, ["--contacts", str(path), "officials", "--city", "Tallahassee"]
    )
    assert "2022-11-16 to 2026-11-16" in result.output
    assert "Ann Able [TERM ENDED 2026-11-16]" in result.output  # the test runs after that day
    as_json = CliRunner().invoke(
        cli, ["--contacts", str(path), "officials", "--city", "Tallahassee", "--json"]
    )
    [record] = json.loads(as_json.output)
    assert (record["term_start"], record["term_end"]) == ("2022-11-16", "2026-11-16")


# -- who decided a tie's status ----------------------------------------------------------------


def test_decided_by_defaults_to_unknown_and_is_checked():
    assert all(
        t.decided_by in ("city", "council", "mayor", "nonprofit", "unknown")
        for t in embedded_ties()
    )
    unknown = {"decided_by": "unknown", "decision_source": None}
    assert _decision(unknown, "ties.yaml", 1) == ("unknown", None)
    with pytest.raises(DataError, match="record 2 lacks decided_by or decision_source"):
        _decision({}, "ties.yaml", 2)
    url = "https://example.gov/minutes"
    assert _decision({"decided_by": "council", "decision_source": url}, "t", 1) == ("council", url)
    with pytest.raises(DataError, match="decided_by 'governor' is not one of"):
        _decision({"decided_by": "governor", "decision_source": None}, "ties.yaml", 3)
    with pytest.raises(DataError, match="is not an http"):
        _decision({"decided_by": "council", "decision_source": "council minutes"}, "t", 1)
    with pytest.raises(DataError, match="needs a decision_source"):
        _decision({"decided_by": "mayor", "decision_source": None}, "t", 1)


def test_a_letter_to_an_official_whose_term_ends_soon_carries_a_warning(tmp_path):
    contacts = write(
        tmp_path / "c.csv",
        [row("Ann Leaving", term_end="2026-12-31"), row("Bo Staying", role="council",
                                                        term_end="2027-02-01")],
    )  # fmt: skip
    result, manifest = letter(contacts, "2026-12-01")
    warnings = {e["official"]: e["warnings"] for e in manifest["letters"]}
    assert (
        "term ends 2026-12-31, 30 days after the letter's date; check who takes the seat"
        in warnings["Ann Leaving"]
    )
    assert not any("term ends" in w for w in warnings["Bo Staying"])  # 62 days
