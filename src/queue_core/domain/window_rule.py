"""The calling window applied to a contact at an instant (ADR 0022).

A contact may be dialed at an instant only when the local clock of every one of its zones reads
a time inside the window: across zones that is the strictest window (the latest start and the
earliest end). `next_opening` is the earliest instant at or after now at which that holds.
Instants are unix seconds; zones are IANA names (`queue_core.domain.time_zones`).
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from queue_core.domain.calling_window import CallingWindow
from queue_core.domain.errors import InvalidContactRecord
from queue_core.domain.time_zones import next_change, offset_at, time_zone

__all__ = ["HORIZON_S", "allows", "next_opening", "zones_named"]

# How far `next_opening` looks: two years, so that every season of every zone's rules is seen
# twice. A window that does not open within it never opens.
HORIZON_S = 731 * 86_400
# How far one step of the search looks at a time: every listed day begins within 8 days.
_STEP_S = 8 * 86_400


def zones_named(names: Iterable[str]) -> tuple[ZoneInfo, ...]:
    """The zones of a contact, each once; raises `InvalidContactRecord` when there is none or
    one is not a zone the tz database knows: the caller gives the record `invalid_record`."""
    if isinstance(names, str):
        raise TypeError("zones are a collection of names, not one name")
    zones: dict[str, ZoneInfo] = {}
    for name in names:
        try:
            zones[name] = time_zone(name)
        except ValueError as exc:
            raise InvalidContactRecord(f"time zone: {exc}") from None
    if not zones:
        raise InvalidContactRecord("time zone: none is known for the number")
    return tuple(zones.values())


def allows(window: CallingWindow, zones: Iterable[str], now_utc: float) -> bool:
    """Whether the local clock of every zone reads a time inside `window` at `now_utc`.
    Raises `InvalidContactRecord` as `zones_named` does."""
    return all(_inside(window, zone, now_utc) for zone in zones_named(zones))


def next_opening(window: CallingWindow, zones: Iterable[str], now_utc: float) -> float | None:
    """The earliest instant at or after `now_utc` at which `allows` is true (`now_utc` itself
    when it is), or None when none comes within HORIZON_S: the zones' windows never meet.
    Raises `InvalidContactRecord` as `zones_named` does."""
    resolved = zones_named(zones)
    until = now_utc + HORIZON_S
    at = now_utc
    # Each zone's own next opening; the latest of them is a candidate for all. No instant
    # before it is allowed by that zone, so the search moves there until every zone agrees.
    while True:
        latest = at
        for zone in resolved:
            opening = _zone_opening(window, zone, at, until)
            if opening is None:
                return None
            latest = max(latest, opening)
        if latest == at:
            return at
        at = latest


def _inside(window: CallingWindow, zone: ZoneInfo, at: float) -> bool:
    return window.contains(at + offset_at(zone, at))


def _zone_opening(window: CallingWindow, zone: ZoneInfo, at: float, until: float) -> float | None:
    """The earliest instant in [at, until) at which the zone's clock reads a time inside the
    window, or None. Walks spans of one offset: within one the clock runs evenly, so it enters
    the window either where the span begins or where a listed day's window begins."""
    begins = at
    while begins < until:
        offset = offset_at(zone, begins)
        if window.contains(begins + offset):
            return begins
        last = min(until, begins + _STEP_S)
        change = next_change(zone, begins, last)
        ends = last if change is None else change
        entry = window.next_start(begins + offset)
        if entry < ends + offset:
            return float(entry - offset)
        begins = ends
    return None
