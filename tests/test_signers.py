"""Petition signatures: reading, per-row problems with lines, duplicates, the official's city."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from advocacy.dataset import City
from advocacy.exceptions import DataError
from advocacy.signers import load_signers


def write(tmp_path: Path, text: str, name: str = "signers.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    data = textwrap.dedent(text).lstrip("\n").encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def test_valid_rows_count_and_city(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        name,city,comment
        Anna Ivanova,San Jose,Slava Ukraini
        José Núñez,"San José, CA",
        Олена Коваленко,95112,
        Bob Smith,Portland,
        """,
    )
    petition = load_signers(path)
    assert petition.problems == []
    assert petition.count == 4
    assert [s.name for s in petition.signers][2] == "Олена Коваленко"
    assert petition.signers[2].zip == "95112" and petition.signers[2].city == ""
    assert petition.signers[1].state == "CA" and petition.signers[1].place == "San José, CA"
    san_jose = City("San Jose", "CA", ())
    # by city name, without accents or case; a ZIP alone does not count
    assert petition.from_city(san_jose) == 2
    assert petition.from_city("Portland") == 1
    # a signer who gave another state is not from this city
    assert petition.from_city(City("San Jose", "IL", ())) == 1


def test_bom_semicolons_aliases_and_zip_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        Full Name;Town;ZIP code;Comments
        Anna Ivanova;San Jose;95112-1234;tak
        Bob Smith;;97201;
        """,
        bom=True,
    )
    petition = load_signers(path)
    assert petition.problems == []
    assert [(s.name, s.city, s.zip, s.comment) for s in petition.signers] == [
        ("Anna Ivanova", "San Jose", "95112-1234", "tak"),
        ("Bob Smith", "", "97201", ""),
    ]


def test_invalid_rows_are_reported_by_line_and_left_out(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        name,city,zip,comment
        Anna Ivanova,San Jose,,
        ,San Jose,,no name
        Carl Jones,,,no place

        Dora Diaz,,9511,bad zip
        Eve Evans,99,,digits are no city
        "Fay ""F"" Fox","Multi
        line city",,
        Gus Gray,Chicago,,
        """,
    )
    petition = load_signers(path)
    assert [str(p) for p in petition.problems] == [
        f"{path}:3: error: missing name",
        f"{path}:4: error: Carl Jones: missing city or ZIP code",
        f"{path}:6: error: Dora Diaz: '9511' is not a US ZIP code (12345 or 12345-6789)",
        f"{path}:7: error: Eve Evans: '99' is neither a city nor a US ZIP code "
        "(12345 or 12345-6789)",
    ]
    assert [s.name for s in petition.signers] == ["Anna Ivanova", 'Fay "F" Fox', "Gus Gray"]
    assert petition.signers[1].city == "Multi line city"
    assert petition.signers[2].line == 10


def test_duplicates_are_counted_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        name,city
        Anna Ivanova,San Jose
        ANNA  IVANOVA,san josé
        Anna Ivanova,Portland
        Bob Smith,95112
        Bob Smith,95112
        """,
    )
    petition = load_signers(path)
    assert petition.count == 3  # Anna (San Jose), Anna (Portland), Bob
    assert petition.duplicates == 2
    assert [str(p) for p in petition.problems] == [
        f"{path}:3: warning: duplicate of line 2 (ANNA IVANOVA); counted once",
        f"{path}:6: warning: duplicate of line 5 (Bob Smith); counted once",
    ]
    assert petition.from_city("San Jose") == 1


def test_not_utf8_row_is_rejected_alone(tmp_path: Path) -> None:
    path = tmp_path / "signers.csv"
    path.write_bytes(b"name,city\nAnna,San Jose\nJos\xe9,San Jose\n")
    petition = load_signers(path)
    assert petition.count == 1
    assert str(petition.problems[0]).startswith(f"{path}:3: error: name: contains bytes")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "signers file is empty"),
        ("who,where\nAnna,San Jose\n", "the first line must name the columns"),
        ("name,comment\nAnna,hi\n", "the first line must name the columns"),
    ],
)
def test_unusable_file_is_one_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "signers.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_signers(path)
    assert str(caught.value).startswith(f"{path}:1: {message}")


def test_unknown_columns_warn(tmp_path: Path) -> None:
    path = write(tmp_path, "name,city,email\nAnna,San Jose,a@example.org\n")
    petition = load_signers(path)
    assert petition.count == 1
    assert [str(p) for p in petition.problems] == [
        f"{path}:1: warning: unknown column(s) ignored: email"
    ]
