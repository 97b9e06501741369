"""`queue-service events`, `dispositions` and `dead-letters`: what the streams hold, one line
(or one JSON object) per entry, filtered by execution where asked, the newest N with --last;
read without a consumer group, so nothing is acked or taken from the service's consumers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

import pytest
import redis

from queue_adapters.redis import connect
from queue_app.stream_tail import Entry, StreamTail
from queue_core.domain.queue_events import QueueEvent, QueueEventType
from tests.cli.conftest import invoke
from tests.support.redis_server import RedisServerProcess

pytestmark = pytest.mark.redis


def event(store: redis.Redis, kind: QueueEventType, execution: str, **extra: str) -> str:
    fields: dict[str, str] = {
        **QueueEvent(kind, execution, at=1_795_000_000.0, launched=3).to_fields(),
        **extra,
    }
    return str(store.xadd("queue_event_stream", fields))


def disposition(store: redis.Redis, execution: str, record_id: str, status: str) -> str:
    fields = {
        "schema_version": "1",
        "campaign_execution_id": execution,
        "record_id": record_id,
        "execution_sid": "FN" + "0" * 32,
        "call_sid": "",
        "to": "+14155550100",
        "from": "+15005550006",
        "status": status,
        "error_message": "no route" if status == "failed" else "",
        "ended_at": "2026-11-20T10:00:00.000Z",
    }
    return str(store.xadd("call_dispositions", fields))


def test_events_prints_every_event_the_stream_holds_oldest_first(store: redis.Redis) -> None:
    event(store, QueueEventType.STARTED, "ce-1", request_id="r-1")
    event(store, QueueEventType.STARTED, "ce-2")
    event(store, QueueEventType.STOPPED, "ce-1", reason="enough for today")

    everything = invoke("events")
    of_one = invoke("events", "ce-1")

    assert everything.exit_code == 0, everything.output
    lines = everything.stdout.splitlines()
    assert [line.split()[1:3] for line in lines] == [
        ["started", "ce-1"],
        ["started", "ce-2"],
        ["stopped", "ce-1"],
    ]
    assert "request_id=r-1" in lines[0]
    assert 'reason="enough for today"' in lines[2]
    assert [line.split()[1] for line in of_one.stdout.splitlines()] == ["started", "stopped"]


def test_events_json_is_one_object_per_entry_with_its_id_and_fields(store: redis.Redis) -> None:
    entry_id = event(store, QueueEventType.COMPLETED, "ce-1")

    done = invoke("events", "--json")

    [line] = done.stdout.splitlines()
    assert json.loads(line) == {
        "entry_id": entry_id,
        "fields": QueueEvent(QueueEventType.COMPLETED, "ce-1", 1_795_000_000.0, 3).to_fields(),
    }


def test_dispositions_prints_those_of_the_execution_only(store: redis.Redis) -> None:
    disposition(store, "ce-1", "r-1", "completed")
    disposition(store, "ce-2", "r-9", "busy")
    disposition(store, "ce-1", "r-2", "failed")

    done = invoke("dispositions", "ce-1")
    as_json = invoke("dispositions", "ce-1", "--json")

    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert [line.split()[1:4] for line in lines] == [
        ["ce-1", "r-1", "completed"],
        ["ce-1", "r-2", "failed"],
    ]
    assert 'error_message="no route"' in lines[1]
    assert "call_sid" not in lines[0]  # empty fields are left out of the line
    records = [json.loads(line)["fields"]["record_id"] for line in as_json.stdout.splitlines()]
    assert records == ["r-1", "r-2"]


def test_last_keeps_the_newest_entries_of_those_shown(store: redis.Redis) -> None:
    for n in range(5):
        disposition(store, "ce-1", f"r-{n}", "completed")
        disposition(store, "ce-2", f"x-{n}", "busy")

    done = invoke("dispositions", "ce-1", "--last", "2")

    assert [line.split()[2] for line in done.stdout.splitlines()] == ["r-3", "r-4"]


def test_dead_letters_lists_each_rejected_command_with_its_error(store: redis.Redis) -> None:
    store.xadd(
        "queue_control_dead_letter",
        {"action": "explode", "campaign_execution_id": "ce-1", "error": "unknown action"},
    )
    store.xadd("queue_control_dead_letter", {"action": "start", "error": "no execution id"})

    done = invoke("dead-letters")
    as_json = invoke("dead-letters", "--json")

    assert done.exit_code == 0, done.output
    first, second = done.stdout.splitlines()
    assert first.split("  ")[1:] == [
        'error="unknown action"',
        "action=explode",
        "campaign_execution_id=ce-1",
    ]
    assert second.split("  ")[1:] == ['error="no execution id"', "action=start"]
    errors = [json.loads(line)["fields"]["error"] for line in as_json.stdout.splitlines()]
    assert errors == ["unknown action", "no execution id"]


def test_the_streams_read_nothing_when_empty(store: redis.Redis) -> None:
    for args in (["events"], ["dispositions", "ce-1"], ["dead-letters"]):
        done = invoke(*args)
        assert (done.exit_code, done.stdout) == (0, ""), args


def test_reading_leaves_the_consumer_groups_of_the_stream_untouched(store: redis.Redis) -> None:
    disposition(store, "ce-1", "r-1", "completed")
    store.xgroup_create("call_dispositions", "consumer-service", id="0")

    invoke("dispositions", "ce-1")

    [group] = store.xinfo_groups("call_dispositions")
    assert (group["pending"], group["last-delivered-id"]) == (0, "0-0")


def test_follow_yields_what_comes_after_what_was_held(
    store: redis.Redis, redis_server: RedisServerProcess
) -> None:
    disposition(store, "ce-1", "r-1", "completed")

    def of_ce_1(fields: Mapping[str, str]) -> bool:
        return fields.get("campaign_execution_id") == "ce-1"

    async def tail() -> tuple[list[Entry], list[Entry]]:
        client = await connect(redis_server.url)
        try:
            tail = StreamTail(client, "call_dispositions", match=of_ce_1, block_ms=50)
            held, newest = await tail.held()
            await asyncio.to_thread(disposition, store, "ce-2", "x-1", "busy")
            await asyncio.to_thread(disposition, store, "ce-1", "r-2", "busy")
            followed: list[Entry] = []
            async for entry in tail.follow(newest):
                followed.append(entry)
                break
            return held, followed
        finally:
            await client.aclose()

    held, followed = asyncio.run(tail())

    assert [fields["record_id"] for _, fields in held] == ["r-1"]
    assert [fields["record_id"] for _, fields in followed] == ["r-2"]
