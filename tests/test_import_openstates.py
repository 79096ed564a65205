"""`advocacy contacts import openstates`: current mayors matched by OCD id, reasons for the rest.

The person files under tests/data/openstates/ are copies of openstates/people files (CC0), at
their paths in that repository; hostile files are written into tmp_path by the tests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from advocacy.cli import cli
from advocacy.contacts import load_contacts
from advocacy.dataset import load_dataset
from advocacy.importers.openstates import (
    FORMER,
    INVALID,
    NO_CITY,
    NOT_MAYOR,
    NOT_STARTED,
    UNREADABLE,
    import_openstates,
    place_ids,
)

FILES = Path(__file__).parent / "data" / "openstates"
DATA = FILES / "data"
REPO = "https://github.com/openstates/people/blob/main/data/"
DAY = dt.date(2026, 11, 28)


def run(paths: list[Path], day: dt.date = DAY):  # type: ignore[no-untyped-def]
    return import_openstates(paths, load_dataset().cities(), day)


def by_city(result) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {f"{r['city']}, {r['state']}": r for r in result.records}


def reasons(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {Path(s.path).name.split("-")[0] + " " + s.kind: s.reason for s in result.skipped}


# -- the sample ----------------------------------------------------------------------------------


def test_the_sample_current_mayors_imported_former_ones_skipped_with_reasons():
    result = run([DATA])
    assert result.files == 29
    records = by_city(result)
    assert len(records) == 21
    chicago = records["Chicago, IL"]
    assert chicago["name"] == "Brandon Johnson" and chicago["role"] == "mayor"
    assert (chicago["term_start"], chicago["term_end"]) == ("2023-05-15", "2027-05-16")
    assert chicago["source"] == (
        REPO + "il/municipalities/Brandon-Johnson-53d852f6-5c1f-47d4-861d-1505dae7f07c.yml"
    )
    assert chicago["as_of"] == "2026-11-28"
    assert records["Jacksonville, FL"]["address"] == (
        "City Hall at St. James Building\n117 W. Duval St. Suite 400\nJacksonville, FL 32202"
    )
    assert records["Saint Paul, MN"]["name"] == "Kaohly Her"  # place:saint_paul
    assert records["San Diego, CA"]["term_end"] == "2028-12-10"  # the mayor role, not the lower
    skipped = {str(s) for s in result.skipped}
    dailey = DATA / "fl/municipalities/John-E-Dailey-33c0e882-174c-45b9-8a44-004531c69577.yml"
    assert f"{dailey}: John E. Dailey: former mayor (term ended 2026-11-16)" in skipped
    assert "Tallahassee, FL" not in records and "Des Moines, IA" not in records
    kenney = [s for s in result.skipped if "Jim-Kenney" in s.path]
    assert [s.kind for s in kenney] == [FORMER]
    assert records["Philadelphia, PA"]["name"] == "Cherelle Parker"
    counts = result.counts()
    assert counts["skipped"] == {FORMER: 7, NO_CITY: 1}
    assert counts["current_mayors"] == 22


def test_the_day_decides_who_is_current():
    # Dailey's last day is 2026-11-16: current on it, former the day after
    dailey = [DATA / "fl"]
    assert [r["name"] for r in run(dailey, dt.date(2026, 11, 16)).records] == [
        "Donna Deegan",
        "John E. Dailey",
    ]
    assert [r["name"] for r in run(dailey, dt.date(2026, 11, 17)).records] == ["Donna Deegan"]
    # Tacoma's mayor starts on 2026-01-01
    [early] = run([DATA / "wa"], dt.date(2025, 12, 31)).skipped
    assert early.kind == NOT_STARTED
    assert early.reason == "Anders Ibsen: not yet mayor (term starts 2026-01-01)"
    [tacoma] = run([DATA / "wa"], dt.date(2026, 1, 1)).records
    assert tacoma["term_start"] == "2026-01-01"


# -- never by the city name alone ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "other"),
    [("Duluth, MN", "ga/duluth"), ("Albany, NY", "or/albany"), ("Dallas, TX", "ga/dallas")],
)
def test_same_name_other_state_is_never_matched(ours, other):
    data = load_dataset()
    city = data.find_city(ours)
    state, place = other.split("/")
    assert (state, "place", place) not in place_ids(city)
    # on 2024-01-01 the Duluth GA, Dallas GA and Albany OR mayors were all in office
    result = run([DATA], dt.date(2024, 1, 1))
    skipped = [s for s in result.skipped if s.kind == NO_CITY]
    assert any(f"place:{place} ({state.upper()}), no tie city there" in s.reason for s in skipped)
    record = by_city(result).get(ours)
    if record is not None:
        assert f"/data/{state}/" not in record["source"]
        assert f"/data/{ours[-2:].lower()}/" in record["source"]


def test_place_ids_of_our_cities():
    data = load_dataset()
    assert place_ids(data.find_city("Salt Lake City")) == {("ut", "place", "salt_lake_city")}
    assert ("mo", "place", "saint_louis") in place_ids(data.find_city("St. Louis"))
    assert ("mn", "place", "saint_paul") in place_ids(data.find_city("Saint Paul"))
    assert place_ids(data.find_city("Santa Clara County")) == {("ca", "county", "santa_clara")}


# -- writing a contact file ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mayors.csv", "officials.yaml", "mayors.json"])
def test_the_output_is_a_contact_file_in_our_columns(tmp_path, name):
    out = tmp_path / name
    result = CliRunner().invoke(
        cli,
        ["contacts", "import", "openstates", str(DATA), "--as-of", "2026-11-28", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "29 files read, 22 current mayors on 2026-11-28, 21 of our tie cities imported" in (
        result.output
    )
    assert "skipped: 7 former, 1 no matching tie city" in result.output
    assert "John E. Dailey: former mayor (term ended 2026-11-16)" in result.output
    assert "Chicago, IL: Brandon Johnson:" in result.output  # compared with the data set
    # strict: every record has its source and as_of, as the embedded data must
    loaded = load_contacts([out], today=DAY, strict=True)
    assert loaded.errors == [], loaded.errors
    assert len(loaded.officials) == 21
    chicago = next(o for o in loaded.officials if o.city == "Chicago")
    assert chicago.term_end == "2027-05-16" and chicago.address.endswith("Chicago, IL 60602")
    if name.endswith(".yaml"):
        assert out.read_text(encoding="utf-8").startswith("# Mayors imported from openstates")


def test_json_report_and_csv_on_standard_output(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["contacts", "import", "openstates", str(DATA / "ga"), "--as-of", "2026-11-28", "--json"],
    )
    report = json.loads(result.stdout)
    assert report["counts"] == {
        "files": 2,
        "current_mayors": 0,
        "imported": 0,
        "skipped": {FORMER: 2},
    }
    assert {s["reason"] for s in report["skipped"]} == {
        "James Kelly: former mayor (term ended 2024-11-05)",
        "Nancy Harris: former mayor (term ended 2024-01-01)",
    }
    plain = CliRunner().invoke(
        cli, ["contacts", "import", "openstates", str(DATA / "il"), "--as-of", "2026-11-28"]
    )
    assert plain.stdout.startswith("id,name,given_name,family_name,")
    assert "chicago-il-mayor-brandon-johnson,Brandon Johnson" in plain.stdout


def test_source_of_a_copy_outside_a_checkout(tmp_path):
    flat = tmp_path / "il"
    flat.mkdir()
    shutil.copy(next((DATA / "il/municipalities").iterdir()), flat)  # <st>/<file>, as the sample
    [record] = run([flat]).records
    assert record["source"].startswith(REPO + "il/municipalities/Brandon-Johnson-")
    elsewhere = tmp_path / "elsewhere.yml"
    text = (next((DATA / "il/municipalities").iterdir())).read_text(encoding="utf-8")
    elsewhere.write_text(text, encoding="utf-8")
    [record] = run([elsewhere]).records
    assert record["source"] == "https://webapps1.chicago.gov/eforms/contactUsForm"  # its sources
    uncited = tmp_path / "uncited.yml"
    uncited.write_text(text.split("sources:")[0], encoding="utf-8")
    [skip] = run([uncited]).skipped
    assert skip.kind == INVALID and "no source" in skip.reason


# -- hostile files -------------------------------------------------------------------------------

MAYOR = """\
name: {name}
roles:
- type: mayor
  jurisdiction: ocd-jurisdiction/country:us/state:il/place:chicago/government
  start_date: '2023-05-15'
sources:
- url: https://example.gov/mayor
"""

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


def hostile_files(folder: Path) -> dict[str, Path]:
    files = {
        "alias bomb": BOMB,
        "one alias": "name: &n Ann\nroles: []\nother: *n\n",
        "deep": "name: Deep\nroles: " + "[" * 200 + "]" * 200 + "\n",
        "roles text": "name: Ann\nroles: mayor\n",
        "name list": MAYOR.replace("name: {name}", "name: [a, b]"),
        "end date number": MAYOR.format(name="Num").replace(
            "start_date: '2023-05-15'", "start_date: '2023-05-15'\n  end_date: 20270101"
        ),
        "bad date": MAYOR.format(name="Feb").replace("'2023-05-15'", "'2023-02-30'"),
        "email mapping": MAYOR.format(name="Map") + "email: {a: b}\n",
        "huge name": MAYOR.format(name="x" * 5000),
        "bidi": MAYOR.format(name="Ann \u202eevil"),
        "list": "- 1\n- 2\n",
        "syntax": "name: [unclosed\n",
        "two documents": MAYOR.format(name="One") + "---\n" + MAYOR.format(name="Two"),
        "county": MAYOR.format(name="Kauai")
        .replace("place:chicago", "county:kauai")
        .replace("state:il", "state:hi"),  # fmt: skip
        "legislator": "name: Leg\nroles:\n- type: lower\n  district: '3'\n",
    }
    paths = {}
    for label, text in files.items():
        path = folder / (label.replace(" ", "-") + ".yml")
        path.write_text(text, encoding="utf-8")
        paths[label] = path
    (folder / "not-utf8.yml").write_bytes(b"name: \xff\xfe\n")
    paths["not utf-8"] = folder / "not-utf8.yml"
    (folder / "big.yml").write_bytes(b"# " + b"x" * (1024 * 1024) + b"\n")
    paths["big"] = folder / "big.yml"
    return paths


def test_hostile_files_are_skipped_one_line_each_and_good_files_still_imported(tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    paths = hostile_files(folder)
    good = folder / "good.yml"
    good.write_text(MAYOR.format(name="Good Mayor"), encoding="utf-8")
    os.mkfifo(folder / "fifo.yml")
    result = run([folder])
    assert [r["name"] for r in result.records] == ["Good Mayor"]
    why = {Path(s.path).stem: (s.kind, s.reason) for s in result.skipped}
    expected = {
        "alias-bomb": (UNREADABLE, "more than 0 YAML aliases"),
        "one-alias": (UNREADABLE, "more than 0 YAML aliases"),
        "deep": (UNREADABLE, "nested more than 8 levels deep"),
        "roles-text": (INVALID, "roles is not a list of mappings"),
        "name-list": (INVALID, "no name"),
        "end-date-number": (INVALID, "date 20270101 is not YYYY-MM-DD"),
        "bad-date": (INVALID, "date '2023-02-30' is not YYYY-MM-DD"),
        "email-mapping": (INVALID, "email is a dict, not text"),
        "huge-name": (INVALID, "name is 5,000 characters long"),
        "bidi": (INVALID, "bidirectional control"),
        "list": (INVALID, "not a mapping of person fields"),
        "syntax": (UNREADABLE, "invalid YAML"),
        "two-documents": (UNREADABLE, "invalid YAML"),
        "county": (NO_CITY, "mayor of county:kauai (HI), no tie city there"),
        "legislator": (NOT_MAYOR, "no mayor role (roles: lower)"),
        "not-utf8": (UNREADABLE, "not UTF-8"),
        "big": (UNREADABLE, "the limit is 1,048,576 bytes"),
        "fifo": (UNREADABLE, "not a regular file"),
    }
    assert set(why) == set(expected)
    for stem, (kind, words) in expected.items():
        assert why[stem][0] == kind, (stem, why[stem])
        assert words in why[stem][1], (stem, why[stem])
    assert len(paths) + 1 == len(expected)


def test_the_cli_reports_hostile_files_and_exits_0(tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    hostile_files(folder)
    result = CliRunner().invoke(
        cli, ["contacts", "import", "openstates", str(folder), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 0
    assert "Traceback" not in result.output
    lines = [x for x in result.output.splitlines() if x.startswith(str(folder))]
    assert len(lines) == 17  # one line a file
    assert (tmp_path / "o.csv").read_text(encoding="utf-8").startswith("id,name,")
