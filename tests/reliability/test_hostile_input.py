"""Hostile input at `queue-service serve` (a real process on a real Redis, with contacts in
flight): forged and replayed webhooks, oversized, cut-short and mistyped bodies, garbage
commands. The fuzzing with
Hypothesis and schemathesis is in `test_hostile_input_fuzz.py`, the leak hunt for the secrets
in `test_hostile_input_secrets.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from tests.reliability.forgeries import (
    callstatus_fields,
    finishing,
    forged_callstatus,
    forged_deliveries,
    genuine_token,
    launch_of,
    record_id,
)
from tests.reliability.hostile_stack import (
    BODY_READ_TIMEOUT_S,
    EXECUTION,
    MAX_BODY_BYTES,
    HostileStack,
    hostile_stack,
    store_snapshot,
)
from tests.reliability.raw_http import CHUNK, declared_too_large, short_body, stream_slowly
from tests.reliability.signed_events import signed_batch
from tests.support.metrics_text import metric_total
from tests.support.redis_server import RedisServerProcess
from tests.system.processes import ServiceProcess, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileStack]:
    yield from hostile_stack(tmp_path_factory.mktemp("hostile"))


def test_bad_or_missing_signatures_and_tokens_get_403_and_change_nothing(
    stack: HostileStack,
) -> None:
    contact = stack.contacts[0]
    before = store_snapshot(stack.store)

    refused: dict[str, int] = {}
    for name, request in forged_deliveries(stack, contact).items():
        url = request.pop("url")
        refused[name] = stack.send("POST", url, **request).status_code
    for name, request in forged_callstatus(stack, contact).items():
        refused[f"callstatus: {name}"] = stack.send("POST", "/callstatus", **request).status_code

    assert refused == dict.fromkeys(refused, 403)
    assert store_snapshot(stack.store) == before
    metrics = stack.service.admin_get("/metrics").text
    assert metric_total(metrics, "dialer_queue_webhook_requests_total", outcome="forbidden") >= len(
        refused
    )


def _published(stack: HostileStack, record_id: str) -> list[dict[str, str]]:
    entries: Any = stack.store.xrange("call_dispositions")
    return [fields for _, fields in entries if fields["record_id"] == record_id]


def test_a_replayed_signed_batch_changes_nothing(
    stack: HostileStack, figures: dict[str, Any]
) -> None:
    contact = stack.contacts[1]
    record = record_id(contact)
    token = genuine_token(stack, contact)
    url, body, headers = signed_batch(
        f"{stack.url}/eventstreams", finishing(contact, "replayed"), stack.auth_token
    )
    first = stack.send("POST", url, content=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["settled"] == 1
    [disposition] = wait_for(lambda: _published(stack, record), "the disposition")
    assert (disposition["status"], disposition["duration_s"]) == ("completed", "30")
    tag = f"{{{EXECUTION}}}"
    wait_for(lambda: stack.store.xlen(f"queue:outbox:{tag}") == 0, "the outbox relayed")
    before = store_snapshot(stack.store)

    again = [stack.send("POST", url, content=body, headers=headers) for _ in range(3)]
    late_report = stack.send("POST", "/callstatus", data=callstatus_fields(stack, contact, token))

    assert [a.status_code for a in again] == [200, 200, 200]
    assert [a.json()["settled"] for a in again] == [0, 0, 0]
    assert late_report.status_code == 200, late_report.text
    assert late_report.json()["stale"] == 1  # its launch is over: ignored
    assert _published(stack, record) == [disposition]
    after = store_snapshot(stack.store)
    # Late Studio facts of an execution no longer indexed are parked for a launch that may
    # still be recorded; they expire. Everything else, streams included, is as it was.
    parked = sorted(k for k in after.keys() - before.keys() if k.startswith("queue:parked:"))
    assert {k: v for k, v in after.items() if k not in parked} == before
    assert all(stack.store.ttl(k) > 0 for k in parked)
    assert not [f for k in parked for f in stack.store.hkeys(k) if f.startswith("cs:")]
    figures["keys_parked_by_the_replays"] = parked


def test_a_signed_batch_older_than_the_window_is_answered_ignored_and_counted(
    stack: HostileStack,
) -> None:
    contact = stack.contacts[3]
    five_hours_ago = time.time() - 5 * 3600
    url, body, headers = signed_batch(
        f"{stack.url}/eventstreams",
        finishing(contact, "old", wall=five_hours_ago),
        stack.auth_token,
    )
    before = store_snapshot(stack.store)
    counted = _stale(stack, "eventstreams")

    replays = [stack.send("POST", url, content=body, headers=headers) for _ in range(2)]

    assert [r.status_code for r in replays] == [200, 200]
    assert [r.json() for r in replays] == [
        {"matched": 0, "unmatched": 0, "settled": 0, "stale": 2}
    ] * 2
    assert store_snapshot(stack.store) == before  # the contact is still in flight
    assert _stale(stack, "eventstreams") - counted == 4
    metrics = stack.service.admin_get("/metrics").text
    assert metric_total(metrics, "dialer_queue_webhook_requests_total", outcome="stale") >= 2


def test_the_token_of_a_settled_contact_parks_nothing(stack: HostileStack) -> None:
    contact = stack.contacts[2]
    token = genuine_token(stack, contact)
    url, body, headers = signed_batch(
        f"{stack.url}/eventstreams", finishing(contact, "settled"), stack.auth_token
    )
    assert stack.send("POST", url, content=body, headers=headers).json()["settled"] == 1
    wait_for(lambda: _published(stack, record_id(contact)), "the disposition")
    wait_for(lambda: stack.store.xlen(f"queue:outbox:{{{EXECUTION}}}") == 0, "the outbox relayed")
    before = store_snapshot(stack.store)
    counted = _stale(stack, "callstatus")

    late = [
        stack.send(
            "POST",
            "/callstatus",
            data={**callstatus_fields(stack, contact, token), "call_status": status},
        )
        for status in ("completed", "busy", "failed", "no-answer", "canceled")
    ]

    assert [r.status_code for r in late] == [200] * 5
    assert [r.json()["stale"] for r in late] == [1] * 5
    assert store_snapshot(stack.store) == before  # not one parked key
    assert _stale(stack, "callstatus") - counted == 5


def test_a_token_of_another_launch_of_a_live_contacts_record_changes_nothing(
    stack: HostileStack,
) -> None:
    # A valid token of the same record from another `start` (another claim): it once let a
    # made-up call_sid hide the live contact's voice events.
    contact = stack.contacts[3]
    launch = launch_of(stack, contact)
    earlier = genuine_token(stack, contact, str(int(launch) + 1000))
    before = store_snapshot(stack.store)

    answer = stack.send(
        "POST",
        "/callstatus",
        data={**callstatus_fields(stack, contact, earlier), "call_sid": "CA" + "0" * 32},
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["stale"] == 1
    assert store_snapshot(stack.store) == before


def _stale(stack: HostileStack, route: str) -> float:
    metrics = stack.service.admin_get("/metrics").text
    return metric_total(metrics, "dialer_queue_webhook_stale_events_total", route=route)


@pytest.mark.parametrize(
    "path", ["/eventstreams", "/callstatus"], ids=["eventstreams", "callstatus"]
)
def test_bodies_over_the_limit_get_413_before_they_are_read_whole(
    stack: HostileStack, path: str, figures: dict[str, Any]
) -> None:
    port = stack.service.port
    streamed = stream_slowly(port, path, 3 * MAX_BODY_BYTES)
    declared = declared_too_large(port, path, MAX_BODY_BYTES)
    at_limit = stack.send(
        "POST", path, content=b"[" + b" " * (MAX_BODY_BYTES - 2) + b"]",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    stack.keep(streamed.pop("head"))
    stack.keep(declared)

    assert " 413 " in streamed["status_line"]
    # Answered once the limit was passed, long before the rest of the body was sent.
    assert MAX_BODY_BYTES < streamed["bytes_sent_before_the_answer"] < 2 * MAX_BODY_BYTES
    assert declared.startswith(b"HTTP/1.1 413 ")
    assert at_limit.status_code in (400, 403)
    figures.update({"max_body_bytes": MAX_BODY_BYTES, "chunk_bytes": CHUNK, **streamed})


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded"],
    ids=["none", "text", "form"],
)
def test_a_signed_batch_of_another_content_type_gets_415_and_changes_nothing(
    stack: HostileStack, content_type: str | None
) -> None:
    contact = stack.contacts[0]
    url, body, headers = signed_batch(
        f"{stack.url}/eventstreams", finishing(contact, "mistyped"), stack.auth_token
    )
    headers.pop("Content-Type")
    if content_type is not None:
        headers["Content-Type"] = content_type
    before = store_snapshot(stack.store)

    answer = stack.send("POST", url, content=body, headers=headers)

    assert answer.status_code == 415, answer.text
    assert store_snapshot(stack.store) == before


@pytest.mark.parametrize("content_type", [None, "text/plain", "multipart/form-data; boundary=x"])
def test_a_callstatus_post_of_another_content_type_gets_415(
    stack: HostileStack, content_type: str | None
) -> None:
    fields = callstatus_fields(stack, stack.contacts[0], "00" * 32)
    headers = {} if content_type is None else {"Content-Type": content_type}
    body = "&".join(f"{k}={v}" for k, v in fields.items()).encode()

    answer = stack.send("POST", "/callstatus", content=body, headers=headers)

    assert answer.status_code == 415, answer.text


@pytest.mark.parametrize(
    "path", ["/eventstreams", "/callstatus"], ids=["eventstreams", "callstatus"]
)
def test_a_client_that_hangs_up_mid_body_is_counted_on_one_line_at_most(
    stack: HostileStack, path: str
) -> None:
    route = path.strip("/")
    log = stack.service.log_path

    def disconnected() -> float:
        metrics = stack.service.admin_get("/metrics").text
        return metric_total(
            metrics, "dialer_queue_webhook_requests_total", route=route, outcome="disconnected"
        )

    counted, lines = disconnected(), len(log.read_text(errors="replace").splitlines())
    short_body(stack.service.port, path, hang_up=True)

    wait_for(lambda: disconnected() > counted, "the hang-up counted", 10.0)
    logged = log.read_text(errors="replace").splitlines()[lines:]
    assert "ClientDisconnect" not in "\n".join(logged)
    assert not [line for line in logged if "Traceback" in line or "Exception in ASGI" in line]
    assert len([line for line in logged if "hung up" in line]) <= 1


@pytest.mark.parametrize(
    "path", ["/eventstreams", "/callstatus"], ids=["eventstreams", "callstatus"]
)
def test_a_body_shorter_than_its_content_length_gets_408_and_the_connection_closed(
    stack: HostileStack, path: str
) -> None:
    cut = short_body(stack.service.port, path, hang_up=False)
    stack.keep(cut["answer"])

    assert cut["answer"].startswith(b"HTTP/1.1 408 ")
    # Answered once the timeout ran out, and the connection closed with the answer.
    assert BODY_READ_TIMEOUT_S <= cut["after_s"] < BODY_READ_TIMEOUT_S + 3


@pytest.mark.parametrize(
    "path", ["/eventstreams/", "/callstatus/"], ids=["eventstreams", "callstatus"]
)
def test_a_trailing_slash_is_not_redirected_to_the_host_the_request_names(
    stack: HostileStack, path: str
) -> None:
    answer = stack.send(
        "POST",
        path,
        content=b"[]",
        headers={"Content-Type": "application/json", "Host": "attacker.example"},
        follow_redirects=False,
    )

    assert answer.status_code == 404
    assert "location" not in answer.headers


GARBAGE_COMMANDS: list[dict[str, str | bytes]] = [
    {"junk": "x"},
    {"action": "explode", "campaign_execution_id": "ce-garbage"},
    {"action": "start"},
    {"campaign_execution_id": "ce-garbage"},
    {"action": "start", "campaign_execution_id": "bad id with spaces"},
    {"action": "stop", "campaign_execution_id": "x" * 129},
    {"action": "pause", "campaign_execution_id": "ce-garbage", "reason": "r" * 513},
    {"action": "resume", "campaign_execution_id": "ce-garbage{}\n*"},
]


def test_garbage_on_the_control_stream_is_dead_lettered_and_announced(
    stack: HostileStack,
) -> None:
    with stack.raw_store() as store:
        dead_before = store.xlen("queue_control_dead_letter")
        rejected_before = _rejected(store)
        executions_before = store.smembers("queue:executions")

        for fields in GARBAGE_COMMANDS:
            store.xadd("queue_control_stream", fields)

        wait_for(
            lambda: _rejected(store) - rejected_before >= len(GARBAGE_COMMANDS),
            "a command_rejected event for each garbage command",
        )
        time.sleep(0.3)  # for anything more to show
        entries: Any = store.xrange("queue_control_dead_letter")
        dead = [fields for _, fields in entries][dead_before:]
        assert _rejected(store) - rejected_before == len(GARBAGE_COMMANDS)
        assert len(dead) == len(GARBAGE_COMMANDS)
        for sent, kept in zip(GARBAGE_COMMANDS, dead, strict=True):
            assert kept.pop(b"error")
            assert kept == {k.encode(): _bytes(v) for k, v in sent.items()}
        pending: Any = store.xpending("queue_control_stream", "queue_control_group")
        assert pending["pending"] == 0
        assert store.smembers("queue:executions") == executions_before


def test_a_non_utf8_command_is_dead_lettered_and_the_next_one_still_runs(
    launch_service: Callable[..., ServiceProcess], redis_server: RedisServerProcess
) -> None:
    launch_service()
    with redis.Redis(port=redis_server.port) as store:
        store.xadd("queue_control_stream", {"action": b"\xff\xfestart", "x": b"\xc3\x28"})
        store.xadd("queue_control_stream", {"junk": "valid UTF-8"})
        # Once, a non-UTF-8 reply stopped the control consumer for good.
        wait_for(lambda: _rejected(store) >= 2, "command_rejected for both", 10.0)
        entries: Any = store.xrange("queue_control_dead_letter")
        assert [bool(fields.get(b"error")) for _, fields in entries] == [True, True]


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def _rejected(store: Any) -> int:
    entries: Any = store.xrange("queue_event_stream")
    return sum(fields[b"event"] == b"command_rejected" for _, fields in entries)
