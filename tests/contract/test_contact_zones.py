"""The `ContactZones` port, run against the fake and the phonenumbers adapter: what both answer
for a number of one place, of a region spanning zones, of no known region, and for text that is
not a number."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from queue_adapters.zones import PhonenumbersContactZones
from queue_core.ports import ContactZones
from tests.fakes import FakeContactZones


@pytest.fixture(params=["fake", "phonenumbers"])
def zones(request: pytest.FixtureRequest) -> ContactZones:
    if request.param == "fake":
        return FakeContactZones()
    return PhonenumbersContactZones()


@pytest.mark.parametrize(
    ("number", "zone"),
    [
        ("+12125550123", "America/New_York"),
        ("+13125550123", "America/Chicago"),
        ("+13035550123", "America/Denver"),
        ("+14155550100", "America/Los_Angeles"),
        ("+33142685300", "Europe/Paris"),
    ],
)
def test_a_number_of_one_place_has_that_places_zone(
    zones: ContactZones, number: str, zone: str
) -> None:
    assert zones.zones_of(number) == (zone,)


def test_a_toll_free_number_has_the_zones_of_its_whole_country_each_once(
    zones: ContactZones,
) -> None:
    found = zones.zones_of("+18005550199")
    assert {"America/New_York", "America/Los_Angeles", "Pacific/Guam"} <= set(found)
    assert len(set(found)) == len(found)


def test_alaska_spans_two_zones(zones: ContactZones) -> None:
    assert set(zones.zones_of("+19075550123")) == {"America/Adak", "America/Anchorage"}


@pytest.mark.parametrize("number", ["+999123456", "", "not a number", "+", "12125550123"])
def test_no_zone_is_told_for_what_no_region_has(zones: ContactZones, number: str) -> None:
    assert zones.zones_of(number) == ()


@pytest.mark.parametrize("number", ["+12125550123", "+18005550199", "+19075550123"])
def test_every_zone_told_is_one_the_tz_database_holds(zones: ContactZones, number: str) -> None:
    for name in zones.zones_of(number):
        ZoneInfo(name)
