"""`advocacy cities --gaps`: per city, what stops its letters on the letters' date."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from advocacy.cli import cli
from advocacy.dataset import DataSet
from advocacy.gaps import city_gaps, gaps_report
from advocacy.models import Official, Tie

DAY = dt.date(2026, 12, 1)


def tie(city: str, status: str = "kept", source: str = "https://example.org/s", **kw) -> Tie:  # type: ignore[no-untyped-def]
    return Tie(
        id=f"{city.lower()}-x",
        us_city=city,
        state="IL",
        russian_city="Tver",
        status=status,
        source=source,
        as_of="2026-11-01",
        **kw,
    )


def person(name: str, city: str, **kw) -> Official:  # type: ignore[no-untyped-def]
    values = {"email": "a@example.gov", "address": "1 Main St\nX, IL 60000", **kw}
    role = values.pop("role", "council_member")
    return Official(name, role, city, "IL", **values)


def gaps_of(data: DataSet, city: str) -> dict[str, str]:
    [entry] = [c for c in gaps_report(data, DAY) if c.city.name == city]
    return {g.kind: g.detail for g in entry.gaps}


def test_each_kind_of_gap():
    data = DataSet(
        ties=[
            tie("Alpha", decided_by="council", decision_source="https://example.org/d"),
            tie("Beta", source="paloaltoonline 2022-03-22"),
            tie("Gamma", status="suspended"),
            tie("Delta", status="unknown"),
        ],
        officials=[
            person("Ann Ended", "Alpha", role="mayor", term_end="2026-11-30"),
            person("Ed Ending", "Alpha", term_end="2027-01-30"),  # 60 days after DAY
            person("Lou Later", "Alpha", term_end="2027-01-31"),  # 61 days
            person("Ned New", "Alpha", term_start="2027-01-05"),
            person("Sid Stale", "Alpha", stale=True),
            person("Nora Nowhere", "Alpha", email=None, address=None),
            person("Pat Post", "Alpha", email=None),
            person("Em Mail", "Alpha", address=None),
            person("Del Mayor", "Delta", role="mayor"),
        ],
        quotes=[],
    )
    alpha = gaps_of(data, "Alpha")
    assert alpha == {
        "term ended": "Ann Ended (2026-11-30)",
        "not yet in office": "Ned New (from 2027-01-05)",
        "stale record": "Sid Stale",
        "no address or email": "Nora Nowhere",
        "no postal address": "Em Mail",
        "no email": "Pat Post",
        "term ending": "Ed Ending (2027-01-30, in 60 days)",
    }
    [entry] = [c for c in gaps_report(data, DAY) if c.city.name == "Alpha"]
    assert (entry.officials, entry.writable) == (8, 4)  # Ed, Lou, Pat, Em
    assert gaps_of(data, "Beta") == {
        "no officials": "",
        "unsourced status": "Tver: 'paloaltoonline 2022-03-22'",
        "decided_by unknown": "Tver (kept)",
    }
    assert gaps_of(data, "Gamma")["decided_by unknown"] == "Tver (suspended)"
    assert gaps_of(data, "Delta") == {}  # an unknown status has no decider to name
    # the day decides: before Ann's last day she still gets a letter
    early = city_gaps(data, data.find_city("Alpha"), dt.date(2026, 11, 30))
    assert "term ended" not in {g.kind for g in early.gaps}


def test_cli_gaps_table_and_json_with_user_contacts(tmp_path):
    contacts = tmp_path / "c.csv"
    with contacts.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "role", "city", "state", "email", "address", "term_end"])
        writer.writerow(["John Outgoing", "mayor", "Tallahassee", "FL", "j@example.gov",
                         "300 S. Adams Street; Tallahassee, FL 32301", "2026-11-16"])  # fmt: skip
    args = ["--contacts", str(contacts), "cities", "--gaps", "--as-of", "2026-11-17"]
    table = CliRunner().invoke(cli, args)
    assert table.exit_code == 0, table.output
    line = next(x for x in table.output.splitlines() if x.startswith("Tallahassee, FL"))
    assert "term ended: John Outgoing (2026-11-16)" in line
    assert "cities on 2026-11-17" in table.output
    report = json.loads(CliRunner().invoke(cli, [*args, "--json"]).output)
    assert report["as_of"] == "2026-11-17"
    [tallahassee] = [c for c in report["cities"] if c["city"] == "Tallahassee, FL"]
    assert tallahassee["officials"] == 1 and tallahassee["letters"] == 0
    assert tallahassee["gaps"] == [{"kind": "term ended", "detail": "John Outgoing (2026-11-16)"}]
    before = json.loads(CliRunner().invoke(cli, [*args[:-1], "2026-11-16", "--json"]).output)
    [tallahassee] = [c for c in before["cities"] if c["city"] == "Tallahassee, FL"]
    assert tallahassee["letters"] == 1
    kept = json.loads(
        CliRunner().invoke(cli, ["cities", "--gaps", "--status", "kept", "--json"]).output
    )
    assert kept["cities"] and {c["status"] for c in kept["cities"]} == {"kept"}
    assert Path.cwd() == tmp_path  # nothing written outside the test's folder


def test_every_embedded_city_is_in_the_report():
    result = CliRunner().invoke(cli, ["cities", "--gaps", "--json"])
    cities = json.loads(result.output)["cities"]
    listed = json.loads(CliRunner().invoke(cli, ["cities", "--json"]).output)
    assert {c["city"] for c in cities} == {f"{t['us_city']}, {t['state']}" for t in listed}
    for city in cities:
        if city["officials"] == 0:
            assert {"kind": "no officials", "detail": ""} in city["gaps"]
