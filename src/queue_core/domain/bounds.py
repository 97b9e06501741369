"""Values from other services, kept within stated bounds: JSON is read only when it is small
and shallow enough, and text is echoed back cut to a stated length (ADR 0012).

`json.loads` recurses once per level of nesting: some 2,000 levels (4 KB of brackets) raise
`RecursionError`, which no `except ValueError` catches. `load_json` checks the length and the
depth of the raw text first, without recursing, and raises `ContractViolation` for anything it
will not read, so that each parser turns a bad value into that value's own outcome.

The limits, in characters of the text as read (one character is one to four bytes of UTF-8):

    campaign_execution:{id} document     MAX_DOCUMENT_CHARS   65,536
    campaign_cache:{id} record           MAX_RECORD_CHARS     262,144
      its `attributes`, as compact JSON  MAX_ATTRIBUTES_BYTES 16,384 bytes of UTF-8
    task_queue_stats value               MAX_STATS_CHARS      65,536
    a TaskRouter task's `task_attributes` MAX_TASK_ATTRIBUTES_CHARS 65,536
    any of them, levels of nesting       MAX_JSON_DEPTH       32
    echoed text (`reason`, `error`,      MAX_ECHO_CHARS       512
      `error_message`)
    echoed ids (`request_id`)            MAX_ID_ECHO_CHARS    128
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import NoReturn

from queue_core.domain.errors import ContractViolation

__all__ = [
    "MAX_ATTRIBUTES_BYTES",
    "MAX_DOCUMENT_CHARS",
    "MAX_ECHO_CHARS",
    "MAX_ID_ECHO_CHARS",
    "MAX_JSON_DEPTH",
    "MAX_RECORD_CHARS",
    "MAX_STATS_CHARS",
    "MAX_TASK_ATTRIBUTES_CHARS",
    "cut",
    "load_json",
    "shown",
]

MAX_JSON_DEPTH = 32
MAX_DOCUMENT_CHARS = 65_536
MAX_RECORD_CHARS = 262_144
MAX_ATTRIBUTES_BYTES = 16_384
MAX_STATS_CHARS = 65_536
MAX_TASK_ATTRIBUTES_CHARS = 65_536
MAX_ECHO_CHARS = 512
MAX_ID_ECHO_CHARS = 128

# A JSON string, or one left open at the end of the text: json.loads reads strings the same
# way (the first quote opens one, the first unescaped quote closes it), and never recurses
# inside one. Linear: each character is taken by one branch only.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_CUT_MARK = "…"


def load_json(raw: str | bytes, *, max_chars: int, max_depth: int = MAX_JSON_DEPTH) -> object:
    """The value `raw` holds, read by `json.loads` only after its length (characters, or
    bytes when given bytes) and its nesting are found within bounds.

    Raises `ContractViolation`, with a message of at most a line that says why, and nothing
    else: the text is longer than `max_chars`, nests deeper than `max_depth`, or is not JSON
    (`NaN` and `Infinity` included: they are not JSON)."""
    if len(raw) > max_chars:
        raise ContractViolation(f"the value is {len(raw)} long, more than {max_chars}")
    text = _text(raw)
    if not _within_depth(text, max_depth):
        raise ContractViolation(f"the value nests deeper than {max_depth} levels")
    try:
        return json.loads(text, parse_constant=_not_json)
    except ValueError as exc:  # JSONDecodeError, and integers of too many digits
        raise ContractViolation(f"the value is not JSON: {cut(str(exc), 120)}") from None


def _text(raw: str | bytes) -> str:
    if isinstance(raw, str):
        return raw
    try:  # what json.loads does with bytes
        return raw.decode(json.detect_encoding(raw), "surrogatepass")
    except ValueError:
        raise ContractViolation("the value is not text in a JSON encoding") from None


def _within_depth(text: str, max_depth: int) -> bool:
    """True when json.loads would recurse at most `max_depth` levels into `text`: at no point
    are more brackets (outside strings) open than that. Brackets that do not match only make
    the count higher than json.loads' depth, which stops at the first one that breaks it."""
    skeleton = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return not skeleton or max(accumulate(map(_STEP.__getitem__, skeleton))) <= max_depth


def _not_json(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not a JSON value")


def cut(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """`text` when it is at most `limit` characters, else its first `limit - 1` and `…`."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + _CUT_MARK


def shown(value: object, limit: int = 64) -> str:
    """A value as an error message shows it: its `repr`, cut to `limit` characters."""
    try:
        return cut(repr(value), limit)
    except ValueError:  # an int of more digits than Python converts to text
        return f"<{type(value).__name__}>"
