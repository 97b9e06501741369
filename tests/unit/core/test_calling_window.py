"""The calling window (ADR 0022): what a valid `calling_window` is, and the rule at the moments
where it is easy to get wrong: across midnight, in the gaps and overlaps of daylight saving
time, and across the zones of one number."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from queue_core.domain.calling_window import CallingWindow
from queue_core.domain.errors import InvalidCampaignExecution, InvalidContactRecord
from queue_core.domain.window_rule import allows, next_opening

KEY = "campaign_execution:ce-42"
NEW_YORK, PARIS = "America/New_York", "Europe/Paris"
WEEKDAYS = frozenset(range(5))


def at(zone: str, *when: int, fold: int = 0) -> float:
    """The instant at which `zone`'s clock reads `when` (year, month, day, hour, minute)."""
    return datetime(*when, tzinfo=ZoneInfo(zone), fold=fold).timestamp()


def utc(*when: int) -> float:
    return datetime(*when, tzinfo=UTC).timestamp()


def window(start: str, end: str, *days: str) -> CallingWindow:
    doc: dict[str, object] = {"start": start, "end": end}
    if days:
        doc["days"] = list(days)
    return CallingWindow.from_document(doc, where=KEY)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"start": "8:00", "end": "21:00"}, "calling_window.start"),
        ({"start": "24:00", "end": "21:00"}, "calling_window.start"),
        ({"start": "08:60", "end": "21:00"}, "calling_window.start"),
        ({"start": 800, "end": "21:00"}, "calling_window.start"),
        ({"end": "21:00"}, "calling_window.start"),
        ({"start": "08:00", "end": "21:00:00"}, "calling_window.end"),
        ({"start": "08:00", "end": "24:01"}, "calling_window.end"),
        ({"start": "08:00", "end": None}, "calling_window.end"),
        ({"start": "08:00", "end": "08:00"}, "calling_window.end"),
        ({"start": "00:00", "end": "00:00"}, "calling_window.end"),
        ({"start": "08:00", "end": "21:00", "days": ["mon", "funday"]}, "calling_window.days"),
        ({"start": "08:00", "end": "21:00", "days": ["Mon"]}, "calling_window.days"),
        ({"start": "08:00", "end": "21:00", "days": []}, "calling_window.days"),
        ({"start": "08:00", "end": "21:00", "days": "mon"}, "calling_window.days"),
        ({"start": "08:00", "end": "21:00", "days": [["mon"]]}, "calling_window.days"),
        ("08:00-21:00", "calling_window"),
    ],
)
def test_an_invalid_window_fails_naming_its_field(doc: object, field: str) -> None:
    with pytest.raises(InvalidCampaignExecution, match=f"^{KEY}: field '{field}'"):
        CallingWindow.from_document(doc, where=KEY)


def test_a_window_reads_back_as_it_was_written() -> None:
    doc = {"start": "21:30", "end": "02:00", "days": ["sun", "fri", "fri"]}
    read = CallingWindow.from_document(doc, where=KEY)
    assert (read.start_minute, read.end_minute, read.days) == (21 * 60 + 30, 120, {4, 6})
    assert read.crosses_midnight
    assert read.to_document() == {"start": "21:30", "end": "02:00", "days": ["fri", "sun"]}
    assert CallingWindow.from_document(read.to_document(), where=KEY) == read


def test_without_days_a_window_holds_every_day_and_may_end_at_midnight() -> None:
    whole_day = window("00:00", "24:00")
    assert whole_day.days == frozenset(range(7))
    assert not whole_day.crosses_midnight
    for hour in range(24):
        assert allows(whole_day, [PARIS], at(PARIS, 2027, 6, 1, hour, 59))


@pytest.mark.parametrize(
    "fields", [(-1, 60), (0, 1441), (60, 60), (0, 60, frozenset()), (0, 60, frozenset({7}))]
)
def test_a_window_built_in_code_is_checked_too(fields: tuple[object, ...]) -> None:
    with pytest.raises(ValueError, match="window"):
        CallingWindow(*fields)


# ---------------------------------------------------------------- the rule in one zone


def test_start_is_inside_and_end_is_outside() -> None:
    rule = window("08:00", "21:00", "mon", "tue", "wed", "thu", "fri")
    monday = (2027, 6, 7)
    assert not allows(rule, [NEW_YORK], at(NEW_YORK, *monday, 7, 59) + 59.999)
    assert allows(rule, [NEW_YORK], at(NEW_YORK, *monday, 8, 0))
    assert allows(rule, [NEW_YORK], at(NEW_YORK, *monday, 20, 59) + 59.999)
    assert not allows(rule, [NEW_YORK], at(NEW_YORK, *monday, 21, 0))
    assert not allows(rule, [NEW_YORK], at(NEW_YORK, 2027, 6, 12, 12, 0))  # a Saturday


def test_a_window_across_midnight_belongs_to_the_day_it_starts() -> None:
    friday_night = window("21:00", "02:00", "fri")
    assert allows(friday_night, [PARIS], at(PARIS, 2027, 6, 11, 21, 0))  # Friday
    assert allows(friday_night, [PARIS], at(PARIS, 2027, 6, 12, 1, 59))  # Saturday morning
    assert not allows(friday_night, [PARIS], at(PARIS, 2027, 6, 12, 2, 0))
    assert not allows(friday_night, [PARIS], at(PARIS, 2027, 6, 11, 1, 0))  # Friday morning
    assert not allows(friday_night, [PARIS], at(PARIS, 2027, 6, 12, 21, 0))  # Saturday night
    thursday_noon = at(PARIS, 2027, 6, 10, 12, 0)
    assert next_opening(friday_night, [PARIS], thursday_noon) == at(PARIS, 2027, 6, 11, 21, 0)


def test_next_opening_is_now_when_the_window_is_open() -> None:
    rule = window("08:00", "21:00")
    now = at(NEW_YORK, 2027, 6, 7, 9, 0) + 0.123_456
    assert next_opening(rule, [NEW_YORK], now) == now


def test_a_window_starting_in_the_spring_forward_gap_opens_when_the_clock_jumps_past_it() -> None:
    # 2027-03-14 in New York: 02:00 EST is followed by 03:00 EDT, 07:00 UTC.
    rule = window("02:30", "21:00")
    opening = next_opening(rule, [NEW_YORK], at(NEW_YORK, 2027, 3, 14, 0, 0))
    assert opening == utc(2027, 3, 14, 7, 0)
    assert not allows(rule, [NEW_YORK], utc(2027, 3, 14, 6, 59, 59) + 0.999)


def test_a_window_inside_the_spring_forward_gap_does_not_open_that_day() -> None:
    rule = window("02:00", "02:30")
    opening = next_opening(rule, [NEW_YORK], at(NEW_YORK, 2027, 3, 14, 0, 0))
    assert opening == at(NEW_YORK, 2027, 3, 15, 2, 0)


def test_a_repeated_time_of_the_fall_back_overlap_is_judged_the_same_both_times() -> None:
    # 2027-11-07 in New York: 01:00-02:00 is read twice, EDT then EST.
    rule = window("01:30", "03:00")
    first, second = at(NEW_YORK, 2027, 11, 7, 1, 45), at(NEW_YORK, 2027, 11, 7, 1, 45, fold=1)
    assert second - first == 3600
    assert allows(rule, [NEW_YORK], first)
    assert allows(rule, [NEW_YORK], second)
    between = at(NEW_YORK, 2027, 11, 7, 1, 15, fold=1)  # the clock went back below 01:30
    assert not allows(rule, [NEW_YORK], between)
    assert next_opening(rule, [NEW_YORK], between) == at(NEW_YORK, 2027, 11, 7, 1, 30, fold=1)


def test_a_window_ending_in_the_overlap_opens_again_when_the_clock_goes_back() -> None:
    # Saturday 08:00 to Sunday 01:30: at 01:30 EDT it closes; at 02:00 EDT the clock reads
    # 01:00 EST, inside again until 01:30 EST.
    rule = window("08:00", "01:30", "sat")
    closed = at(NEW_YORK, 2027, 11, 7, 1, 40)
    assert not allows(rule, [NEW_YORK], closed)
    assert next_opening(rule, [NEW_YORK], closed) == utc(2027, 11, 7, 6, 0)
    assert not allows(rule, [NEW_YORK], utc(2027, 11, 7, 6, 30))


# ---------------------------------------------------------------- several zones


def test_across_zones_the_latest_start_and_the_earliest_end_hold() -> None:
    rule = window("08:00", "21:00")
    zones = [NEW_YORK, "America/Los_Angeles"]
    # 08:00 in Los Angeles is 11:00 in New York; 21:00 in New York is 18:00 in Los Angeles.
    assert not allows(rule, zones, at(NEW_YORK, 2027, 6, 7, 10, 59))
    assert allows(rule, zones, at(NEW_YORK, 2027, 6, 7, 11, 0))
    assert allows(rule, zones, at(NEW_YORK, 2027, 6, 7, 20, 59))
    assert not allows(rule, zones, at(NEW_YORK, 2027, 6, 7, 21, 0))
    early = at(NEW_YORK, 2027, 6, 7, 6, 0)
    assert next_opening(rule, zones, early) == at(NEW_YORK, 2027, 6, 7, 11, 0)


def test_zones_whose_windows_never_meet_never_open() -> None:
    # Monday 08:00-21:00 at UTC+14 is Sunday 18:00 to Monday 07:00 UTC; at UTC-12 it is
    # Monday 20:00 to Tuesday 09:00 UTC.
    rule = window("08:00", "21:00", "mon")
    zones = ["Pacific/Kiritimati", "Etc/GMT+12"]
    assert next_opening(rule, zones, utc(2027, 6, 7, 0, 0)) is None
    assert next_opening(rule, ["Pacific/Kiritimati"], utc(2027, 6, 7, 0, 0)) is not None


def test_a_toll_free_number_waits_for_every_zone_of_its_country() -> None:
    # Guam (UTC+10) and Pago Pago (UTC-11): Tuesday 08:00 in Guam is Monday 11:00 in Pago Pago.
    rule = window("08:00", "21:00", "mon", "tue", "wed", "thu", "fri")
    zones = ["Pacific/Guam", "Pacific/Pago_Pago", NEW_YORK]
    opening = next_opening(rule, zones, utc(2027, 6, 6, 12, 0))  # a Sunday
    assert opening == at("Pacific/Guam", 2027, 6, 8, 8, 0)
    assert opening is not None
    assert allows(rule, zones, opening)


@pytest.mark.parametrize("zones", [[], ["Mars/Base"], ["localtime"], ["America/New_York", "x"]])
def test_no_zone_or_an_unknown_one_is_an_invalid_record(zones: list[str]) -> None:
    rule = window("08:00", "21:00")
    with pytest.raises(InvalidContactRecord, match=r"^time zone: "):
        allows(rule, zones, 0.0)
    with pytest.raises(InvalidContactRecord, match=r"^time zone: "):
        next_opening(rule, zones, 0.0)


def test_one_name_is_not_taken_for_a_list_of_zones() -> None:
    with pytest.raises(TypeError):
        allows(window("08:00", "21:00"), NEW_YORK, 0.0)
