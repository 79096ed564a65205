"""Supporters: each resident's own letters to their own officials (packet/letter --supporters)."""

from __future__ import annotations

import csv
import email
import email.policy
import html
import json
import re
import stat
import subprocess
import textwrap
from pathlib import Path
from urllib.parse import unquote

import docx
import pytest
from click.testing import CliRunner

from advocacy.cli import cli
from advocacy.dataset import load_dataset
from advocacy.models import Official
from advocacy.supporters import Supporter, assign, load_supporters, representatives

HEADER = "name,address,city,state,zip,email,district,note,organisation\n"
NOTE = '{{ 7*7 }} <script>alert(1)</script> =HYPERLINK("http://x") - not a list'


def write(tmp_path: Path, rows: str, name: str = "supporters.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(rows), encoding="utf-8")
    return path


def run(*args: str):
    return CliRunner().invoke(cli, [*args, "--date", "2026-11-23"])


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


# -- reading the file ---------------------------------------------------------------------------


def test_bad_rows_are_reported_by_line_and_good_rows_kept(tmp_path):
    path = write(
        tmp_path,
        """\
        Olena Kovalenko,100 Example St,San José,CA,95113,olena@example.org,District 3,,
        ,2 Main St,Chicago,IL,60601,,,,
        Ann Lee,3 Main St,Chicago,Narnia,60601,,,,
        Bo Chen,4 Main St,,,,,,,
        OLENA KOVALENKO,100 Example St.,San Jose,CA,95113,,3,,
        Eve,"5 Main St
        Tacoma, WA 98402",,,,not-an-email,,,
        """,
    )
    load = load_supporters([path])
    messages = [str(p) for p in load.problems]
    assert f"{path}:3: error: missing name" in messages
    assert f"{path}:4: error: Ann Lee: unknown US state 'Narnia'" in messages
    assert any(m.startswith(f"{path}:5: error: Bo Chen: no city and state") for m in messages)
    assert f"{path}:6: warning: duplicate of line 2 (OLENA KOVALENKO); counted once" in messages
    assert any(
        m.startswith(f"{path}:7: warning: Eve: email 'not-an-email' left out") for m in messages
    )
    assert [s.name for s in load.supporters] == ["Olena Kovalenko", "Eve"]
    assert load.duplicates == 1
    eve = load.supporters[1]
    assert (eve.city, eve.state, eve.zip, eve.street) == ("Tacoma", "WA", "98402", ("5 Main St",))


def test_yaml_and_json_files_name_their_lines(tmp_path):
    yaml_path = tmp_path / "supporters.yaml"
    yaml_path.write_text(
        "supporters:\n"
        "  - name: Ann Lee\n    city: Chicago\n    state: IL\n"
        "  - city: Chicago\n    state: IL\n",
        encoding="utf-8",
    )
    json_path = tmp_path / "supporters.json"
    json_path.write_text(
        '[\n {"name": "Bo", "city": "Chicago", "state": "IL", "ward": "3"},\n'
        ' {"name": "", "city": "Chicago", "state": "IL"}\n]\n',
        encoding="utf-8",
    )
    load = load_supporters([yaml_path, json_path])
    assert [s.name for s in load.supporters] == ["Ann Lee", "Bo"]
    assert load.supporters[1].district == "3"
    assert [str(p) for p in load.errors] == [
        f"{yaml_path}:5: error: missing name",
        f"{json_path}:3: error: missing name",
    ]


# -- who writes to whom --------------------------------------------------------------------------


def supporter(city: str, state: str, district: str | None = None, name: str = "A B") -> Supporter:
    return Supporter(name=name, city=city, state=state, street=("1 Example St",), district=district)


def test_single_member_district_and_multi_member_district():
    data = load_dataset()
    san_jose, portland = assign(
        data, [supporter("San José", "CA", "District 3"), supporter("Portland", "OR", "Ward 2")]
    )
    assert [o.name for o in san_jose.officials] == ["Matt Mahan", "Anthony Tordillos"]
    assert san_jose.reasons == ()
    assert portland.officials[0].role == "mayor"
    members = [o for o in portland.officials if o.role == "council_member"]
    assert len(members) == 3 and {o.district for o in members} == {"2"}


def test_at_large_members_write_to_every_resident():
    officials = [
        Official(name="May Or", role="mayor", city="X", state="CA"),
        Official(name="At Large", role="council_member", city="X", state="CA", district="At-large"),
        Official(name="Whole City", role="council_member", city="X", state="CA"),
        Official(name="Dee Three", role="council_member", city="X", state="CA", district="3"),
        Official(name="Dee Four", role="council_member", city="X", state="CA", district="4"),
    ]
    names = [o.name for o in representatives(officials, "District 3")]
    assert names == ["May Or", "At Large", "Whole City", "Dee Three"]
    assert [o.name for o in representatives(officials, None)] == [
        "May Or",
        "At Large",
        "Whole City",
    ]


def test_missing_district_no_officials_and_no_tie_are_reported():
    data = load_dataset()
    without = next(c for c in data.cities() if not data.officials_of(c))
    no_district, no_officials, no_tie, unknown = assign(
        data,
        [
            supporter("San Diego", "CA"),
            supporter(without.name, without.state),
            supporter("Springfield", "KS"),
            supporter("San Diego", "CA", "District 42"),
        ],
    )
    assert [o.role for o in no_district.officials] == ["mayor"]
    assert (
        "no district given: San Diego, CA elects its council by district" in no_district.reasons[0]
    )
    assert no_officials.officials == () and "no officials on record" in no_officials.reasons[0]
    assert (
        no_tie.city is None
        and "no sister-city tie is recorded for Springfield, KS" in no_tie.reasons[0]
    )
    assert unknown.reasons == ("no council member on record for District 42 of San Diego, CA",)


# -- the packet --------------------------------------------------------------------------------


def test_packet_letters_pages_manifest_and_incremental_runs(tmp_path):
    quoted = NOTE.replace('"', '""')
    path = write(
        tmp_path,
        f"""\
        Olena Kovalenko,100 Example St,San José,CA,95113,olena@example.org,3,"{quoted}",
        Ivan Petrenko,200 Example St,Portland,OR,97204,ivan@example.org,2,,
        Far Away,1 Main St,Springfield,KS,66000,,,,
        """,
    )
    out = tmp_path / "campaign"
    result = run(
        "packet", "--supporters", str(path), "--out", str(out), "--format", "txt,eml,mailto"
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert "Supporters: 3; 2 letters carry a personal note" in result.output
    assert "Far Away: no sister-city tie is recorded for Springfield, KS" in result.output
    assert "no sender set" not in result.output  # each supporter signs their own letters

    rows = manifest(out)["letters"]
    pairs = sorted((r["supporter"], r["official"]) for r in rows)
    assert len(pairs) == 6 and len(set(pairs)) == 6  # mayor + 1, mayor + 3 members
    assert sum(r["personal"] for r in rows) == 2
    with (out / "manifest.csv").open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 6 and {"supporter", "personal"} <= set(table[0])

    olena = next(p for p in (out / "supporters").iterdir() if p.name.startswith("olena"))
    page = (olena / "index.html").read_text(encoding="utf-8")
    assert "Olena Kovalenko" in page and "mailto:mayor@sanjoseca.gov" in page
    assert "Ivan" not in page and "Far Away" not in page and "Springfield" not in page
    assert 'href="matt-mahan.eml"' in page
    overview = (out / "index.html").read_text(encoding="utf-8")
    assert "Olena Kovalenko" in overview and "Ivan Petrenko" in overview

    # add one supporter: only their letters (and the combined files) are made
    with path.open("a", encoding="utf-8") as handle:
        handle.write("Nova Added,300 Example St,San Jose,CA,95113,,5,,\n")
    again = run(
        "packet", "--supporters", str(path), "--out", str(out), "--format", "txt,eml,mailto"
    )
    assert again.exit_code == 0, again.output
    assert "8 letters for 2 cities: 2 written, 6 up to date" in again.output
    # remove one: their letters and page go
    path.write_text(
        "".join(line for line in path.read_text().splitlines(True) if "Ivan" not in line)
    )
    third = run(
        "packet", "--supporters", str(path), "--out", str(out), "--format", "txt,eml,mailto"
    )
    assert third.exit_code == 0, third.output
    assert "0 written, 4 up to date" in third.output
    assert "Removed the letters of 1 supporter" in third.output
    assert not any(p.name.startswith("ivan") for p in (out / "supporters").iterdir())
    assert len(manifest(out)["letters"]) == 4


def test_the_personal_note_is_printed_literally_in_every_format(tmp_path):
    note = NOTE.replace('"', '""')
    path = write(
        tmp_path, f'Olena Kovalenko,1 Example St,Chicago,IL,60601,o@example.org,,"{note}",\n'
    )
    out = tmp_path / "out"
    result = run("packet", "--supporters", str(path), "--out", str(out), "--to", "mayor")
    assert result.exit_code == 0, result.output
    folder = next((out / "supporters").iterdir())
    stem = folder / "brandon-johnson"
    assert NOTE in stem.with_suffix(".txt").read_text(encoding="utf-8")
    message = email.message_from_bytes(
        stem.with_suffix(".eml").read_bytes(), policy=email.policy.default
    )
    assert NOTE in " ".join(message.get_body().get_content().split())
    # the link is on the supporter's own page; the manifest keeps only its length
    page = (folder / "index.html").read_text(encoding="utf-8")
    mailto = html.unescape(re.search(r'href="(mailto:[^"]+)"', page).group(1))
    assert NOTE in unquote(mailto)
    row = manifest(out)["letters"][0]
    assert "mailto" not in row and row["mailto_length"] == len(mailto)
    paragraphs = [p.text for p in docx.Document(str(stem.with_suffix(".docx"))).paragraphs]
    assert NOTE in paragraphs
    text = subprocess.run(
        ["pdftotext", str(stem.with_suffix(".pdf")), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(text.split())
    for piece in ("{{ 7*7 }}", "<script>alert(1)</script>", "=HYPERLINK(", "- not a list"):
        assert piece in flat
    assert "49" not in flat.split("7*7")[1][:10]


def test_bundle_pdf_has_a_cover_and_every_letter(tmp_path):
    path = write(
        tmp_path,
        """\
        Ann One,1 Example St,Chicago,IL,60601,,,,
        Bo Two,2 Example St,Chicago,IL,60601,,,My own words.,
        """,
    )
    out = tmp_path / "out"
    result = run("packet", "--supporters", str(path), "--out", str(out), "--format", "pdf")
    assert result.exit_code == 0, result.output
    bundle = out / "officials/chicago-il/brandon-johnson.pdf"
    letters = sorted((out / "supporters").glob("*/brandon-johnson.pdf"))
    assert len(letters) == 2

    def pages(pdf: Path) -> int:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
        return int(
            next(line for line in info.stdout.splitlines() if line.startswith("Pages:")).split()[1]
        )

    assert pages(bundle) == 1 + sum(pages(p) for p in letters)
    cover = subprocess.run(
        ["pdftotext", "-l", "1", str(bundle), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "2 residents of Chicago wrote to you" in " ".join(cover.split())
    assert "Ann One" in cover and "Bo Two" in cover
    overview = (out / "index.html").read_text(encoding="utf-8")
    assert "officials/chicago-il/brandon-johnson.pdf" in overview
    officials = manifest(out)["officials"]
    assert officials == [
        {
            "city": "Chicago, IL",
            "official": "Brandon Johnson",
            "title": "Mayor",
            "letters": 2,
            "bundle": "officials/chicago-il/brandon-johnson.pdf",
        }
    ]


def test_ten_identical_letters_to_one_official_are_pointed_out(tmp_path):
    rows = "".join(
        f"Person {i},{i} Example St,Chicago,IL,60601,p{i}@example.org,,,\n" for i in range(10)
    )
    path = write(tmp_path, rows)
    result = run("packet", "--supporters", str(path), "--out", "out", "--format", "txt")
    assert result.exit_code == 0, result.output
    assert "10 letters to Brandon Johnson have identical bodies" in result.output
    assert manifest(tmp_path / "out")["identical"] == [
        {"official": "Brandon Johnson", "letters": 10}
    ]


def test_letter_with_supporters_writes_only_that_city(tmp_path):
    path = write(
        tmp_path,
        """\
        Ann One,1 Example St,Chicago,IL,60601,,,,
        Bo Two,2 Example St,Oakland,CA,94612,,,,
        """,
    )
    result = run("letter", "--city", "Chicago", "--supporters", str(path), "--format", "txt")
    assert result.exit_code == 0, result.output
    assert [r["supporter"] for r in manifest(tmp_path / "out")["letters"]] == ["Ann One"]


def test_a_file_of_only_bad_rows_is_an_error(tmp_path):
    path = write(tmp_path, ",1 Example St,Chicago,IL,60601,,,,\n")
    result = run("packet", "--supporters", str(path), "--format", "txt")
    assert result.exit_code == 1
    assert f"{path}:2: error: missing name" in result.output
    assert "no supporter could be read" in result.output


def test_init_keeps_supporter_files_out_of_git(tmp_path):
    assert CliRunner().invoke(cli, ["init", "w"]).exit_code == 0
    ignored = (tmp_path / "w/.gitignore").read_text().splitlines()
    assert {"out/", "supporters*.csv", "supporters/"} <= set(ignored)


@pytest.mark.parametrize("name", ["supporters-sample.csv"])
def test_the_sample_supporters_file_reads_cleanly(name):
    sample = Path(__file__).parents[1] / "contacts" / name
    load = load_supporters([sample])
    assert load.problems == [] and len(load.supporters) >= 5
    data = load_dataset()
    assert all(a.city is not None and a.officials for a in assign(data, load.supporters))


def test_an_overview_that_cannot_be_written_is_written_by_the_next_run(tmp_path):
    """The overview (manifest.csv, index.html, manifest.json) is written by child processes:
    a failure fails the run with a one-line error, the overview is not recorded as done, and
    the next run writes it."""
    path = write(tmp_path, "Olena Kovalenko,100 Example St,San Jose,CA,95113,,3,,\n")
    own = tmp_path / "mine"
    own.mkdir()
    broken = own / "_supporters-index.html.j2"
    broken.write_text("{{ totals.letters }} {{ people|no_such_filter }}", encoding="utf-8")
    out = tmp_path / "campaign"
    args = ("packet", "--supporters", str(path), "--out", str(out), "--format", "txt,eml")
    failed = run(*args, "--templates", str(own))
    assert failed.exit_code != 0
    assert "_supporters-index.html.j2" in failed.output and "no_such_filter" in failed.output
    assert "Traceback" not in failed.output
    # the overview's three files are put in place together, or none of them
    assert not (out / "index.html").exists()
    assert not (out / "manifest.csv").exists()
    assert not (out / "manifest.json").exists()
    state = json.loads((out / ".advocacy-state.json").read_text(encoding="utf-8"))
    assert "packet" not in state["combined"]
    assert not (out / ".advocacy-stamp.json").exists()

    broken.write_text("{{ totals.letters }} letters by {{ people|length }}", encoding="utf-8")
    fixed = run(*args, "--templates", str(own))
    assert fixed.exit_code == 0, fixed.output
    assert (out / "index.html").read_text(encoding="utf-8").strip() == "2 letters by 1"
    assert not [p for p in out.rglob("*.tmp")]
    again = run(*args, "--templates", str(own))
    assert "Everything is up to date" in again.output


@pytest.mark.parametrize("side", ["this process", "the child"])
def test_bundles_that_fail_are_reported_and_the_others_are_written(tmp_path, monkeypatch, side):
    """Bundles are written half by this process and half by a forked child: a failure on
    either side is reported with its official, and every other bundle is written."""
    import os

    import advocacy.packet.pdf as packet_pdf

    path = write(
        tmp_path,
        """\
        Ann One,1 Example St,Portland,OR,97204,,2,,
        Bo Two,2 Example St,Portland,OR,97204,,2,,
        """,
    )
    out = tmp_path / "out"
    add = packet_pdf.PdfConcatenator.add
    here = os.getpid()

    def failing_add(self, source):
        if not isinstance(source, bytes) and (os.getpid() == here) == (side == "this process"):
            raise ValueError("a damaged letter")
        return add(self, source)

    monkeypatch.setattr(packet_pdf.PdfConcatenator, "add", failing_add)
    args = ("packet", "--supporters", str(path), "--out", str(out), "--format", "pdf")
    result = run(*args, "--jobs", "1")
    assert result.exit_code == 1, result.output
    assert result.output.count("bundle: a damaged letter") == 2
    folder = out / "officials" / "portland-or"
    assert len(list(folder.glob("*.pdf"))) == 2  # the mayor and three members: half written
    monkeypatch.setattr(packet_pdf.PdfConcatenator, "add", add)
    again = run(*args, "--jobs", "1")
    assert again.exit_code == 0, again.output
    assert len(list(folder.glob("*.pdf"))) == 4


def test_a_run_killed_before_a_new_supporter_folder_is_in_place_leaves_nothing_half(
    tmp_path, monkeypatch
):
    """A new supporter's letters and page are written into a temporary folder renamed into
    place at the end: a run killed before that leaves no part of the folder at its name, and
    the next run removes the temporary folder and writes the supporter's letters whole."""
    import advocacy.output as output

    path = write(
        tmp_path,
        """\
        Olena Kovalenko,100 Example St,San Jose,CA,95113,olena@example.org,3,,
        Ann Lee,3 Main St,Chicago,IL,60601,ann@example.org,,,
        """,
    )
    out = tmp_path / "campaign"
    args = ("packet", "--supporters", str(path), "--out", str(out), "--format", "txt,eml")
    args += ("--jobs", "1")
    real = output.NewFolder.commit

    def killed(self):
        if Path(self.final).name.startswith("olena-kovalenko"):
            raise KeyboardInterrupt  # Ctrl-C (or a kill) between the last file and the rename
        real(self)

    monkeypatch.setattr(output.NewFolder, "commit", killed)
    stopped = run(*args)
    assert "Traceback" not in stopped.output
    supporters = out / "supporters"
    names = sorted(p.name for p in supporters.iterdir())
    left = [n for n in names if n.startswith(".advocacy-olena-kovalenko")]
    assert len(left) == 1 and left[0].endswith(".tmp")
    assert not [n for n in names if n.startswith("olena-kovalenko")]
    monkeypatch.undo()

    finished = run(*args)
    assert finished.exit_code == 0, finished.output
    assert not [p for p in out.rglob("*.tmp")]
    clean = tmp_path / "clean"
    assert (
        run(
            "packet", "--supporters", str(path), "--out", str(clean), "--format", "txt,eml"
        ).exit_code
        == 0
    )
    for folder in ("supporters",):
        mine = sorted(str(p.relative_to(out)) for p in (out / folder).rglob("*"))
        theirs = sorted(str(p.relative_to(clean)) for p in (clean / folder).rglob("*"))
        assert mine == theirs
        for name in mine:
            if (out / name).is_file():
                assert (out / name).read_bytes() == (clean / name).read_bytes(), name


def test_supporters_folders_that_cannot_be_made_fail_each_letter_with_its_file(tmp_path):
    path = write(
        tmp_path, "Olena Kovalenko,100 Example St,San Jose,CA,95113,olena@example.org,3,,\n"
    )
    out = tmp_path / "campaign"
    out.mkdir()
    (out / "supporters").write_text("not a folder", encoding="utf-8")
    result = run("packet", "--supporters", str(path), "--out", str(out), "--format", "txt,eml")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert re.search(r"cannot write \S+/supporters/olena-kovalenko-\w+/\S+\.eml: Not a directory",
                     result.output)  # fmt: skip
    assert not [p for p in out.rglob("*.tmp")]
