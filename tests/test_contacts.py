"""Reading and checking contact files: every bad-input case reports file and line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from advocacy.cli import cli
from advocacy.contacts import load_contacts

TODAY = dt.date(2026, 11, 23)
HEADER = "name,role,city,state,district,email,address,source,as_of\n"
GOOD = (
    'Matt Mahan,mayor,San Jose,CA,,mayor@sanjoseca.gov,"200 E. Santa Clara St.\n'
    'San Jose, CA 95113",https://example.org,2026-01-01\n'
)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def load(path: Path):
    return load_contacts([path], today=TODAY)


def messages(result) -> list[str]:
    return [str(p) for p in result.problems]


def test_good_csv_with_multiline_address(tmp_path):
    result = load(write(tmp_path, "c.csv", HEADER + GOOD))
    assert result.problems == []
    (official,) = result.officials
    assert official.address == "200 E. Santa Clara St.\nSan Jose, CA 95113"
    assert official.origin.endswith("c.csv:2")


def test_bom_and_semicolons(tmp_path):
    text = HEADER.replace(",", ";") + "Анна Петрова;council_member;San Jose;CA;1;a@example.org;;;\n"
    result = load(write(tmp_path, "c.csv", b"\xef\xbb\xbf" + text.encode("utf-8")))
    assert [o.name for o in result.officials] == ["Анна Петрова"]
    assert result.errors == []


def test_undecodable_bytes_reject_only_that_row(tmp_path):
    data = (HEADER + "Bad \xe9,mayor,Albany,NY,,,,,\n").encode("latin-1") + GOOD.encode()
    result = load(write(tmp_path, "c.csv", data))
    assert [o.name for o in result.officials] == ["Matt Mahan"]
    assert any("c.csv:2: error:" in m and "not UTF-8" in m for m in messages(result))


def test_missing_header(tmp_path):
    result = load(write(tmp_path, "c.csv", GOOD))
    assert result.officials == []
    assert "c.csv:1: error: missing header column(s)" in messages(result)[0]


def test_extra_columns_blank_lines_and_line_numbers(tmp_path):
    text = HEADER.rstrip("\n") + ",favourite colour\n\n" + GOOD + "\n\nX,mayor,Nowhere,ZZ,,,,,,\n"
    result = load(write(tmp_path, "c.csv", text))
    found = messages(result)
    assert any("c.csv:1: warning: unknown column(s) ignored: favourite colour" in m for m in found)
    assert any(m.startswith(f"{tmp_path / 'c.csv'}:7: error: unknown US state") for m in found)
    assert [o.name for o in result.officials] == ["Matt Mahan"]


def test_megabyte_field(tmp_path):
    text = HEADER + "A" * 1_000_000 + ",mayor,San Jose,CA,,,,,\n" + GOOD
    result = load(write(tmp_path, "c.csv", text))
    assert any(
        "c.csv:2: error: a value is longer than the limit of 100,000 characters" in m
        for m in messages(result)
    )
    assert [o.name for o in result.officials] == ["Matt Mahan"]


def test_hostile_cells_are_kept_literally(tmp_path):
    names = ['=HYPERLINK(""http://x"")', "{{ 7*7 }}", "<script>alert(1)</script>", "José Peña"]
    rows = "".join(
        f'"{n}",council_member,San Jose,CA,{i},,"1 Main St, San Jose, CA 95113",,\n'
        for i, n in enumerate(names)
    )
    result = load(write(tmp_path, "c.csv", HEADER + rows))
    assert [o.name for o in result.officials] == [
        '=HYPERLINK("http://x")',
        "{{ 7*7 }}",
        "<script>alert(1)</script>",
        "José Peña",
    ]


def test_row_checks(tmp_path):
    rows = (
        ",mayor,San Jose,CA,,,,,\n"  # missing name
        "A B,governor,San Jose,CA,,,,,\n"  # unknown role
        "C D,mayor,San Jose,CA,,not-an-email,,,\n"  # invalid email
        "E F,council member,San Jose,CA,2,,1 Main St,,\n"  # no ZIP: warning
        "G H,Councilmember,San Jose,CA,3,g@example.org,,,2020-01-01\n"  # old: warning
        "G H,council_member,San Jose,CA,3,g@example.org,,,\n"  # duplicate
    )
    result = load(write(tmp_path, "c.csv", HEADER + rows))
    found = "\n".join(messages(result))
    assert ":2: error: missing required field(s): name" in found
    assert ":3: error: unknown role 'governor'" in found
    assert ":4: error: invalid email 'not-an-email'" in found
    assert ":5: warning: address has no ZIP code" in found
    assert ":6: warning: record is from 2020-01-01, more than 18 months ago" in found
    assert ":7: error: duplicate of line 6 (G H)" in found
    assert [o.name for o in result.officials] == ["E F", "G H"]
    assert [o.role for o in result.officials] == ["council_member", "council_member"]


def test_yaml_and_json_report_record_lines(tmp_path):
    yaml_text = (
        "officials:\n  - name: A\n    role: mayor\n    city: Albany\n    state: NY\n"
        "  - name: B\n    role: pope\n    city: Albany\n    state: NY\n"
    )
    result = load(write(tmp_path, "c.yaml", yaml_text))
    assert [o.name for o in result.officials] == ["A"]
    assert any("c.yaml:6: error: unknown role 'pope'" in m for m in messages(result))
    records = [
        {"name": "A", "role": "mayor", "city": "Albany", "state": "NY"},
        {"name": "B", "role": "mayor", "city": "Albany", "state": "NY", "email": "x@"},
    ]
    json_text = "[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n"
    result = load(write(tmp_path, "c.json", json_text))
    assert any("c.json:3: error: invalid email" in m for m in messages(result))


def test_broken_yaml_and_json(tmp_path):
    assert (
        "invalid YAML" in messages(load(write(tmp_path, "c.yaml", "officials: [\n  - a: b\n")))[0]
    )
    assert "c.json:2: error: invalid JSON" in messages(load(write(tmp_path, "c.json", "[\n{,]")))[0]


def test_contacts_check_cli_exit_codes(tmp_path):
    runner = CliRunner()
    good = write(tmp_path, "good.csv", HEADER + GOOD)
    result = runner.invoke(cli, ["contacts", "check", str(good)])
    assert result.exit_code == 0, result.output
    bad = write(tmp_path, "bad.csv", HEADER + "X,mayor,San Jose,CA,,bad@,,,\n")
    result = runner.invoke(cli, ["contacts", "check", str(bad), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["errors"] == 1 and report["problems"][0]["line"] == 2
    assert "Traceback" not in result.output


def test_embedded_data_checks_without_errors():
    result = CliRunner().invoke(cli, ["contacts", "check", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["officials"] >= 50
