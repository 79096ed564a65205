"""The C array types WeasyPrint asks cffi for when it subsets a font, made without parsing.

Subsetting a font, WeasyPrint 70 allocates ``ffi.new(f"hb_codepoint_t[{n}]", ...)`` with
``n`` the number of glyphs the letter uses, or the highest glyph number plus one: a new type
name for almost every letter at first. cffi parses each new name with pycparser, together
with every declaration WeasyPrint made: about 20 ms each, 27 times in 192 letters (3 ms a
letter, 4 %). :func:`install` gives cffi's table of parsed types a ``__missing__`` that makes
these array types straight from the element type (the very same ctype object cffi's parser
would return: checked when it is installed); any other name is parsed as before.
"""

from __future__ import annotations

import re
from typing import Any

_ARRAY = re.compile(r"hb_codepoint_t\[(\d+)\]")


class _ParsedTypes(dict[Any, Any]):
    """cffi's ``FFI._parsed_types``: name -> (ctype, is a function type)."""

    def __init__(self, ffi: Any, items: dict[Any, Any]):
        super().__init__(items)
        self.backend = ffi._backend
        self.pointer = self.backend.new_pointer_type(ffi.typeof("hb_codepoint_t"))

    def __missing__(self, key: Any) -> Any:
        match = _ARRAY.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            raise KeyError(key)
        found = self[key] = (self.backend.new_array_type(self.pointer, int(match[1])), False)
        return found


def install() -> bool:
    """Make ``hb_codepoint_t[N]`` without parsing in WeasyPrint's ffi; whether it is done."""
    try:
        from weasyprint.text.ffi import ffi
    except ImportError:  # pragma: no cover - another WeasyPrint
        return False
    table = getattr(ffi, "_parsed_types", None)
    if isinstance(table, _ParsedTypes):
        return True
    if type(table) is not dict or not hasattr(ffi, "_backend"):
        return False
    try:
        made = _ParsedTypes(ffi, table)
        if made.backend.new_array_type(made.pointer, 3) is not ffi.typeof("hb_codepoint_t[3]"):
            return False  # not the type cffi's parser makes: leave cffi as it is
    except Exception:  # noqa: BLE001 - another cffi
        return False
    ffi._parsed_types = made
    return True
