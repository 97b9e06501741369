"""Fuzzing the webhooks of `queue-service serve` (a real process, with contacts in flight):
schemathesis from the service's own `/openapi.json`, and Hypothesis with hostile bodies that
are signed right (or carry valid tokens), so that they reach the parsers and the store: JSON
nested thousands deep, huge strings, odd Unicode (lone surrogates, NUL, bidi overrides, ...)
anywhere in an event or post. No answer is ever a 5xx, and every answer is one the document
lists.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from queue_core.domain.tokens import CallstatusTokens
from tests.reliability.forgeries import launch_of
from tests.reliability.hostile_stack import EXECUTION, MAX_BODY_BYTES, HostileStack, hostile_stack
from tests.reliability.signed_events import InFlight
from tests.support.hostile_json import hostile_scalars, raw_values, spliced_anywhere
from twilio_emulator import sign_json_body

pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SCHEMATHESIS_EXAMPLES = 60
HYPOTHESIS_EXAMPLES = 150
FUZZ = settings(
    max_examples=HYPOTHESIS_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EVENT_TYPES = [
    *(f"com.twilio.voice.status-callback.call.{k}" for k in ("initiated", "ringing", "answered")),
    "com.twilio.voice.status-callback.call.completed",
    "com.twilio.voice.status-callback.amd.detected",
    "com.twilio.studio.flow.execution.started",
    "com.twilio.studio.flow.execution.ended",
    "com.twilio.studio.flow.step.ended",
    "com.twilio.voice.webhook.status-callback.call.completed",
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileStack]:
    yield from hostile_stack(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(autouse=True)
def _no_server_error_logged(stack: HostileStack) -> Iterator[None]:
    yield
    log = stack.service.log_path.read_text(errors="replace")
    assert "Exception in ASGI application" not in log
    assert stack.service.get("/readyz").status_code == 200
    # Unknown event types are counted under a bounded set of labels (32 and "other").
    metrics = stack.service.admin_get("/metrics").text
    assert metrics.count('dialer_queue_webhook_events_total{type="unknown:') <= 33


def _signed(stack: HostileStack, body: bytes) -> requests.Response:
    url, signature = sign_json_body(f"{stack.url}/eventstreams", body, stack.auth_token)
    headers = {"Content-Type": "application/json", "X-Twilio-Signature": signature}
    answer = requests.post(url, data=body, headers=headers, timeout=10)
    stack.keep(answer.text)
    return answer


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize(
    "path", ["/eventstreams", "/callstatus"], ids=["eventstreams", "callstatus"]
)
def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    stack: HostileStack, path: str, mode: GenerationMode, figures: dict[str, Any]
) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.url}/openapi.json")
    operation = schema[path]["POST"]
    statuses: Counter[str] = Counter()

    @settings(
        max_examples=SCHEMATHESIS_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def attack(case: schemathesis.Case[Any]) -> None:
        answer = case.call(base_url=stack.url)
        stack.keep(answer.text)
        statuses[f"as generated: {answer.status_code}"] += 1
        case.validate_response(answer, checks=CHECKS)
        if path != "/eventstreams":
            return
        # The same body signed right, so that it passes the signature check.
        sent = requests.Request(**_request_kwargs(case, stack.url)).prepare()
        body = sent.body if isinstance(sent.body, bytes) else str(sent.body or "").encode()
        signed = _signed(stack, body)
        statuses[f"signed: {signed.status_code}"] += 1
        case.validate_response(signed, checks=CHECKS)

    attack()
    figures.update({"examples": SCHEMATHESIS_EXAMPLES, "statuses": dict(sorted(statuses.items()))})


def _request_kwargs(case: schemathesis.Case[Any], base_url: str) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url=base_url)
    names = ("method", "url", "headers", "params", "json", "data", "files", "cookies")
    return {name: kwargs[name] for name in names if name in kwargs}


_SCALARS = hostile_scalars(max_string=8192)
# Raw JSON values spliced into an event or a post, small enough to stay under the body limit.
_RAW = raw_values(max_depth=3000, max_string=16_384)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)


def _like(*usual: Any) -> st.SearchStrategy[Any]:
    """Mostly a usual value, sometimes any JSON value."""
    return st.sampled_from(usual) | st.sampled_from(usual) | _JSON


def _event(contacts: list[InFlight]) -> st.SearchStrategy[dict[str, Any]]:
    """CloudEvents for the contacts in flight, every field sometimes wrong."""
    sids = [c.execution_sid for c in contacts] + ["FN" + "0" * 32]
    phones = [c.to for c in contacts] + ["+15005550006", ""]
    parameters = st.fixed_dictionaries(
        {},
        optional={
            "CallSid": _like(*(c.call_sid for c in contacts), "CA1"),
            "CallStatus": _like("ringing", "in-progress", "completed", "busy", "failed", "x"),
            "To": _like(*phones),
            "From": _like(*phones),
            "CallDuration": _like("30", "-1", "99999999999999999999", 7),
            "SequenceNumber": _like("1", "x", 2**64),
            "AnsweredBy": _like("human", "machine_start", ""),
            "Timestamp": _like("Sat, 28 Nov 2026 10:01:05 +0000", "9999-99-99", "0"),
            "SipResponseCode": _like("200", "487"),
        },
    )
    data = st.fixed_dictionaries(
        {},
        optional={
            "request": st.fixed_dictionaries({}, optional={"parameters": parameters}) | _JSON,
            "timestamp": _like("2026-11-28T10:01:05.000Z", "x"),
            "execution_sid": _like(*sids),
            "flow_sid": _like(*(c.flow_sid for c in contacts)),
            "contact_channel_address": _like(*phones),
            "status": _like("ended", "active"),
            "context": _like({"CallSid": "CA1", "CallStatus": "completed"}, "{}", "[1]"),
            "name": _like("answered", "busy", "noAnswer"),
            "date_created": _like("2026-11-28T10:00:00Z", ""),
            "date_updated": _like("2026-11-28T10:01:00Z", "+99999-01-01T00:00:00"),
        },
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "specversion": _like("1.0"),
            "type": _like(*EVENT_TYPES),
            "id": _like("EZ00000000000000000000000000000001", "EZ2", ""),
            "source": _like("/v2/Flows/x"),
            "time": _like("2026-11-28T10:01:06.000Z", "yesterday"),
            "data": data | _JSON,
        },
    )


def _deep_step_context(contact: InFlight, depth: int) -> bytes:
    """A step event of a contact in flight whose context nests `depth` objects deep."""
    context = '{"a":' * depth + "1" + "}" * depth
    event = (
        '{"specversion":"1.0","type":"com.twilio.studio.flow.step.ended",'
        f'"id":"EZdeep{depth}","source":"/x","data":{{"execution_sid":"{contact.execution_sid}",'
        f'"flow_sid":"{contact.flow_sid}","context":{context}}}}}'
    )
    return f"[{event}]".encode()


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def _raw(text: str) -> bytes:
    """`text` in UTF-8, a lone surrogate as its three bytes (which no decoder accepts)."""
    return text.encode("utf-8", "surrogatepass")


def _hostile_batches(contacts: list[InFlight]) -> st.SearchStrategy[bytes]:
    event = _event(contacts)
    return st.one_of(
        st.lists(event, max_size=6).map(_dumps),
        event.map(_dumps),
        _JSON.map(_dumps),
        st.binary(max_size=300),
        st.integers(min_value=1, max_value=5000).map(lambda n: b"[" * n + b"]" * n),
        st.builds(_deep_step_context, st.sampled_from(contacts), st.integers(1, 2000)),
        event.flatmap(lambda e: spliced_anywhere(e, _RAW)).map(lambda t: _raw(f"[{t}]")),
    )


@FUZZ
@given(data=st.data())
def test_signed_hostile_batches_never_get_a_server_error(
    stack: HostileStack, data: st.DataObject
) -> None:
    body = data.draw(_hostile_batches(stack.contacts[2:]), label="body")
    answer = _signed(stack, body)
    if len(body) > MAX_BODY_BYTES:
        assert answer.status_code == 413, answer.text
        return
    # A body that is not UTF-8 fails the signature check by design (see `signatures.py`).
    assert answer.status_code in ((200, 400) if _utf8(body) else (403,)), answer.text


def _utf8(body: bytes) -> bool:
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def _callstatus_bodies(stack: HostileStack) -> st.SearchStrategy[tuple[str | None, bytes]]:
    tokens = CallstatusTokens(stack.callstatus_secret.encode())
    sids = [c.execution_sid for c in stack.contacts[2:]] + ["FN" + "1" * 32]
    # The launches in flight, so that valid tokens reach the store, and others that are not.
    launches = [launch_of(stack, c) for c in stack.contacts[2:]]
    any_launch = st.sampled_from(launches) | st.from_regex(r"[0-9A-Za-z_:-]{1,12}", fullmatch=True)

    @st.composite
    def with_a_valid_token(draw: st.DrawFn) -> dict[str, Any]:
        execution = draw(st.sampled_from([EXECUTION, "ce-other"]))
        record = draw(st.sampled_from(["r-0002", "r-0003"]) | st.text(min_size=1, max_size=40))
        fields: dict[str, Any] = {
            "execution_sid": draw(st.sampled_from(sids)),
            "campaign_execution_id": execution,
            "record_id": record,
            "callstatus_token": tokens.issue(execution, record, draw(any_launch)),
        }
        extra = st.dictionaries(
            st.sampled_from(["call_sid", "call_status", "error_code", "error_message"]), _JSON
        )
        return {**fields, **draw(extra)}

    fields = with_a_valid_token() | st.dictionaries(st.text(max_size=20), _JSON, max_size=8)
    content_types = st.sampled_from(
        [
            None,
            "",
            "application/json",
            "application/json; charset=utf-8",
            "application/x-www-form-urlencoded",
            "application/merge-patch+json",
            "multipart/form-data; boundary=x",
            "text/plain",
        ]
    )
    encoded = st.one_of(
        fields.map(_dumps),
        # A lone surrogate goes out as the bytes it would have: invalid UTF-8, as a hostile
        # sender may post.
        fields.map(lambda f: _raw("&".join(f"{k}={v}" for k, v in f.items()))),
        st.binary(max_size=300),
        with_a_valid_token().flatmap(lambda f: spliced_anywhere(f, _RAW)).map(_raw),
    )
    return st.tuples(content_types, encoded)


@FUZZ
@given(data=st.data())
def test_hostile_callstatus_posts_never_get_a_server_error(
    stack: HostileStack, data: st.DataObject
) -> None:
    content_type, body = data.draw(_callstatus_bodies(stack), label="post")
    headers = {} if content_type is None else {"Content-Type": content_type}
    answer = stack.send("POST", "/callstatus", content=body, headers=headers)
    media = (content_type or "").split(";")[0]
    if len(body) > MAX_BODY_BYTES:
        assert answer.status_code in (413, 415), answer.text
    elif media in ("application/json", "application/x-www-form-urlencoded"):
        assert answer.status_code in (200, 400, 403), answer.text
    else:
        assert answer.status_code == 415, answer.text
