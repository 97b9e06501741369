"""The verdict at the moment of dialing (ADR 0027), as a property over windows, zones and
instants drawn as the calling window's own properties draw them: a record is dialed only when
its window allows, waits exactly until the window next opens, and is never dialed when listed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain.calling_window import CallingWindow
from queue_core.domain.contacts import ContactRecord
from queue_core.domain.dial_rules import DialNow, NotDialed, WaitUntil, verdict
from queue_core.domain.disposition import DispositionStatus
from tests.unit.core.test_calling_window_properties import (
    instants,
    oracle_allows,
    rules,
    zone_lists,
)

RECORD = ContactRecord("r-1", "+14155550100")


@settings(max_examples=300)
@given(data=st.data(), rule=rules(), zones=zone_lists, listed=st.booleans())
def test_a_record_is_dialed_only_inside_its_window_and_never_when_listed(
    data: st.DataObject, rule: CallingWindow, zones: list[str], listed: bool
) -> None:
    now = data.draw(instants(rule, zones))

    found = verdict(rule, RECORD, zones, listed, now)

    if listed:
        assert found == NotDialed(DispositionStatus.DNC, "on a do-not-call list")
    elif oracle_allows(rule, zones, now):
        assert found == DialNow()
    elif isinstance(found, WaitUntil):
        assert found.at > now
        assert oracle_allows(rule, zones, found.at)
        assert verdict(rule, RECORD, zones, listed, found.at) == DialNow()
    else:
        assert found == NotDialed(
            DispositionStatus.OUTSIDE_WINDOW, "the calling window never opens for its zones"
        )


@given(zones=zone_lists, now=st.floats(1.6e9, 2.3e9))
def test_the_record_s_own_zone_overrides_its_number_s(zones: list[str], now: float) -> None:
    tokyo = ContactRecord("r-1", "+14155550100", timezone="Asia/Tokyo")
    rule = CallingWindow(9 * 60, 17 * 60)

    assert verdict(rule, tokyo, zones, False, now) == verdict(rule, tokyo, [], False, now)
    assert verdict(None, RECORD, zones, False, now) == DialNow()


def test_a_number_with_no_zone_is_an_invalid_record_while_a_window_is_set() -> None:
    found = verdict(CallingWindow(480, 1260), RECORD, [], False, 1.8e9)

    assert isinstance(found, NotDialed)
    assert found.status is DispositionStatus.INVALID_RECORD
    assert "time zone" in found.reason
