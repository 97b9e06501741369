"""The `EventPublisher` and `QueueStateStore` contracts."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from queue_adapters.redis import RedisEventPublisher, RedisKeys
from queue_app import QueueClient
from queue_core.domain.bounds import MAX_ECHO_CHARS, MAX_ID_ECHO_CHARS
from queue_core.domain.contacts import ContactRef
from queue_core.domain.queue_events import QueueEvent, QueueEventType
from queue_core.domain.state import QueueState
from queue_core.ports import ExecutionStatus, PacingReport
from tests.contract.conftest import NOW, World, attempt, disposition, record

CE = "ce-42"


async def test_published_events_keep_their_fields_and_order(world: World) -> None:
    started = QueueEvent(QueueEventType.STARTED, CE, NOW, request_id="req-1")
    stopped = QueueEvent(
        QueueEventType.STOPPED, CE, NOW + 9, launched=3, dispositions=2, active=1, reason="ops"
    )

    first = await world.events.publish(started)
    second = await world.events.publish(stopped)

    assert first != second
    assert await world.published_events() == [started, stopped]


async def test_an_execution_never_started_has_no_state(world: World) -> None:
    assert await world.states.load(CE) is None
    assert await world.states.executions() == []


async def test_save_state_stores_state_time_and_reason(world: World) -> None:
    await world.states.save_state(CE, QueueState.RUNNING, NOW)
    await world.states.save_state(CE, QueueState.FAILED, NOW + 1, reason="no document")

    assert await world.states.load(CE) == ExecutionStatus(
        CE, QueueState.FAILED, updated_at=NOW + 1, reason="no document"
    )
    await world.states.save_state(CE, QueueState.STOPPING, NOW + 2, "ops", request_id="q-7")
    assert await world.states.load(CE) == ExecutionStatus(
        CE, QueueState.STOPPING, updated_at=NOW + 2, reason="ops", request_id="q-7"
    )
    assert await world.states.executions() == [CE]


async def test_counts_come_from_launches_and_settles_and_survive_state_changes(
    world: World,
) -> None:
    await world.states.save_state(CE, QueueState.RUNNING, NOW)
    await world.push_records(CE, [record(1), record(2)])
    claims = await world.cache.claim(CE, "owner-a", 2, NOW)
    for i, claim in enumerate(claims):
        await world.calls.record_launch(attempt(ContactRef(CE, claim.claim_id), i))
    await world.cache.settle(CE, claims[0].claim_id, disposition(CE, 0))
    await world.states.save_state(CE, QueueState.STOPPING, NOW + 2, reason="stop")

    status = await world.states.load(CE)

    assert status == ExecutionStatus(
        CE, QueueState.STOPPING, launched=2, dispositions=1, updated_at=NOW + 2, reason="stop"
    )


async def test_reset_counts_zeroes_the_counts_only(world: World) -> None:
    await world.states.save_state(CE, QueueState.COMPLETED, NOW, reason="done")
    await world.push_records(CE, [record(1)])
    [claim] = await world.cache.claim(CE, "owner-a", 1, NOW)
    await world.calls.record_launch(attempt(ContactRef(CE, claim.claim_id), 1))

    await world.states.reset_counts(CE)

    assert await world.states.load(CE) == ExecutionStatus(
        CE, QueueState.COMPLETED, updated_at=NOW, reason="done"
    )


async def test_executions_lists_every_stored_execution_once(world: World) -> None:
    for execution_id in ("ce-b", "ce-a", "ce-b"):
        await world.states.save_state(execution_id, QueueState.RUNNING, NOW)

    assert await world.states.executions() == ["ce-a", "ce-b"]


async def test_the_pacing_report_is_kept_beside_state_and_counts(world: World) -> None:
    await world.states.save_state(CE, QueueState.RUNNING, NOW)
    report = PacingReport(
        launch_rate=4.5, launch_budget=9.0, dial_ratio=1.5, reason="fixed", at=NOW
    )

    await world.states.save_pacing(CE, report)
    await world.states.save_state(CE, QueueState.PAUSED, NOW + 1)

    stored = await world.states.load(CE)
    assert stored is not None
    assert (stored.state, stored.pacing) == (QueueState.PAUSED, report)


@pytest.mark.redis
async def test_echoed_event_fields_reach_the_stream_cut(redis_client: Redis) -> None:
    event = QueueEvent(QueueEventType.FAILED, CE, NOW, request_id="r" * 100_000, reason="x" * 10**6)
    await RedisEventPublisher(redis_client).publish(event)

    [(_, fields)] = await redis_client.xrange("queue_event_stream")
    assert len(fields["request_id"]) == MAX_ID_ECHO_CHARS
    assert len(fields["reason"]) == MAX_ECHO_CHARS


@pytest.mark.redis
async def test_status_shows_a_long_stored_reason_cut(redis_client: Redis) -> None:
    state = RedisKeys().execution(CE).state
    await redis_client.hset(state, mapping={"state": "failed", "reason": "x" * 10**6})

    report = await QueueClient(redis_client).status(CE)

    assert report is not None
    assert len(report.reason) == MAX_ECHO_CHARS
