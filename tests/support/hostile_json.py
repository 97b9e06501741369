"""Hypothesis strategies for hostile webhook bodies: JSON nested deep, strings huge, and Unicode
that trips parsers and stores (lone surrogates, NUL, BOMs, non-characters, bidi overrides,
line separators, combining marks, astral characters). Used by the parsers' unit tests and by
the fuzzing of a real `serve` process, which must answer each with a clean 200/400, never 5xx.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "ODD_CHARACTERS",
    "deep_json",
    "hostile_scalars",
    "huge_strings",
    "lone_surrogate_json",
    "odd_text",
    "raw_values",
    "spliced_anywhere",
]

ODD_CHARACTERS = (
    "\x00",  # NUL
    "\x7f",
    "\ufeff",  # a byte order mark
    "\ufffe",  # non-characters
    "\uffff",
    "\U0010ffff",
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\u2028",  # line and paragraph separators (new lines to JavaScript)
    "\u2029",
    "e\u0301",  # a combining mark
    "\U0001f4de",  # an astral character (a surrogate pair in UTF-16)
    "\\",
    '"',
    "%00",
    "&=",
)

odd_text: st.SearchStrategy[str] = st.lists(
    st.sampled_from(ODD_CHARACTERS) | st.characters(), max_size=24
).map("".join)
"""Text mixing the odd characters with any others."""


def huge_strings(max_size: int) -> st.SearchStrategy[str]:
    """Strings from 1 KB up to `max_size` characters, of one repeated odd or plain piece."""
    piece = st.sampled_from(["x", "\u202e", "\U0001f4de", "\\", '"', "\x00"])
    return st.builds(
        lambda p, n: (p * n)[: max(n, 1)], piece, st.integers(1024, max(1024, max_size))
    )


def hostile_scalars(max_string: int = 4096) -> st.SearchStrategy[Any]:
    return (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats()
        | st.text(max_size=30)
        | odd_text
        | huge_strings(max_string)
    )


def deep_json(max_depth: int = 5000) -> st.SearchStrategy[str]:
    """JSON text nested `1..max_depth` arrays or objects deep (the deepest level a scalar)."""

    def nest(depth: int, objects: bool) -> str:
        if objects:
            return '{"a":' * depth + "1" + "}" * depth
        return "[" * depth + "1" + "]" * depth

    return st.builds(nest, st.integers(1, max_depth), st.booleans())


lone_surrogate_json: st.SearchStrategy[str] = st.sampled_from(
    ['"\\ud800"', '"\\udfff"', '"a\\ud83d"', '"\\ud83d\\ud83d"', '"\\udc00\\ud800"']
)
"""JSON strings that decode to lone surrogates (valid JSON; not encodable as UTF-8)."""


def raw_values(max_depth: int = 3000, max_string: int = 4096) -> st.SearchStrategy[str]:
    """JSON texts of hostile values: nested deep, a lone surrogate, odd or huge strings."""
    strings = (odd_text | huge_strings(max_string)).map(json.dumps)
    return deep_json(max_depth) | lone_surrogate_json | strings


def spliced_anywhere(document: Any, raw: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """`document` as JSON text with the value at one of its object paths (drawn) replaced by
    a drawn raw JSON text; the document itself when it has no object path."""
    found = _paths(document)
    if not found:
        return st.just(json.dumps(document))

    def splice(path: tuple[Any, ...], text: str) -> str:
        marker = "\x00splice\x00"
        copy = json.loads(json.dumps(document))
        parent = copy
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = marker
        return json.dumps(copy).replace(json.dumps(marker), text, 1)

    return st.builds(splice, st.sampled_from(found), raw)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value of an object, in a document of objects and arrays."""
    found = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += [(*prefix, key), *_paths(inner, (*prefix, key))]
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found
