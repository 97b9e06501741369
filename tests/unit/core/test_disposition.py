"""The `call_dispositions` entry (schema_version 2), the queue event's abandonment counts, and
the abandonment rule's days (ADR 0025)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_core.domain.abandonment import (
    AbandonmentCounts,
    bucket_expires_at,
    is_abandoned,
    utc_day,
    window_days,
)
from queue_core.domain.disposition import Disposition, DispositionStatus, parse_iso_utc
from queue_core.domain.errors import ContractViolation
from queue_core.domain.queue_events import QueueEvent, QueueEventType

T0 = parse_iso_utc("2026-12-06T15:04:00.000Z")
BASE = Disposition(
    "ce-1", "r-1", DispositionStatus.COMPLETED, "+14155550100", "+15005550006", T0, T0 + 60
)

milliseconds = st.integers(0, 10**7).map(lambda n: n / 1000)


@given(
    st.builds(
        Disposition,
        campaign_execution_id=st.just("ce-1"),
        record_id=st.just("r-1"),
        status=st.sampled_from(DispositionStatus),
        to=st.just("+14155550100"),
        from_=st.just("+15005550006"),
        launched_at=st.just(T0),
        ended_at=st.just(T0 + 60),
        attempt=st.integers(1, 10),
        final=st.booleans(),
        retry_at=st.none() | st.just(T0 + 600),
        campaign_id=st.sampled_from(["", "c-7"]),
        human_answered=st.booleans(),
        agent_connected_s=st.none() | milliseconds,
        abandoned=st.booleans(),
        task_sid=st.sampled_from(["", "WT" + "a" * 32]),
    )
)
def test_a_disposition_round_trips_through_its_entry(disposition: Disposition) -> None:
    fields = disposition.to_fields()
    assert fields["schema_version"] == "2"
    assert Disposition.from_fields(fields) == disposition


def test_the_version_2_fields_as_the_contract_writes_them() -> None:
    fields = BASE.to_fields()
    assert {k: fields[k] for k in ("attempt", "final", "retry_at", "campaign_id")} == {
        "attempt": "1",
        "final": "true",
        "retry_at": "",
        "campaign_id": "",
    }
    assert {k: fields[k] for k in ("human_answered", "agent_connected_s", "abandoned")} == {
        "human_answered": "false",
        "agent_connected_s": "",
        "abandoned": "false",
    }
    assert fields["task_sid"] == ""


def test_a_version_1_entry_reads_with_the_later_fields_defaults() -> None:
    old = {k: v for k, v in BASE.to_fields().items() if k in _VERSION_1}
    old["schema_version"] = "1"
    assert Disposition.from_fields(old) == BASE


@pytest.mark.parametrize(
    ("field", "value"),
    [("schema_version", "3"), ("final", "yes"), ("human_answered", "1"), ("attempt", "x")],
)
def test_an_entry_of_another_schema_or_with_a_bad_field_is_refused(field: str, value: str) -> None:
    with pytest.raises(ContractViolation, match="entry 9-0"):
        Disposition.from_fields({**BASE.to_fields(), field: value}, entry_id="9-0")


_VERSION_1 = {
    "schema_version", "campaign_execution_id", "record_id", "execution_sid", "call_sid", "to",
    "from", "status", "answered_by", "duration_s", "sip_response_code", "error_code",
    "error_message", "launched_at", "ended_at",
}  # fmt: skip


def test_queue_events_carry_the_abandonment_counts() -> None:
    event = QueueEvent(QueueEventType.STARTED, "ce-1", T0, human_answered=64, abandoned=2)
    fields = event.to_fields()
    assert (fields["human_answered"], fields["abandoned"]) == ("64", "2")
    assert fields["abandon_rate"] == "0.0312"
    assert "campaign_abandon_rate_30d" not in fields
    with_campaign = QueueEvent(QueueEventType.STARTED, "ce-1", T0, campaign_abandon_rate_30d=0.0125)
    assert with_campaign.to_fields()["campaign_abandon_rate_30d"] == "0.0125"
    assert with_campaign.to_fields()["abandon_rate"] == "0.0000"
    assert QueueEvent.from_fields(with_campaign.to_fields()) == with_campaign
    assert QueueEvent.from_fields(fields) == event


def test_the_rule_and_its_rate() -> None:
    assert is_abandoned(False, None) is False
    assert is_abandoned(True, None) is True
    assert is_abandoned(True, 2.0) is False
    assert is_abandoned(True, 2.001) is True
    assert AbandonmentCounts().rate == 0.0
    assert (AbandonmentCounts(3, 1) + AbandonmentCounts(1, 0)).rate == 0.25


def test_the_30_days_are_the_day_of_now_and_the_29_before() -> None:
    now = parse_iso_utc("2026-12-06T00:00:00.000Z")
    days = window_days(now)
    assert (days[0], days[-1], len(days)) == ("2026-12-06", "2026-11-07", 30)
    assert utc_day(now - 0.001) == "2026-12-05"
    expires = datetime.fromtimestamp(bucket_expires_at("2026-11-07"), UTC)
    assert expires.isoformat() == "2026-12-08T00:00:00+00:00"  # read last on 12-06: a day more
