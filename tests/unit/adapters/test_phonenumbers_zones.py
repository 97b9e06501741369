"""What libphonenumber's data gives the window rule: one zone for a number of one place, every
zone of the region for a mobile or toll-free number, and nothing for a prefix no region has."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from queue_adapters.zones import PhonenumbersContactZones
from queue_core.domain.calling_window import CallingWindow
from queue_core.domain.window_rule import allows, next_opening

ZONES = PhonenumbersContactZones()
WEEKDAYS_8_TO_21 = CallingWindow(8 * 60, 21 * 60, frozenset(range(5)))


@pytest.mark.parametrize(
    ("number", "zone"),
    [
        ("+12125550123", "America/New_York"),
        ("+13125550123", "America/Chicago"),
        ("+16025550123", "America/Phoenix"),
        ("+14155550100", "America/Los_Angeles"),
        ("+18085550123", "Pacific/Honolulu"),
        ("+14165550123", "America/Toronto"),
        ("+16045550123", "America/Vancouver"),
        ("+74951234567", "Europe/Moscow"),
    ],
)
def test_a_number_of_one_place_has_one_zone(number: str, zone: str) -> None:
    assert ZONES.zones_of(number) == (zone,)


def test_a_us_toll_free_number_has_every_zone_of_the_north_american_plan() -> None:
    found = ZONES.zones_of("+18885550100")
    assert len(found) > 30
    assert {"America/St_Johns", "America/Halifax", "Pacific/Honolulu"} <= set(found)
    assert {"Pacific/Guam", "Pacific/Pago_Pago"} <= set(found)  # UTC+10 and UTC-11


def test_a_russian_mobile_number_spans_eleven_hours_of_zones() -> None:
    found = set(ZONES.zones_of("+79161234567"))
    assert {"Europe/Moscow", "Asia/Yekaterinburg", "Asia/Vladivostok", "Asia/Kamchatka"} <= found


def test_a_uk_mobile_number_has_london_and_the_crown_dependencies() -> None:
    assert set(ZONES.zones_of("+447911123456")) == {
        "Europe/London",
        "Europe/Guernsey",
        "Europe/Isle_of_Man",
        "Europe/Jersey",
    }


@pytest.mark.parametrize("number", ["+19995550123", "+999123456", "+1", "", "+1212555012345678"])
def test_a_number_of_no_known_region_has_no_zone(number: str) -> None:
    assert ZONES.zones_of(number) == ()


def test_the_strictest_window_of_a_russian_mobile_number_still_opens() -> None:
    # In June the zones given run from UTC+3 (Moscow, Bucharest) to UTC+12 (Kamchatka,
    # Anadyr): the latest start is 08:00 at UTC+3, 05:00 UTC; the earliest end 21:00 at
    # UTC+12, 09:00 UTC. Four hours a day remain.
    zones = ZONES.zones_of("+79161234567")
    monday = datetime(2027, 6, 7, tzinfo=UTC).timestamp()
    assert next_opening(WEEKDAYS_8_TO_21, zones, monday) == monday + 5 * 3600
    assert allows(WEEKDAYS_8_TO_21, zones, monday + 9 * 3600 - 1)
    assert not allows(WEEKDAYS_8_TO_21, zones, monday + 9 * 3600)
