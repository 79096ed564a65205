"""Where the inside address goes so that it shows through a #10 window envelope.

The geometry (inches from the sheet's top-left corner): a #10 envelope (9.5 x 4.125 in) has a
4.5 x 1.125 in window 7/8 in from its left edge and 1/2 in from its bottom; a US Letter sheet
folded in thirds and centred in it puts the window at x 0.375-4.875, y 2.271-3.396 on the
sheet. Every line of the address keeps 1/8 in of clearance when the sheet is centred and stays
inside when the sheet slides 0.15 in up or down or 0.4 in left or right: that is
:data:`ADDRESS_BOX`. Nothing else may show in the window in any of those positions:
:data:`KEEP_CLEAR`.

:func:`fit_address` chooses the lines and the type size of the address (shared by the PDF, the
DOCX and the envelopes): the largest size from 10 pt down to 8.5 pt at which every line fits,
joining the title and the office ("Mayor, City of San Jose") when that saves a line. Widths
are measured with the metrics of DejaVu Serif, the PDF's font (wider than the DOCX's Times),
read once with fontTools; without that font file a conservative average width is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Box:
    """A rectangle on the sheet, in inches from its top-left corner."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


#: The window on the sheet when the folded sheet is centred in the envelope.
WINDOW = Box(0.375, 2.271, 4.875, 3.396)
#: Every address line must lie inside this box (1/8 in clearance, 0.15 in / 0.4 in slide).
ADDRESS_BOX = Box(0.775, 2.421, 4.475, 3.246)
#: Nothing but the address may enter this box (the window in every slid position).
KEEP_CLEAR = Box(0.0, 2.121, 5.275, 3.546)
#: Where the text of the address starts and how wide it may run: a hair inside ADDRESS_BOX.
ADDRESS_LEFT = 0.80
ADDRESS_WIDTH = 3.64
#: The most lines an address may have (``contacts check`` reports more as a print error).
MAX_LINES = 6
SIZES = (10.0, 9.5, 9.0, 8.5)
LINE_HEIGHT = 1.12  # line pitch, in ems
#: Height of one line of glyphs (DejaVu's ascent + descent, as pdftotext measures a word).
GLYPH_HEIGHT = 1.164
#: Room kept at the top and bottom of ADDRESS_BOX for rounding in the renderers (inches).
MARGIN = 0.01

FONT_FILES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSerif.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSerif.ttf"),
)
#: Width of a character in ems when the font's metrics are unknown (DejaVu Serif's widest
#: common letters are about 0.75 em; text averages 0.6).
FALLBACK_EM = 0.68


@lru_cache(maxsize=1)
def _advances() -> tuple[dict[int, float], float] | None:
    """DejaVu Serif's advance width of each code point, in ems, and its widest glyph."""
    path = next((p for p in FONT_FILES if p.is_file()), None)
    if path is None:
        return None
    try:
        from fontTools.ttLib import TTFont
    except ImportError:  # pragma: no cover - fontTools comes with WeasyPrint
        return None
    with TTFont(str(path)) as font:  # tables are read on first use, so inside the block
        units = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        cmap = font.getBestCmap()
        widths = {code: metrics[name][0] / units for code, name in cmap.items()}
    return widths, max(widths.values())


def text_width(text: str, size: float) -> float:
    """Width of ``text`` set in DejaVu Serif at ``size`` points, in inches."""
    table = _advances()
    if table is None:
        return len(text) * FALLBACK_EM * size / 72
    widths, widest = table
    return sum(widths.get(ord(ch), widest) for ch in text) * size / 72


def block_height(lines: int, size: float) -> float:
    """Height from the top of the first line's glyphs to the bottom of the last, in inches."""
    return ((lines - 1) * LINE_HEIGHT + GLYPH_HEIGHT) * size / 72


@dataclass(frozen=True)
class AddressFit:
    """The address as printed: its lines, type size (pt), line pitch (pt) and top (in)."""

    lines: tuple[str, ...]
    size: float
    fits: bool

    @property
    def line_height(self) -> float:
        return round(self.size * LINE_HEIGHT, 2)

    @property
    def top(self) -> float:
        """Top of the address's first line box (inches), centring the block in ADDRESS_BOX."""
        middle = (ADDRESS_BOX.top + ADDRESS_BOX.bottom) / 2
        return round(middle - len(self.lines) * self.line_height / 72 / 2, 4)


def _fits(lines: Sequence[str], size: float) -> bool:
    room = ADDRESS_BOX.height - 2 * MARGIN
    return block_height(len(lines), size) <= room and all(
        text_width(line, size) <= ADDRESS_WIDTH for line in lines
    )


def fit_address(lines: Sequence[str], joined: Sequence[str] | None = None) -> AddressFit:
    """The largest type that keeps ``lines`` (or the shorter ``joined`` form) in the window.

    ``joined`` is the same address with the title and office on one line. At each size the
    full form is tried first, then the joined one. When nothing fits even at 8.5 pt, the
    result has ``fits=False`` (an address of more than six lines, or a line too long).
    """
    forms = [tuple(lines)]
    if joined is not None and tuple(joined) != forms[0]:
        forms.append(tuple(joined))
    for size in SIZES:
        for form in forms:
            if _fits(form, size):
                return AddressFit(form, size, True)
    return AddressFit(forms[-1], SIZES[-1], False)
