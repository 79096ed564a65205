"""Envelopes and address labels for the letters that have a postal address.

``envelopes.pdf``: one #10 envelope (9.5 x 4.125 in) a page, the return address at the top left
and the recipient inside the area USPS machines read (at least 1/2 in from the left and right
edges, 5/8 in above the bottom edge, and no higher than 2 3/4 in above it). ``labels.pdf``:
Avery 5160 / 8160 sheets (US Letter, 3 x 10 labels of 1 x 2 5/8 in, 30 a sheet). Both are laid
out by WeasyPrint from a small HTML page built here; every value prints as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from advocacy.formats.window import text_width

ENVELOPE = (9.5, 4.125)  # #10, landscape, inches
#: The USPS read area on a #10 envelope (inches from the top-left corner).
READ_AREA = (0.5, ENVELOPE[1] - 2.75, ENVELOPE[0] - 0.5, ENVELOPE[1] - 0.625)
RETURN_AREA = (0.3, 0.3, 3.8, 1.3)
RECIPIENT_LEFT, RECIPIENT_WIDTH = 3.9, 5.0


@dataclass(frozen=True)
class LabelSheet:
    """A sheet of labels: columns x rows labels of ``width`` x ``height``, inches."""

    name: str
    columns: int
    rows: int
    width: float
    height: float
    left: float  # the first label's left edge
    top: float  # the first label's top edge
    pitch_x: float  # from one label's left edge to the next one's
    pitch_y: float

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    def box(self, index: int) -> tuple[float, float, float, float]:
        """The label ``index`` (0-based, row by row) of its sheet: left, top, right, bottom."""
        row, column = divmod(index % self.per_sheet, self.columns)
        left = self.left + column * self.pitch_x
        top = self.top + row * self.pitch_y
        return left, top, left + self.width, top + self.height


AVERY_5160 = LabelSheet("5160", 3, 10, 2.625, 1.0, 0.1875, 0.5, 2.75, 1.0)
LABEL_SHEETS = {"5160": AVERY_5160, "8160": AVERY_5160}  # 8160 is the inkjet 5160
LABEL_PADDING = 0.12  # inches inside each label's edges
LABEL_SIZES = (10.0, 9.5, 9.0, 8.5, 8.0, 7.5)
LINE = 1.12  # line pitch in ems


@dataclass(frozen=True)
class Mailing:
    """One addressed piece: the recipient's lines (name first) and the return address."""

    recipient: tuple[str, ...]
    sender: tuple[str, ...]


def _lines(lines: Sequence[str], size: float, line_height: float) -> str:
    spans = "".join(f'<span class="line">{escape(line)}</span>' for line in lines)
    style = f"font-size: {size}pt; line-height: {line_height:.2f}pt"
    return f'<div class="lines" style="{style}">{spans}</div>'


def label_size(lines: Sequence[str], sheet: LabelSheet) -> float:
    """The largest type size at which ``lines`` fit in a label of ``sheet``."""
    width = sheet.width - 2 * LABEL_PADDING
    height = sheet.height - 2 * LABEL_PADDING
    for size in LABEL_SIZES:
        fits_height = ((len(lines) - 1) * LINE + 1.17) * size / 72 <= height
        if fits_height and all(text_width(line, size) <= width for line in lines):
            return size
    return LABEL_SIZES[-1]


STYLE = """
html { font-family: "DejaVu Serif", serif; color: #000; }
body { margin: 0; }
.line { display: block; white-space: nowrap; }
.piece { position: relative; width: 100%; height: 100%; break-after: page; }
.piece:last-child { break-after: auto; }
.piece > div { position: absolute; overflow: hidden; }
"""


def envelopes_html(pieces: Sequence[Mailing], title: str = "Envelopes") -> str:
    """One #10 envelope a page: return address top left, recipient in the read area."""
    width, height = ENVELOPE
    body = []
    for piece in pieces:
        lines = piece.recipient
        size = 11.0 if len(lines) <= 5 else 10.0
        pitch = size * 1.2
        block = len(lines) * pitch / 72
        # the block's bottom 0.25 in above the bottom of the read area
        top = READ_AREA[3] - 0.25 - block
        body.append(
            '<section class="piece">'
            f'<div class="return" style="left: {RETURN_AREA[0]}in; top: {RETURN_AREA[1]}in; '
            f'width: {RETURN_AREA[2] - RETURN_AREA[0]}in">{_lines(piece.sender, 9.0, 10.8)}</div>'
            f'<div class="recipient" style="left: {RECIPIENT_LEFT}in; top: {top:.3f}in; '
            f'width: {RECIPIENT_WIDTH}in">{_lines(lines, size, pitch)}</div>'
            "</section>"
        )
    return _page(title, f"{width}in {height}in", "".join(body))


def labels_html(
    addresses: Sequence[Sequence[str]], sheet: LabelSheet, title: str = "Labels"
) -> str:
    """Address labels, ``sheet.per_sheet`` a page, row by row, in the given order."""
    body = []
    for start in range(0, len(addresses), sheet.per_sheet):
        labels = []
        for index, lines in enumerate(addresses[start : start + sheet.per_sheet]):
            left, top, _, _ = sheet.box(index)
            size = label_size(lines, sheet)
            pitch = size * LINE
            block = ((len(lines) - 1) * LINE + 1.17) * size / 72
            # centred vertically in the label, LABEL_PADDING in from its left edge
            offset = max((sheet.height - block) / 2, LABEL_PADDING)
            labels.append(
                f'<div class="label" style="left: {left + LABEL_PADDING:.4f}in; '
                f"top: {top + offset - (pitch / 72 - 1.17 * size / 72) / 2:.4f}in; "
                f'width: {sheet.width - 2 * LABEL_PADDING:.4f}in">'
                f"{_lines(lines, size, pitch)}</div>"
            )
        body.append(f'<section class="piece">{"".join(labels)}</section>')
    return _page(title, "letter", "".join(body))


def _page(title: str, size: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f"<style>@page {{ size: {size}; margin: 0 }} {STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def render_pdf(page: str) -> bytes:
    """Lay ``page`` out with WeasyPrint (fonts only; nothing is fetched)."""
    from weasyprint import HTML

    from advocacy.formats.pdf import SafeURLFetcher

    pdf = HTML(string=page, url_fetcher=SafeURLFetcher(())).write_pdf(pdf_variant="pdf/ua-1")
    assert pdf is not None
    return pdf


def envelopes_pdf(pieces: Sequence[Mailing]) -> bytes:
    return render_pdf(envelopes_html(pieces))


def labels_pdf(addresses: Sequence[Sequence[str]], sheet: str = "5160") -> bytes:
    return render_pdf(labels_html(addresses, LABEL_SHEETS[sheet]))
