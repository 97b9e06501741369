"""The callstatus token: issued for one launch, and counted only while that launch is live."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.facts import CallStatusReport, StudioExecutionEvent
from queue_core.domain.tokens import CallstatusTokens
from queue_core.services.token_lifetime import launch_in_flight
from queue_core.services.tracker import ContactTracker
from tests.fakes import (
    FakeActiveCallRegistry,
    FakeAssemblyStore,
    FakeClock,
    FakeContactCache,
    InMemoryBackend,
)

TOKENS = CallstatusTokens(b"secret")
CE = "ce-1"
FLOW = "FW" + "1" * 32
SID = "FN" + "3" * 32
TO, FROM = "+14155550100", "+15005550006"


def test_a_token_names_its_launch_and_verifies_for_its_execution_and_record_only() -> None:
    token = TOKENS.issue(CE, "r-1", "42")

    assert token.startswith("42.")
    assert TOKENS.launch_of(token) == "42"
    assert TOKENS.verify(CE, "r-1", token)
    assert not TOKENS.verify(CE, "r-2", token)
    assert not TOKENS.verify("ce-2", "r-1", token)
    assert not CallstatusTokens(b"other").verify(CE, "r-1", token)


def test_a_token_moved_to_another_launch_does_not_verify() -> None:
    mac = TOKENS.issue(CE, "r-1", "42").split(".", 1)[1]

    assert not TOKENS.verify(CE, "r-1", f"43.{mac}")


@pytest.mark.parametrize("token", ["", "42", ".abc", "4 2.abc", "00" * 32, "42." + "0" * 64])
def test_malformed_or_made_up_tokens_do_not_verify(token: str) -> None:
    assert not TOKENS.verify(CE, "r-1", token)


def test_the_fields_are_length_prefixed_so_no_two_triples_share_a_token() -> None:
    assert TOKENS.issue("a", "b:1", "2") != TOKENS.issue("a:b", "1", "2")


@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=80))
def test_any_token_text_is_refused_without_raising(execution: str, record: str, token: str) -> None:
    assert TOKENS.verify(execution, record, token) in (False, True)
    assert not TOKENS.verify(execution, record, token) or token == TOKENS.issue(
        execution, record, TOKENS.launch_of(token)
    )


def test_a_launch_name_that_could_not_be_read_back_is_refused() -> None:
    with pytest.raises(ValueError, match="launch"):
        TOKENS.issue(CE, "r-1", "4.2")


async def reserved() -> tuple[FakeContactCache, FakeActiveCallRegistry, ContactTracker, ContactRef]:
    backend, clock = InMemoryBackend(), FakeClock()
    cache, calls = FakeContactCache(backend), FakeActiveCallRegistry(backend)
    tracker = ContactTracker(calls, FakeAssemblyStore(backend), cache, clock)
    backend.push_records(CE, [json.dumps({"record_id": "r-1", "phone_number": TO})])
    [claimed] = await cache.claim(CE, "me", 1, clock.now())
    ref = ContactRef(CE, claimed.claim_id)
    assert await calls.reserve(ref, TO, FROM, clock.now())
    return cache, calls, tracker, ref


def report(execution_sid: str = SID, record_id: str = "r-1") -> CallStatusReport:
    return CallStatusReport(execution_sid, CE, record_id, call_status="failed")


async def test_a_report_counts_from_the_launchs_reservation_until_its_contact_settles() -> None:
    _, calls, tracker, ref = await reserved()
    launch = ref.claim_id

    assert await launch_in_flight(calls, report(), launch)  # under way: the SID is not known
    attempt = ContactAttempt(ref, "r-1", TO, FROM, FLOW, SID, 0.0, False)
    await calls.record_launch(attempt)
    assert await launch_in_flight(calls, report(), launch)

    ended = StudioExecutionEvent("EZ1", True, SID, FLOW, TO, "ended")
    settled = await tracker.record([report(), ended])
    assert len(settled.settled) == 1
    assert not await launch_in_flight(calls, report(), launch)


async def test_a_report_of_another_launch_record_or_execution_does_not_count() -> None:
    _, calls, _, ref = await reserved()
    await calls.record_launch(ContactAttempt(ref, "r-1", TO, FROM, FLOW, SID, 0.0, False))

    assert not await launch_in_flight(calls, report(), str(int(ref.claim_id) + 1))
    assert not await launch_in_flight(calls, report(), "")
    assert not await launch_in_flight(calls, report(execution_sid="FN" + "4" * 32), ref.claim_id)
    assert not await launch_in_flight(calls, report(record_id="r-2"), ref.claim_id)
