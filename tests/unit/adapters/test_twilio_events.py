"""Event Streams bodies -> facts: the sample batch, every contract type, and properties over
generated batches (valid, truncated, mistyped, huge, nested deep, odd Unicode, unknown, random
bytes). The properties
also check that the one-pass reading of a batch agrees with the event-by-event reading."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_adapters.twilio._taskrouter import TASK_TYPES
from queue_adapters.twilio.events import (
    MAX_BODY_DEPTH,
    ParsedBatch,
    _parse_event_by_event,
    _parse_in_one_pass,
    parse_event_batch,
)
from queue_core.domain.errors import InvalidWebhook
from queue_core.domain.facts import (
    AmdEvent,
    StudioExecutionEvent,
    StudioStepEvent,
    VoiceCallEvent,
    VoiceEventKind,
)
from tests.support.hostile_json import huge_strings, odd_text, raw_values, spliced_anywhere

SAMPLE = Path(__file__).with_name("test_twilio_eventstreams_batch.json")
FLOW = "FW0123456789abcdef0123456789abcdef"
EXECUTION = "FN0123456789abcdef0123456789abcdef"
CALL = "CA0123456789abcdef0123456789abcdef"
VOICE = "com.twilio.voice.status-callback.call."
AMD = "com.twilio.voice.status-callback.amd.detected"
STARTED = "com.twilio.studio.flow.execution.started"
ENDED = "com.twilio.studio.flow.execution.ended"
STEP = "com.twilio.studio.flow.step.ended"


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def envelope(kind: str, event_id: str, data: Any, time: str | None = None) -> dict[str, Any]:
    event = {"specversion": "1.0", "type": kind, "source": "/x", "id": event_id, "data": data}
    if time is not None:
        event["time"] = time
    return event


def voice(kind: str = "completed", event_id: str = "EZ1", **params: Any) -> dict[str, Any]:
    parameters = {"CallSid": CALL, "CallStatus": kind, "To": "+14155550100", "From": "+15005550006"}
    parameters.update(params)
    return envelope(VOICE + kind, event_id, {"request": {"parameters": parameters}})


def test_the_sample_batch_gives_the_expected_facts() -> None:
    batch = parse_event_batch(SAMPLE.read_bytes())
    assert batch.unknown_types == Counter()
    assert batch.facts == [
        StudioExecutionEvent(
            event_id="EZ00000000000000000000000000000001",
            ended=False,
            execution_sid=EXECUTION,
            flow_sid=FLOW,
            contact_channel_address="+14155550100",
            status="active",
            at=at("2026-11-28T10:00:00"),
        ),
        VoiceCallEvent(
            event_id="EZ00000000000000000000000000000002",
            kind=VoiceEventKind.COMPLETED,
            call_sid=CALL,
            call_status="completed",
            to="+14155550100",
            from_="+15005550006",
            sequence_number=3,
            duration_s=57,
            answered_by="human",
            at=at("2026-11-28T10:01:05"),
        ),
        StudioExecutionEvent(
            event_id="EZ00000000000000000000000000000003",
            ended=True,
            execution_sid=EXECUTION,
            flow_sid=FLOW,
            contact_channel_address="+14155550100",
            status="ended",
            ended_reason="FLOW_END",
            at=at("2026-11-28T10:01:06"),
        ),
    ]


def test_a_single_object_is_a_batch_of_one_and_an_empty_array_is_empty() -> None:
    one = parse_event_batch(json.dumps(voice("ringing")).encode())
    assert [type(f) for f in one.facts] == [VoiceCallEvent]
    assert parse_event_batch(b"[]") == ParsedBatch()


def test_voice_fields_accept_numbers_as_strings_or_ints_and_fall_back_on_time() -> None:
    event = voice(
        "answered", CallDuration=12, SequenceNumber="1", SipResponseCode=200, AnsweredBy=None
    )
    event["time"] = "2026-11-28T10:00:30Z"
    (fact,) = parse_event_batch(json.dumps([event]).encode()).facts
    assert fact == VoiceCallEvent(
        event_id="EZ1",
        kind=VoiceEventKind.ANSWERED,
        call_sid=CALL,
        call_status="answered",
        to="+14155550100",
        from_="+15005550006",
        sequence_number=1,
        duration_s=12,
        sip_response_code="200",
        at=at("2026-11-28T10:00:30"),
    )


def test_amd_and_step_events_become_their_facts() -> None:
    amd = envelope(
        AMD,
        "EZ2",
        {
            "timestamp": "2026-11-28T10:00:10.500Z",
            "request": {
                "parameters": {
                    "CallSid": CALL,
                    "To": "+14155550100",
                    "From": "+15005550006",
                    "AnsweredBy": "machine_end_beep",
                }
            },
        },
    )
    context = {"widgets": {"call_user": {"CallSid": CALL, "CallStatus": "completed"}}}
    step = envelope(
        STEP,
        "EZ3",
        {
            "execution_sid": EXECUTION,
            "flow_sid": FLOW,
            "step_sid": "FT" + "0" * 32,
            "name": "completed",
            "transitioned_from": "call_user",
            "transitioned_to": "report",
            "context": json.dumps(context),
            "date_created": "2026-11-28T10:01:00Z",
        },
    )
    facts = parse_event_batch(json.dumps([amd, step]).encode()).facts
    assert facts == [
        AmdEvent("EZ2", CALL, "+14155550100", "+15005550006", "machine_end_beep", 1795860010.5),
        StudioStepEvent(
            event_id="EZ3",
            execution_sid=EXECUTION,
            flow_sid=FLOW,
            name="completed",
            transitioned_from="call_user",
            transitioned_to="report",
            context=context,
            at=at("2026-11-28T10:01:00"),
        ),
    ]


def test_a_step_without_context_has_an_empty_one() -> None:
    step = envelope(STEP, "EZ4", {"execution_sid": EXECUTION, "flow_sid": FLOW, "name": "x"})
    (fact,) = parse_event_batch(json.dumps([step]).encode()).facts
    assert isinstance(fact, StudioStepEvent)
    assert fact.context == {}
    assert fact.at is None


@pytest.mark.parametrize("encoded", [False, True], ids=["object", "JSON text"])
def test_a_step_context_nested_too_deep_to_store_is_dropped(encoded: bool) -> None:
    deep = '{"a":' * 240 + "1" + "}" * 240
    data = {"execution_sid": EXECUTION, "flow_sid": FLOW, "name": "x", "context": "@"}
    raw = json.dumps([envelope(STEP, "EZ5", data)]).encode()
    raw = raw.replace(b'"@"', json.dumps(deep).encode() if encoded else deep.encode())
    (fact,) = parse_event_batch(raw).facts
    assert isinstance(fact, StudioStepEvent)
    assert fact.context == {}


def test_a_body_nested_deeper_than_its_bound_is_refused_before_it_is_parsed() -> None:
    deep = '{"a":' * 900 + "1" + "}" * 900
    data = {"execution_sid": EXECUTION, "flow_sid": FLOW, "name": "x", "context": "@"}
    raw = json.dumps([envelope(STEP, "EZ5", data)]).encode().replace(b'"@"', deep.encode())
    with pytest.raises(InvalidWebhook, match=f"deeper than {MAX_BODY_DEPTH} levels"):
        parse_event_batch(raw)


def test_unknown_and_deprecated_types_are_counted_and_ignored() -> None:
    old = voice()
    old["type"] = "com.twilio.voice.webhook.status-callback.call.completed"
    other = envelope("com.twilio.messaging.message.sent", "EZ9", {"anything": [1, 2]})
    batch = parse_event_batch(json.dumps([old, other, other, voice()]).encode())
    assert len(batch.facts) == 1
    assert batch.unknown_types == Counter(
        {
            "com.twilio.voice.webhook.status-callback.call.completed": 1,
            "com.twilio.messaging.message.sent": 2,
        }
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "body is not JSON"),
        (b"\xff\xfe", "body is not JSON"),
        (b"[" * 100_000, "body is not JSON"),
        (b'"text"', "body must be a JSON array"),
        (b"[1]", "event 0: must be a JSON object"),
        (
            json.dumps([voice(), {"type": VOICE + "ringing"}]).encode(),
            "event 1: field 'specversion' is required",
        ),
        (
            json.dumps([voice(), voice(), voice(), voice(CallSid=None)]).encode(),
            "event 3: field 'data.request.parameters.CallSid' must be a string",
        ),
        (
            json.dumps([{k: v for k, v in voice().items() if k != "data"}]).encode(),
            "event 0: field 'data' is required",
        ),
        (
            json.dumps([voice(SequenceNumber="-1")]).encode(),
            "field 'data.request.parameters.SequenceNumber' must be a non-negative integer",
        ),
        (
            json.dumps([voice(To="")]).encode(),
            "field 'data.request.parameters.To' must not be empty",
        ),
        (
            json.dumps([voice(From="+1" * 200)]).encode(),
            "field 'data.request.parameters.From' is too long",
        ),
        (
            json.dumps([envelope(ENDED, "EZ1", [])]).encode(),
            "event 0: field 'data' must be an object",
        ),
        (
            json.dumps([envelope(STARTED, "EZ1", {"flow_sid": FLOW})]).encode(),
            "field 'data.execution_sid' is required",
        ),
    ],
)
def test_malformed_input_names_the_event_and_the_field(body: bytes, message: str) -> None:
    with pytest.raises(InvalidWebhook) as caught:
        parse_event_batch(body)
    assert message in str(caught.value)


def test_the_callsid_example_reads_as_promised() -> None:
    events = [voice(), voice(), voice(), voice()]
    del events[3]["data"]["request"]["parameters"]["CallSid"]
    with pytest.raises(
        InvalidWebhook, match=r"^event 3: field 'data\.request\.parameters\.CallSid' is required$"
    ):
        parse_event_batch(json.dumps(events).encode())


# ---- properties -------------------------------------------------------------------------

texts = st.text(min_size=1, max_size=40)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
numbers = st.integers(min_value=0, max_value=10**9)


@st.composite
def valid_events(draw: st.DrawFn) -> tuple[dict[str, Any], Any]:
    """A valid contract event and the fact (or unknown type) it must give."""
    event_id, sid, to, from_ = draw(texts), draw(texts), draw(texts), draw(texts)
    moment = draw(moments)
    choice = draw(st.sampled_from(["voice", "amd", "started", "ended", "step", "unknown"]))
    if choice == "voice":
        kind = draw(st.sampled_from(list(VoiceEventKind)))
        status, seq, duration = draw(texts), draw(numbers), draw(numbers)
        stamp = draw(st.sampled_from([format_datetime(moment), moment.isoformat()]))
        params = {
            "CallSid": sid,
            "CallStatus": status,
            "To": to,
            "From": from_,
            "SequenceNumber": str(seq),
            "CallDuration": draw(st.sampled_from([duration, str(duration)])),
            "Timestamp": stamp,
        }
        event = envelope(VOICE + kind.value, event_id, {"request": {"parameters": params}})
        fact = VoiceCallEvent(
            event_id, kind, sid, status, to, from_, seq, duration, at=moment.timestamp()
        )
        return event, fact
    if choice == "amd":
        answered = draw(texts)
        params = {"CallSid": sid, "To": to, "From": from_, "AnsweredBy": answered}
        event = envelope(AMD, event_id, {"request": {"parameters": params}}, moment.isoformat())
        return event, AmdEvent(event_id, sid, to, from_, answered, moment.timestamp())
    if choice in ("started", "ended"):
        ended = choice == "ended"
        data = {
            "execution_sid": sid,
            "flow_sid": from_,
            "contact_channel_address": to,
            "status": choice,
        }
        event = envelope(ENDED if ended else STARTED, event_id, data, moment.isoformat())
        fact = StudioExecutionEvent(event_id, ended, sid, from_, to, choice, at=moment.timestamp())
        return event, fact
    if choice == "step":
        context = draw(st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))
        data = {"execution_sid": sid, "flow_sid": from_, "name": to, "context": context}
        event = envelope(STEP, event_id, data, moment.isoformat())
        return event, StudioStepEvent(
            event_id, sid, from_, to, context=context, at=moment.timestamp()
        )
    kind = "com.example." + draw(texts)
    return envelope(kind, event_id, draw(st.none() | st.integers() | texts)), kind[:128]


@given(st.lists(valid_events(), max_size=8))
def test_valid_batches_give_exactly_their_facts_in_order(
    items: list[tuple[dict[str, Any], Any]],
) -> None:
    body = json.dumps([event for event, _ in items]).encode()
    batch = parse_event_batch(body)
    assert batch.facts == [fact for _, fact in items if not isinstance(fact, str)]
    assert batch.unknown_types == Counter(fact for _, fact in items if isinstance(fact, str))
    assert _parse_in_one_pass(body) == batch  # a valid batch takes the one-pass reading
    assert _parse_event_by_event(body) == batch


def outcome(parse: Any, body: bytes) -> ParsedBatch | str:
    try:
        batch: ParsedBatch = parse(body)
    except InvalidWebhook as exc:
        return f"rejected: {exc}"
    return batch


def parses_or_rejects(body: bytes) -> ParsedBatch | None:
    """The only allowed failure is InvalidWebhook; anything else fails the test. The answer
    (facts, or the rejection's message) is the event-by-event reading's, and whatever the
    one-pass reading accepts, that reading accepts too, with the same facts."""
    got = outcome(parse_event_batch, body)
    assert got == outcome(_parse_event_by_event, body)
    quick = _parse_in_one_pass(body)
    assert quick is None or quick == got
    if isinstance(got, str):
        assert got.removeprefix("rejected: ").strip()  # a rejection says what is wrong
        return None
    return got


@given(st.lists(valid_events(), min_size=1, max_size=4), st.data())
def test_truncated_batches_are_rejected(
    items: list[tuple[dict[str, Any], Any]], data: st.DataObject
) -> None:
    text = json.dumps([event for event, _ in items])
    cut = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    with pytest.raises(InvalidWebhook):
        parse_event_batch(text[:cut].encode())


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*prefix, key))
    return found


wrong_values = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just("x" * 300_000),
    odd_text,
    huge_strings(300_000),
)


@settings(max_examples=150)
@given(valid_events(), st.data())
def test_mistyped_or_missing_fields_never_raise_anything_but_invalid_webhook(
    item: tuple[dict[str, Any], Any], data: st.DataObject
) -> None:
    event = copy.deepcopy(item[0])
    path = data.draw(st.sampled_from(paths(event)))
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(wrong_values)
    parses_or_rejects(json.dumps([item[0], event]).encode())


@settings(max_examples=150)
@given(valid_events(), st.data())
def test_values_nested_deep_or_of_odd_unicode_never_raise_anything_but_invalid_webhook(
    item: tuple[dict[str, Any], Any], data: st.DataObject
) -> None:
    """Anywhere in an event: arrays or objects thousands deep, lone surrogates (JSON that only
    Python's `json` reads), NUL, bidi overrides, huge strings."""
    text = data.draw(spliced_anywhere(item[0], raw_values(max_depth=5000, max_string=100_000)))
    parses_or_rejects(f"[{text}]".encode())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=30,
)
known_types = st.sampled_from(
    [*(VOICE + k.value for k in VoiceEventKind), AMD, STARTED, ENDED, STEP, *sorted(TASK_TYPES)]
)


@given(st.binary(max_size=300))
def test_random_bytes_never_raise_anything_but_invalid_webhook(body: bytes) -> None:
    parses_or_rejects(body)


@given(json_values)
def test_arbitrary_json_never_raises_anything_but_invalid_webhook(value: Any) -> None:
    parses_or_rejects(json.dumps(value).encode())


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "specversion": st.just("1.0"),
                "id": texts,
                "source": texts,
                "type": known_types,
                "data": json_values,
            },
            optional={"time": json_values},
        ),
        max_size=3,
    )
)
def test_known_types_with_arbitrary_data_never_raise_anything_but_invalid_webhook(
    events: list[Any],
) -> None:
    parses_or_rejects(json.dumps(events).encode())


@given(st.lists(st.tuples(valid_events(), st.sampled_from(["valid", "broken", "other"]))))
def test_mixed_batches_read_the_same_either_way(
    items: list[tuple[tuple[dict[str, Any], Any], str]],
) -> None:
    """Valid, broken and unknown events in any order: one pass or event by event, same answer
    (a broken known event is the case the one-pass reading must hand over, not accept)."""
    events = []
    for (event, _), how in items:
        if how == "broken":
            event = {**event, "data": {"request": {}, "execution_sid": 7}}
        elif how == "other":
            event = {**event, "type": event["type"] + ".v2"}
        events.append(event)
    parses_or_rejects(json.dumps(events).encode())


@pytest.mark.parametrize(
    "body",
    [
        "[" + json.dumps(voice())[:-1] + ', "id": "EZ2"}]',  # a repeated key: the last one wins
        json.dumps([voice(CallSid="CA\ud800")]),  # a lone surrogate, which only `json` reads
        json.dumps([voice(), {"type": VOICE + "ringing"}]),
        json.dumps([voice(), [voice()]]),
        json.dumps(voice()),
    ],
)
def test_bodies_the_one_pass_reading_hands_over_read_as_before(body: str) -> None:
    raw = body.encode("utf-8", "surrogatepass")
    assert outcome(parse_event_batch, raw) == outcome(_parse_event_by_event, raw)
