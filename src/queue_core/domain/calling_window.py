"""The calling window: the local hours and days at which a contact may be dialed (ADR 0022).

A window is `[start, end)` of local clock time on each listed day. A window whose end is earlier
than its start crosses midnight and belongs to the day it starts on: `{"start": "21:00",
"end": "02:00", "days": ["fri"]}` is Friday 21:00 to Saturday 02:00, and not Friday 00:00-02:00.
An instant is judged by what the local clock reads then: in a spring-forward gap the clock skips
the missing times, and in a fall-back overlap a repeated time is judged the same both times.
`allows` and `next_opening` (in `queue_core.domain.window_rule`) apply it to a contact's zones.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from queue_core.domain.bounds import shown
from queue_core.domain.errors import InvalidCampaignExecution

__all__ = ["DAY_NAMES", "CallingWindow"]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ALL_DAYS = frozenset(range(7))
_DAY_S = 86_400
_MINUTE_S = 60
# 00:00 to 23:59; an end may also be 24:00, the end of the day.
_TIME = re.compile(r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$")
_END_OF_DAY = "24:00"
# 1970-01-01, day 0 of unix time, was a Thursday (Monday = 0).
_WEEKDAY_OF_DAY_0 = 3


@dataclass(frozen=True, slots=True)
class CallingWindow:
    """Local clock times `[start_minute, end_minute)` (minutes after midnight) on `days`
    (Monday = 0). `end_minute` may be 1440 (24:00); an end before the start crosses midnight
    into the next day."""

    start_minute: int
    end_minute: int
    days: frozenset[int] = field(default=_ALL_DAYS)

    def __post_init__(self) -> None:
        if not (0 <= self.start_minute < 1440 and 0 <= self.end_minute <= 1440):
            raise ValueError("a window's start is 0 to 1439 minutes, its end 0 to 1440")
        if self.start_minute == self.end_minute:
            raise ValueError("a window's start and end must differ")
        if not self.days or not self.days <= _ALL_DAYS:
            raise ValueError("a window's days are one or more of 0 (Monday) to 6 (Sunday)")

    @property
    def crosses_midnight(self) -> bool:
        return self.end_minute < self.start_minute

    @classmethod
    def from_document(cls, doc: object, *, where: str) -> CallingWindow:
        """Validate the document's `calling_window` object; raise `InvalidCampaignExecution`
        naming `where` and the field (`calling_window.start`, ...)."""
        if not isinstance(doc, Mapping):
            raise InvalidCampaignExecution(f"{where}: field 'calling_window' must be an object")
        start = _minute(doc, "start", where, end=False)
        end = _minute(doc, "end", where, end=True)
        if start == end:
            raise InvalidCampaignExecution(
                f"{where}: field 'calling_window.end' must differ from 'calling_window.start', "
                f"both are {doc['start']!r}"
            )
        return cls(start, end, _days(doc.get("days"), where))

    def to_document(self) -> dict[str, Any]:
        return {
            "start": _clock(self.start_minute),
            "end": _clock(self.end_minute),
            "days": [DAY_NAMES[day] for day in sorted(self.days)],
        }

    def contains(self, wall: float) -> bool:
        """Whether a local clock reading is inside the window. `wall` is the reading as seconds
        since 1970-01-01 00:00 on that clock (unix seconds plus the zone's offset)."""
        day, second = divmod(wall, _DAY_S)
        weekday = (int(day) + _WEEKDAY_OF_DAY_0) % 7
        start, end = self.start_minute * _MINUTE_S, self.end_minute * _MINUTE_S
        if not self.crosses_midnight:
            return weekday in self.days and start <= second < end
        if weekday in self.days and second >= start:
            return True
        return (weekday - 1) % 7 in self.days and second < end

    def next_start(self, wall: float) -> int:
        """The first local clock reading at or after `wall` at which one of the window's days
        begins its window (the same seconds as `contains`)."""
        day = math.floor(wall / _DAY_S)
        while True:
            begins = day * _DAY_S + self.start_minute * _MINUTE_S
            if (day + _WEEKDAY_OF_DAY_0) % 7 in self.days and begins >= wall:
                return begins
            day += 1


def _minute(doc: Mapping[str, Any], name: str, where: str, *, end: bool) -> int:
    value = doc.get(name)
    if end and value == _END_OF_DAY:
        return 1440
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        latest = "24:00" if end else "23:59"
        raise InvalidCampaignExecution(
            f"{where}: field 'calling_window.{name}' must be a local time HH:MM from 00:00 "
            f"to {latest}, got {shown(value)}"
        )
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _days(value: object, where: str) -> frozenset[int]:
    if value is None:
        return _ALL_DAYS
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise InvalidCampaignExecution(
            f"{where}: field 'calling_window.days' must be a list of one or more of "
            f"{', '.join(DAY_NAMES)}"
        )
    days = set()
    for name in value:
        if name not in DAY_NAMES:
            raise InvalidCampaignExecution(
                f"{where}: field 'calling_window.days' has {shown(name)}, not a day "
                f"({', '.join(DAY_NAMES)})"
            )
        days.add(DAY_NAMES.index(name))
    return frozenset(days)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
