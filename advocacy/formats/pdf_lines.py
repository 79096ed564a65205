"""Lines of text laid out once for many letters: a cache in front of WeasyPrint's line breaker.

Letters to one city's officials share most of their text: the sender block, the date, whole
paragraphs, the source list, the closing. WeasyPrint breaks every line of every letter with
Pango (``split_first_line``: shaping the text, finding where the line ends, measuring it),
about a tenth of a letter's CPU time. For the same text, in the same font, style and width,
the answer is the same, so it is kept: in a packet, about 3 lines in 4 are found here.

What is kept is what ``split_first_line`` returns: the line's length, where the next line
starts, its width, height and baseline, and a Pango layout that WeasyPrint has already let
go of its Pango objects (``Layout.deactivate``): it holds the line's text and is set up
again from the text box's own style when the line is drawn. Each caller gets its own copy.

The key is the text, the width and every style property ``split_first_line`` and the
``Layout`` it builds read (:data:`PROPERTIES`). It relies on WeasyPrint's internals, so it is
used only with the WeasyPrint it was written for (:func:`install`), only while a
:class:`~advocacy.formats.pdf.Renderer` lays letters out (:func:`active`), and the tests
check that letters come out byte for byte the same with and without it.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
from collections.abc import Callable, Iterator
from typing import Any

#: The style properties WeasyPrint 70's ``split_first_line`` reads, directly or through
#: ``Layout`` (``setup``, ``set_text``, ``set_tabs``), ``get_font_description``,
#: ``font_features``, ``first_line_metrics`` and ``line_size``.
PROPERTIES = (
    "font_family", "font_style", "font_stretch", "font_weight", "font_size",
    "font_variant_ligatures", "font_variant_position", "font_variant_caps",
    "font_variant_numeric", "font_variant_alternates", "font_variant_east_asian",
    "font_feature_settings", "font_variation_settings", "font_language_override",
    "font_kerning", "lang", "direction", "white_space", "text_decoration_line",
    "word_spacing", "letter_spacing", "overflow_wrap", "word_break", "tab_size", "hyphens",
    "hyphenate_character", "hyphenate_limit_chars", "hyphenate_limit_zone", "line_height",
)  # fmt: skip
#: The WeasyPrint this was written for, and ``split_first_line``'s parameters there.
WEASYPRINT = "70.0"
PARAMETERS = (
    "text", "style", "context", "max_width", "justification_spacing", "is_line_start",
    "minimum",
)  # fmt: skip
#: Lines kept at most; then the cache starts again (a packet's letters come city by city).
LIMIT = 4000

_cache: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_active = False
_original: Callable[..., tuple[Any, ...]] | None = None


def _split_first_line(
    text: str,
    style: Any,
    context: Any,
    max_width: float | None,
    justification_spacing: float,
    is_line_start: bool = True,
    minimum: bool = False,
) -> tuple[Any, ...]:
    assert _original is not None
    if not _active:
        return _original(
            text, style, context, max_width, justification_spacing, is_line_start, minimum
        )
    key = (
        text, max_width, justification_spacing, is_line_start, minimum,
        style.font_config, *(repr(style[name]) for name in PROPERTIES),
    )  # fmt: skip
    found = _cache.get(key)
    if found is None:
        if len(_cache) >= LIMIT:
            _cache.clear()
        found = _original(
            text, style, context, max_width, justification_spacing, is_line_start, minimum
        )
        _cache[key] = found
    layout, *rest = found
    return (copy.copy(layout), *rest)


def install() -> bool:
    """Put the cache in front of WeasyPrint's line breaker, if this is the WeasyPrint it
    was written for; whether it is there. Until :func:`active`, it only passes calls on."""
    global _original
    if _original is not None:
        return True
    try:
        import weasyprint
        import weasyprint.layout.inline as inline
        import weasyprint.layout.preferred as preferred
        from weasyprint.text import line_break
    except ImportError:  # pragma: no cover - another WeasyPrint
        return False
    original = line_break.split_first_line
    if (
        weasyprint.__version__ != WEASYPRINT
        or tuple(inspect.signature(original).parameters) != PARAMETERS
        or inline.split_first_line is not original
        or preferred.split_first_line is not original
        or not hasattr(line_break.Layout, "deactivate")
    ):
        return False
    _original = original
    inline.split_first_line = _split_first_line  # type: ignore[attr-defined]
    preferred.split_first_line = _split_first_line  # type: ignore[attr-defined]
    return True


@contextlib.contextmanager
def active(enabled: bool = True) -> Iterator[None]:
    """Inside the block, lines come from the cache (when :func:`install` put it in place)."""
    global _active
    before = _active
    _active = enabled and _original is not None
    try:
        yield
    finally:
        _active = before
