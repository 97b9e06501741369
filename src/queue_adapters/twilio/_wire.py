"""Shared pieces of the webhook models: field types, error messages, timestamps.

Twilio sends voice parameters as strings ("57"), so number fields accept digit strings as well
as ints; optional text fields accept null and numbers.
"""

from __future__ import annotations

import email.utils
import functools
import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, ValidationError

__all__ = [
    "OptionalInt",
    "Required",
    "Text",
    "WireModel",
    "describe",
    "finer_seconds",
    "unix_seconds",
]

_DIGITS = re.compile(r"^[0-9]{1,18}$")


def _optional_int(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError("must be a non-negative integer")


def _optional_text(value: object) -> object:
    if type(value) is str:  # the usual case first: this runs for most fields of every event
        return value
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Required = Annotated[str, StringConstraints(min_length=1, max_length=256)]
# The length limit sits inside the before-validator so that pydantic-core checks it natively
# (placed after it, it would run as a Python function); either way it applies after the
# conversion.
Text = Annotated[str, StringConstraints(max_length=1024), BeforeValidator(_optional_text)]
OptionalInt = Annotated[int | None, BeforeValidator(_optional_int)]


class WireModel(BaseModel):
    """Only the modelled fields are read; others are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def describe(error: ValidationError) -> str:
    """The first problem of a validation error as "field 'a.b.c' <what is wrong>"."""
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "(body)"
    kind = first["type"]
    if kind == "missing":
        return f"field '{where}' is required"
    if kind == "string_type":
        return f"field '{where}' must be a string"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"field '{where}' must be an object"
    if kind == "string_too_short":
        return f"field '{where}' must not be empty"
    if kind == "string_too_long":
        return f"field '{where}' is too long"
    if kind == "string_pattern_mismatch":
        return f"field '{where}' is malformed"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"field '{where}' {message}" if kind == "value_error" else f"field '{where}': {message}"


def unix_seconds(*candidates: str) -> float | None:
    """The first candidate that parses as ISO 8601 or RFC 2822, as unix seconds (naive = UTC)."""
    for text in candidates:
        moment = _parse(text.strip()) if text else None
        if moment is not None:
            return moment
    return None


def finer_seconds(stamp: str, *finer: str) -> float | None:
    """A voice event's instant: its `Timestamp` (whole seconds), or the first of `finer` (the
    event's `data.timestamp`, then its CloudEvent `time`, with milliseconds) that falls within
    the second `Timestamp` names: the same instant, to the millisecond (ADR 0025). Without a
    `Timestamp`, the first of `finer` that parses."""
    whole = unix_seconds(stamp)
    if whole is None:
        return unix_seconds(*finer)
    for text in finer:
        moment = unix_seconds(text)
        if moment is not None and whole <= moment < whole + 1:
            return moment
    return whole


@functools.lru_cache(maxsize=1024)
def _parse(text: str) -> float | None:
    """Cached: the events of one batch mostly carry the same few timestamps."""
    quick = _twilio_rfc2822(text)
    return quick if quick is not None else _parse_any(text)


# Twilio's voice `Timestamp`, e.g. "Sat, 28 Nov 2026 10:01:05 +0000" (or GMT). The email
# parser reads the same instant from it, but slowly, and only after `fromisoformat` has failed.
_RFC2822_UTC = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{1,2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([1-9][0-9]{3}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) (?:\+0000|GMT)"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _twilio_rfc2822(text: str) -> float | None:
    """Unix seconds of a date in exactly Twilio's RFC 2822 form, else None (the general parser
    then decides, also for an impossible date such as 31 Feb)."""
    match = _RFC2822_UTC.fullmatch(text)
    if match is None:
        return None
    day, month, year, hour, minute, second = match.groups()
    try:
        moment = datetime(
            int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except ValueError:
        return None
    return moment.timestamp()


def _parse_any(text: str) -> float | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.timestamp()
    except (OverflowError, ValueError, OSError):
        return None
