"""Properties of the calling window rule (ADR 0022), checked against an oracle written from the
definition with `datetime` alone: the local clock of every zone reads a time inside a window
period, a period being `[start, start + length)` from a listed day's start, where a window
across midnight runs into the next day.

Instants are drawn around the daylight saving changes of the US (second Sunday of March, first
Sunday of November), the EU (last Sundays of March and October) and the south (Chatham and
Lord Howe: first Sunday of April, last Sunday of September, first Sunday of October), around
the window's own edges, and anywhere in 2020-2045; zones run from UTC-12 to UTC+14.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from queue_core.domain.calling_window import CallingWindow
from queue_core.domain.window_rule import allows, next_opening

ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/St_Johns",
    "America/Santiago",
    "Pacific/Honolulu",
    "Europe/London",
    "Europe/Paris",
    "Europe/Moscow",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "Etc/GMT+12",
    "UTC",
]
QUARTER_HOUR = 900
DENSE_DAYS = 16


def oracle(rule: CallingWindow, zone: str, at: float) -> bool:
    """Whether `zone`'s clock reads a time inside one of the rule's window periods at `at`."""
    local = datetime.fromtimestamp(at, ZoneInfo(zone)).replace(tzinfo=None, fold=0)
    length = timedelta(minutes=(rule.end_minute - rule.start_minute) % 1440 or 1440)
    for day in (local.date(), local.date() - timedelta(days=1)):
        begins = datetime.combine(day, time()) + timedelta(minutes=rule.start_minute)
        if day.weekday() in rule.days and begins <= local < begins + length:
            return True
    return False


def oracle_allows(rule: CallingWindow, zones: Sequence[str], at: float) -> bool:
    return all(oracle(rule, zone, at) for zone in zones)


def sunday(year: int, month: int, nth: int) -> date:
    """The `nth` Sunday of the month (1, 2, ...), or the last one for -1."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 6) % 7)


CHANGE_DAYS = [(3, 2), (11, 1), (3, -1), (10, -1), (4, 1), (9, -1), (10, 1)]

minutes = st.sampled_from([0, 30, 60, 90, 120, 150, 165, 180, 480, 1260, 1439]) | st.integers(
    0, 1439
)


@st.composite
def rules(draw: st.DrawFn) -> CallingWindow:
    start = draw(minutes)
    end = draw((minutes | st.just(1440)).filter(lambda end: end != start))
    return CallingWindow(start, end, draw(st.frozensets(st.integers(0, 6), min_size=1)))


zone_lists = st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True)
micros = st.sampled_from([0, 1, 500_000, 999_999]) | st.integers(0, 999_999)


@st.composite
def instants(draw: st.DrawFn, rule: CallingWindow, zones: Sequence[str]) -> float:
    """An instant near a change of clocks, near one of the window's edges, or anywhere."""
    kind = draw(st.sampled_from(["change", "edge", "any"]))
    if kind == "any":
        start = int(datetime(2020, 1, 1, tzinfo=UTC).timestamp())
        return draw(st.integers(start, start + 25 * 365 * 86_400)) + draw(micros) / 1e6
    month, nth = draw(st.sampled_from(CHANGE_DAYS))
    day = sunday(draw(st.integers(2024, 2040)), month, nth) + timedelta(draw(st.integers(-2, 2)))
    if kind == "change":
        midnight = datetime.combine(day, time(), UTC).timestamp()
        return midnight + draw(st.integers(-86_400, 2 * 86_400)) + draw(micros) / 1e6
    minute = draw(st.sampled_from([rule.start_minute, rule.end_minute % 1440]))
    clock = time(minute // 60, minute % 60, fold=draw(st.integers(0, 1)))
    edge = datetime.combine(day, clock, ZoneInfo(draw(st.sampled_from(zones)))).timestamp()
    return edge + draw(st.integers(-3, 3)) + draw(st.sampled_from([0.0, 0.001, 0.999]))


def samples(rule: CallingWindow, zones: Sequence[str], low: float, high: float) -> Iterator[float]:
    """Instants in [low, high): every quarter hour of UTC (where the clocks of every zone here
    change) and a millisecond before it, each zone's window edges on either side of a change
    and a second and a millisecond before them, and the instants just before `high`."""
    dense_end = min(high, low + DENSE_DAYS * 86_400)
    quarter = math.ceil(low / QUARTER_HOUR) * QUARTER_HOUR
    while quarter < dense_end:
        yield from (quarter - 0.001, quarter)
        quarter += QUARTER_HOUR
    for zone in zones:
        first = datetime.fromtimestamp(low, ZoneInfo(zone)).date() - timedelta(days=1)
        for days in range((int(dense_end - low) // 86_400) + 3):
            yield from edges(rule, ZoneInfo(zone), first + timedelta(days=days))
    yield from (high - 1, high - 0.001, low)


def edges(rule: CallingWindow, zone: ZoneInfo, day: date) -> Iterator[float]:
    for minute in (rule.start_minute, rule.end_minute % 1440):
        for fold in (0, 1):
            local = datetime.combine(day, time(minute // 60, minute % 60, fold=fold), zone)
            edge = local.timestamp()
            yield from (edge - 1, edge - 0.001, edge)


@settings(max_examples=400)
@given(data=st.data(), rule=rules(), zones=zone_lists)
def test_allows_exactly_when_every_zones_clock_reads_inside_the_window(
    data: st.DataObject, rule: CallingWindow, zones: list[str]
) -> None:
    now = data.draw(instants(rule, zones))
    assert allows(rule, zones, now) == oracle_allows(rule, zones, now)


@settings(max_examples=150)
@given(data=st.data(), rule=rules(), zones=zone_lists)
@example(
    data=None,
    rule=CallingWindow(150, 1260),
    zones=["America/New_York"],
).via("a start in the spring-forward gap")
def test_next_opening_is_the_earliest_instant_the_rule_allows(
    data: st.DataObject | None, rule: CallingWindow, zones: list[str]
) -> None:
    now = 1_805_007_600.0 if data is None else data.draw(instants(rule, zones))  # 2027-03-14
    opening = next_opening(rule, zones, now)
    if oracle_allows(rule, zones, now):
        assert opening == now
    if opening is None:
        closed = samples(rule, zones, now, now + 8 * 86_400)
        assert not any(oracle_allows(rule, zones, at) for at in closed)
        return
    assert opening >= now
    assert oracle_allows(rule, zones, opening)
    assert next_opening(rule, zones, opening) == opening
    early = [at for at in samples(rule, zones, now, opening) if now <= at < opening]
    assert not [at for at in early if oracle_allows(rule, zones, at)]
