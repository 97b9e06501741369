"""IANA time zones: which names are zones, the offset of a zone at an instant, and where it changes.

The rules come from the standard library's `zoneinfo` (the host's tz database, else the `tzdata`
package). Instants are unix seconds. Every tz database transition falls on a whole second, so a
whole second always has the offset of the instants up to the next whole second.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queue_core.domain.bounds import shown

__all__ = ["MAX_ZONE_NAME_LENGTH", "next_change", "offset_at", "time_zone"]

MAX_ZONE_NAME_LENGTH = 64
_DAY_S = 86_400
# `Area/Location` or `Area/Region/Location`, and single names such as `UTC` or `EST5EDT`.
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}$")
# Files of the tz database that are no zone: the host's own setting, and "zone unknown".
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def time_zone(name: object) -> ZoneInfo:
    """The zone of an IANA name (`America/Chicago`); raises `ValueError` saying why not, for a
    name that is not a string, is longer than MAX_ZONE_NAME_LENGTH, is not shaped as a zone name
    or that the tz database does not hold. Reads the database once per name."""
    if not isinstance(name, str):
        raise ValueError(f"a time zone name must be a string, got {type(name).__name__}")
    if len(name) > MAX_ZONE_NAME_LENGTH or not _ZONE_NAME.fullmatch(name) or name in _NOT_ZONES:
        raise ValueError(f"{shown(name, MAX_ZONE_NAME_LENGTH)} is not an IANA time zone name")
    return _load(name)


@functools.lru_cache(maxsize=1024)
def _load(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{name!r} is not a time zone the tz database knows") from None


def offset_at(zone: ZoneInfo, at: float) -> int:
    """Seconds east of UTC that the zone's clocks show at the instant `at`."""
    offset = datetime.fromtimestamp(at, zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has an offset
    return int(offset.total_seconds())


def next_change(zone: ZoneInfo, after: float, until: float) -> int | None:
    """The first whole second in (`after`, `until`] at which the zone's offset is no longer the
    one it has at `after`, or None when it keeps it up to `until`.

    Looked for a day at a time, then by halving: two changes within one day that bring the
    offset back are not seen (the tz database's rules for the years ahead have none)."""
    offset = offset_at(zone, after)
    low = math.floor(after)  # same offset as `after`: changes fall on whole seconds
    last = math.floor(until)
    while low < last:
        high = min(low + _DAY_S, last)
        if offset_at(zone, high) != offset:
            return _first_change(zone, low, high, offset)
        low = high
    return None


def _first_change(zone: ZoneInfo, low: int, high: int, offset: int) -> int:
    """A whole second in (low, high] where the offset changes from `offset`: `low` has it,
    `high` does not."""
    while high - low > 1:
        middle = (low + high) // 2
        if offset_at(zone, middle) == offset:
            low = middle
        else:
            high = middle
    return high
