"""Envelopes and labels, measured with ``pdftotext -bbox``: where every word of an address is."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from measure import lines, pages, words

from advocacy.cli import cli
from advocacy.formats.mailing import (
    AVERY_5160,
    ENVELOPE,
    READ_AREA,
    RETURN_AREA,
    Mailing,
    envelopes_pdf,
    labels_pdf,
)

SENDER = ("Olena Kovalenko", "1 Market St", "San Jose, CA 95113")


def address(n: int) -> tuple[str, ...]:
    return (f"Official Number {n}", "Councilmember, District 10", "200 E. Santa Clara St.",
            f"San Jose, CA 9511{n % 10}")  # fmt: skip


def test_envelopes_put_the_recipient_in_the_read_area(tmp_path: Path) -> None:
    pieces = [Mailing(address(n), SENDER) for n in range(3)]
    long = ("The Honorable Ann Very-Long-Name Smith", "Councilmember, District 10",
            "Office of the City Clerk", "City Hall, Room 300", "200 E. Santa Clara St.",
            "San Jose, CA 95113")  # fmt: skip
    pieces.append(Mailing(long, SENDER))
    path = tmp_path / "envelopes.pdf"
    path.write_bytes(envelopes_pdf(pieces))
    assert pages(path) == len(pieces)
    found = words(path)
    for number, piece in enumerate(pieces, start=1):
        on_page = [w for w in found if w.page == number]
        recipient = [w for w in on_page if w.left > RETURN_AREA[2]]
        returned = [w for w in on_page if w.left <= RETURN_AREA[2]]
        assert [" ".join(w.text for w in line) for line in lines(recipient)] == list(
            piece.recipient
        )
        assert [" ".join(w.text for w in line) for line in lines(returned)] == list(SENDER)
        for word in recipient:
            assert READ_AREA[0] <= word.left and word.right <= READ_AREA[2], word
            assert READ_AREA[1] <= word.top and word.bottom <= READ_AREA[3], word
        for word in returned:
            assert word.right <= RETURN_AREA[2] and word.bottom <= RETURN_AREA[3], word
        assert all(w.right <= ENVELOPE[0] and w.bottom <= ENVELOPE[1] for w in on_page)


def test_labels_30_a_sheet_each_address_inside_its_label(tmp_path: Path) -> None:
    addresses = [address(n) for n in range(31)]
    path = tmp_path / "labels.pdf"
    path.write_bytes(labels_pdf(addresses))
    assert pages(path) == 2
    found = words(path)
    for index, lines_ in enumerate(addresses):
        page = index // AVERY_5160.per_sheet + 1
        left, top, right, bottom = AVERY_5160.box(index)
        inside = [w for w in found if w.page == page and left <= w.left and w.right <= right
                  and top <= w.top and w.bottom <= bottom]  # fmt: skip
        assert [" ".join(w.text for w in line) for line in lines(inside)] == list(lines_)
        # nothing of this label crosses its edges, with 1/16 in to spare
        assert min(w.left for w in inside) >= left + 1 / 16
        assert max(w.right for w in inside) <= right - 1 / 16
        assert min(w.top for w in inside) >= top + 1 / 16
        assert max(w.bottom for w in inside) <= bottom - 1 / 16
    # the 5160 grid: 3 columns 2.75 in apart, 10 rows 1 in apart, from 3/16 in and 1/2 in
    assert AVERY_5160.box(0) == (0.1875, 0.5, 2.8125, 1.5)
    assert AVERY_5160.box(29) == (5.6875, 9.5, 8.3125, 10.5)
    assert AVERY_5160.box(30) == AVERY_5160.box(0)


def test_packet_writes_envelopes_and_labels_for_letters_with_a_postal_address(
    tmp_path: Path,
) -> None:
    sender = tmp_path / "sender.toml"
    sender.write_text('name = "Olena Kovalenko"\naddress = ["1 Market St", "San Jose, CA 95113"]\n')
    out = tmp_path / "packet"
    result = CliRunner().invoke(
        cli,
        ["packet", "--out", str(out), "--date", "2026-12-01", "--format", "txt", "--quiet",
         "--sender", str(sender), "--envelopes", "--labels", "5160"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    import json

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    mailable = [
        row
        for row in manifest["letters"]
        if row["status"] == "ok" and not any("no postal address" in w for w in row["warnings"])
    ]
    assert 0 < len(mailable) < len(manifest["letters"])  # the data has letters without one
    assert f"Envelopes and labels: {len(mailable)} letters with a postal address" in result.output
    assert pages(out / "envelopes.pdf") == len(mailable)
    found = words(out / "envelopes.pdf")
    for number, row in enumerate(mailable, start=1):  # packet order, one envelope each
        recipient = [w for w in found if w.page == number and w.left > RETURN_AREA[2]]
        assert row["official"] in " ".join(w.text for w in recipient)
    assert pages(out / "labels.pdf") == -(-len(mailable) // 30)


def test_contacts_check_reports_an_address_too_long_for_the_window(tmp_path: Path) -> None:
    from advocacy.contacts import WINDOW_LINES
    from advocacy.formats.window import MAX_LINES

    assert WINDOW_LINES == MAX_LINES
    path = tmp_path / "c.csv"
    path.write_text(
        "name,role,city,state,email,address\n"
        'Ann Long,mayor,Roanoke,VA,a@example.gov,"Office of the Mayor; City Hall; Room 452; '
        '215 Church Ave SW; Roanoke, VA 24011"\n'
        'Bo Short,mayor,Salem,VA,b@example.gov,"114 N Broad St; City Hall; Salem, VA 24153"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["contacts", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: error: print error: the address has 5 lines" in result.output
    assert ":3:" not in result.output
