"""TaskRouter's Event Streams events -> task facts (ADR 0025): both payload shapes, the sample,
and what is counted and ignored (never a rejected batch, never a 500). Voice events' finer
instant too: the clocks the 2-second rule subtracts."""

from __future__ import annotations

import copy
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_adapters.twilio._wire import finer_seconds
from queue_adapters.twilio.events import (
    _parse_event_by_event,
    _parse_in_one_pass,
    parse_event_batch,
)
from queue_core.domain.disposition import parse_iso_utc
from queue_core.domain.errors import InvalidWebhook
from queue_core.domain.facts import ReservationAccepted, TaskCanceled, TaskCreated
from tests.support.hostile_json import hostile_scalars, raw_values

SAMPLE = Path(__file__).with_name("test_twilio_taskrouter_events.json")
PREFIX = "com.twilio.taskrouter."
WT, CA = "WT" + "1" * 32, "CA" + "2" * 32
AT = "2026-12-06T15:04:05.123Z"


def task_event(kind: str, nested: bool, event_id: str = "NO1", **fields: Any) -> dict[str, Any]:
    """A TaskRouter CloudEvent, its fields under `data.payload` or directly under `data`."""
    body = {"task_sid": WT, "task_attributes": json.dumps({"call_sid": CA}), "timestamp": AT}
    body.update(fields)
    data = {"name": kind, "timestamp": AT, "payload": body} if nested else body
    return {
        "specversion": "1.0",
        "type": PREFIX + kind,
        "source": "AB1",
        "id": event_id,
        "time": AT,
        "data": data,
    }


def parsed(*events: dict[str, Any]) -> tuple[list[Any], Counter[str]]:
    body = json.dumps(list(events)).encode()
    batch = parse_event_batch(body)
    assert _parse_event_by_event(body) == batch  # both readings agree
    assert _parse_in_one_pass(body) in (batch, None)
    return batch.facts, batch.ignored


def test_the_sample_gives_one_fact_of_each_shape() -> None:
    batch = parse_event_batch(SAMPLE.read_bytes())
    assert batch.facts == [
        ReservationAccepted(
            "NO00000000000000000000000000000001",
            "WT00000000000000000000000000000001",
            "CA00000000000000000000000000000001",
            "WK00000000000000000000000000000001",
            at=parse_iso_utc("2026-12-06T15:04:05.123Z"),
        ),
        TaskCanceled(
            "NO00000000000000000000000000000002",
            "WT00000000000000000000000000000002",
            "CA00000000000000000000000000000002",
            "hangup",
            at=parse_iso_utc("2026-12-06T15:04:09.876Z"),
        ),
    ]
    assert not batch.unknown_types
    assert not batch.ignored


@pytest.mark.parametrize("nested", [True, False], ids=["data.payload", "data"])
def test_both_payload_shapes_give_the_same_facts(nested: bool) -> None:
    facts, ignored = parsed(
        task_event("task.created", nested, "NO1"),
        task_event("reservation.accepted", nested, "NO2", worker_sid="WK9"),
        task_event("task.canceled", nested, "NO3", task_canceled_reason="hangup"),
    )
    at = parse_iso_utc(AT)
    assert facts == [
        TaskCreated("NO1", WT, CA, at=at),
        ReservationAccepted("NO2", WT, CA, "WK9", at=at),
        TaskCanceled("NO3", WT, CA, "hangup", at=at),
    ]
    assert not ignored


def test_call_sid_or_callsid_and_the_accept_time_to_the_millisecond() -> None:
    attributes = json.dumps({"callSid": CA, "caller": "+14155550100"})
    later = "2026-12-06T15:04:07.001Z"
    facts, _ = parsed(
        task_event("reservation.accepted", True, task_attributes=attributes, timestamp=later)
    )
    assert [(f.call_sid, f.at) for f in facts] == [(CA, parse_iso_utc(later))]
    assert facts[0].at % 1 == pytest.approx(0.001, abs=1e-6)


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"task_attributes": "{not json"}, "bad_attributes"),
        ({"task_attributes": "[1, 2]"}, "bad_attributes"),
        ({"task_attributes": "[" * 100 + "]" * 100}, "bad_attributes"),
        ({"task_attributes": json.dumps({"n": "x" * 70_000})}, "bad_attributes"),
        ({"task_attributes": json.dumps({"caller": "+1"})}, "no_call_sid"),
        ({"task_attributes": json.dumps({"call_sid": "CA123"})}, "no_call_sid"),
        ({"task_attributes": json.dumps({"call_sid": 7})}, "no_call_sid"),
        ({"task_attributes": None}, "bad_attributes"),
        ({"task_sid": ""}, "no_task_sid"),
        ({"task_sid": None}, "no_task_sid"),
        ({"task_sid": "WT\u202e" + "1" * 31}, "no_task_sid"),
    ],
)
@pytest.mark.parametrize("nested", [True, False])
def test_events_missing_what_is_needed_are_counted_and_ignored(
    fields: dict[str, Any], why: str, nested: bool
) -> None:
    event = task_event("task.created", nested, **fields)
    voice_like = {**task_event("reservation.accepted", nested, "NO2")}
    facts, ignored = parsed(event, voice_like)
    assert [type(f) for f in facts] == [ReservationAccepted]  # the rest of the batch counts
    assert ignored == Counter({f"{PREFIX}task.created:{why}": 1})


def test_a_missing_or_odd_data_is_counted_and_a_completed_task_is_read_and_ignored() -> None:
    no_data = task_event("task.canceled", False)
    del no_data["data"]
    odd = {**task_event("task.created", False), "data": ["payload"]}
    completed = task_event("task.completed", True)
    facts, ignored = parsed(no_data, odd, completed)
    assert facts == []
    assert ignored == Counter(
        {
            f"{PREFIX}task.canceled:malformed": 1,
            f"{PREFIX}task.created:malformed": 1,
            f"{PREFIX}task.completed:unused": 1,
        }
    )


def test_a_broken_envelope_is_the_batchs_fault_as_for_every_event() -> None:
    event = task_event("task.created", True)
    del event["id"]
    with pytest.raises(InvalidWebhook, match="event 0: field 'id' is required"):
        parse_event_batch(json.dumps([event]).encode())


# Attributes as hostile JSON text (deep, lone surrogates, huge) or any hostile value that JSON
# can carry (an infinite float would make the whole body something else than JSON).
payload_values = raw_values(max_depth=500, max_string=80_000) | hostile_scalars(80_000).filter(
    lambda value: not isinstance(value, float) or math.isfinite(value)
)


@given(
    st.sampled_from(["task.created", "task.canceled", "reservation.accepted", "task.completed"]),
    st.booleans(),
    st.dictionaries(
        st.sampled_from(["task_sid", "task_attributes", "timestamp", "worker_sid", "payload"]),
        payload_values,
        max_size=5,
    ),
)
def test_any_payload_is_a_fact_or_counted_never_an_error(
    kind: str, nested: bool, fields: dict[str, Any]
) -> None:
    event = task_event(kind, nested, **fields)
    body = json.dumps([copy.deepcopy(event)]).encode()
    batch = parse_event_batch(body)
    assert len(batch.facts) + sum(batch.ignored.values()) == 1
    assert _parse_event_by_event(body) == batch


def test_a_voice_instant_takes_the_milliseconds_that_agree_with_its_timestamp() -> None:
    stamp = "Sun, 06 Dec 2026 15:04:05 +0000"
    same_second = "2026-12-06T15:04:05.123Z"
    assert finer_seconds(stamp, "", same_second) == parse_iso_utc(same_second)
    assert finer_seconds(stamp, same_second, "x") == parse_iso_utc(same_second)
    # A CloudEvent time in another second is another clock's: the Timestamp stands.
    assert finer_seconds(stamp, "2026-12-06T15:04:06.010Z") == parse_iso_utc("2026-12-06T15:04:05Z")
    assert finer_seconds("", "", same_second) == parse_iso_utc(same_second)
    assert finer_seconds("", "") is None
