"""The dialing rules at the moment of dialing (ADR 0027): whether a claimed record may be
dialed now, waits for its calling window, or is not dialed at all.

A pure function of the execution's rules, the record, the zones of its number, whether the
number is on one of the execution's do-not-call sets, and the instant. In order:

1. on a do-not-call set: not dialed, status `dnc` (final);
2. no calling window: dial now;
3. the record's `timezone`, else the zones of its number; none known: `invalid_record` naming
   why (final);
4. inside the strictest window of its zones: dial now; else wait until it next opens; a window
   that never opens for its zones (two years ahead): not dialed, `outside_window` (final).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from queue_core.domain.calling_window import CallingWindow
from queue_core.domain.contacts import ContactRecord
from queue_core.domain.disposition import DispositionStatus
from queue_core.domain.errors import InvalidContactRecord
from queue_core.domain.window_rule import allows, next_opening

__all__ = ["DialNow", "NotDialed", "Verdict", "WaitUntil", "verdict"]


@dataclass(frozen=True, slots=True)
class DialNow:
    """Launch the record now."""


@dataclass(frozen=True, slots=True)
class WaitUntil:
    """Outside its window: wait until `at` (unix seconds), when it next opens."""

    at: float


@dataclass(frozen=True, slots=True)
class NotDialed:
    """Never dialed in this execution: a final disposition with `status` and `reason`."""

    status: DispositionStatus
    reason: str


Verdict = DialNow | WaitUntil | NotDialed


def verdict(
    window: CallingWindow | None,
    record: ContactRecord,
    number_zones: Sequence[str],
    listed: bool,
    now: float,
) -> Verdict:
    """The rule of the module docstring. `number_zones`: the zones of the record's number
    (unused when the record names its own `timezone`); `listed`: the number is on one of the
    execution's do-not-call sets now."""
    if listed:
        return NotDialed(DispositionStatus.DNC, "on a do-not-call list")
    if window is None:
        return DialNow()
    zones = (record.timezone,) if record.timezone is not None else tuple(number_zones)
    try:
        if allows(window, zones, now):
            return DialNow()
        opens = next_opening(window, zones, now)
    except InvalidContactRecord as exc:
        return NotDialed(DispositionStatus.INVALID_RECORD, str(exc))
    if opens is None:
        return NotDialed(
            DispositionStatus.OUTSIDE_WINDOW, "the calling window never opens for its zones"
        )
    return WaitUntil(opens)
