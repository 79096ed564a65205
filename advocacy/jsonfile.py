"""JSON files for people and programs: one record a line, encoded by json's C encoder.

``json.dumps(..., indent=2)`` runs json's pure-Python encoder and, for a manifest of 25,000
letters, builds a list of millions of small strings before joining them (the largest
allocation of a supporters packet). Here each top-level value, and each item of a top-level
list or object, is encoded on a line of its own by the C encoder: the file stays readable and
diffable a record a line, and is the same JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

#: ``json.dumps(value, ensure_ascii=False)``, without building an encoder for every call
#: (``dumps`` does that for any option but the defaults): 15 % less time a record.
compact = json.JSONEncoder(ensure_ascii=False).encode
_compact = compact


def _entries(
    document: dict[str, Any], later: Callable[[], dict[str, Any]] | None
) -> Iterator[tuple[str, Any]]:
    yield from document.items()
    if later is not None:
        yield from later().items()


def _pieces(
    document: dict[str, Any], later: Callable[[], dict[str, Any]] | None = None
) -> Iterator[str | bytes]:
    """The text of :func:`dumps_lines` piece by piece; an item that is ``bytes`` is JSON
    encoded already (UTF-8, e.g. a packet state's entry, encoded once for its journal line:
    json itself cannot encode bytes) and is given as it is. The keys ``later()`` returns
    follow the document's, asked for once those are encoded."""
    yield "{\n"
    first = True
    for key, value in _entries(document, later):
        if not first:
            yield ",\n"
        first = False
        name = _compact(str(key))
        if isinstance(value, list) and value:
            yield f" {name}: [\n  "
            for index, item in enumerate(value):
                if index:
                    yield ",\n  "
                yield item if type(item) is bytes else _compact(item)
            yield "\n ]"
        elif isinstance(value, dict) and value:
            yield f" {name}: {{\n  "
            for index, (item_key, item) in enumerate(value.items()):
                prefix = (",\n  " if index else "") + _compact(str(item_key)) + ": "
                if type(item) is bytes:
                    yield prefix
                    yield item
                else:
                    yield prefix + _compact(item)
            yield "\n }"
        else:
            yield f" {name}: {_compact(value)}"
    yield "\n}\n"


def iter_lines(document: dict[str, Any]) -> Iterator[str]:
    """The text of :func:`dumps_lines`, piece by piece: a key a line, and a line for each
    item of a list or object value (its items encoded compactly)."""
    for piece in _pieces(document):
        yield piece.decode("utf-8") if isinstance(piece, bytes) else piece


def dumps_lines(document: dict[str, Any]) -> str:
    """``document`` as JSON text: a key a line, and a line for each item of a list or object
    value (its items encoded compactly); ends with a newline."""
    return "".join(iter_lines(document))


def encoded_lines(
    document: dict[str, Any],
    size: int = 1 << 16,
    later: Callable[[], dict[str, Any]] | None = None,
) -> Iterator[bytes]:
    """:func:`dumps_lines` as UTF-8, in chunks of about ``size`` bytes.

    ``later``, if given, is called once every key of ``document`` is encoded: the keys of
    the object it returns end the document (a packet's state ends with what is known last).

    Written chunk by chunk, a 25,000-letter manifest never exists whole in memory: joined
    first, its text took two or four bytes a character (a name in Cyrillic or Devanagari
    makes Python store the whole text that way), then its bytes again.
    """
    pending: list[bytes] = []
    length = 0
    for piece in _pieces(document, later):
        data = piece if isinstance(piece, bytes) else piece.encode("utf-8")
        pending.append(data)
        length += len(data)
        if length >= size:
            yield b"".join(pending)
            pending, length = [], 0
    if pending:
        yield b"".join(pending)
