"""The `EventPublisher` and `QueueStateStore` contracts."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from queue_adapters.redis import RedisEventPublisher, RedisKeys
from queue_app import QueueClient
from queue_core.domain.bounds import MAX_ECHO_CHARS, MAX_ID_ECHO_CHARS
from queue_core.domain.contacts import ContactRef
from queue_core.domain.queue_events import QueueEvent, QueueEventType
from queue_core.domain.state import QueueState, QueueStateMachine, Trigger
from queue_core.ports import ExecutionStatus, PacingReport
from tests.contract.conftest import NOW, World, attempt, disposition, record

CE = "ce-42"
T = Trigger


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


async def move(
    world: World,
    trigger: Trigger,
    at: float = NOW,
    reason: str = "",
    request_id: str = "",
    execution_id: str = CE,
) -> bool:
    """Make the table's move for `trigger` from the state stored now."""
    status = await world.states.load(execution_id)
    state = QueueState.IDLE if status is None else status.state
    if QueueStateMachine.allows(state, trigger):
        step = QueueStateMachine.transition(state, trigger)
    else:
        refusal = QueueStateMachine.refusal(state, trigger)
        assert refusal is not None
        step = refusal
    return bool(await world.states.transition(execution_id, state, step, at, reason, request_id))


async def test_a_transition_stores_the_state_its_time_and_cause(world: World) -> None:
    assert await move(world, T.START)
    assert await move(world, T.FATAL, NOW + 1, reason="no document")

    assert await world.states.load(CE) == ExecutionStatus(
        CE, QueueState.FAILED, updated_at=NOW + 1, reason="no document"
    )
    assert await move(world, T.START, NOW + 2)
    assert await move(world, T.STOP, NOW + 3, "ops", request_id="q-7")
    assert await world.states.load(CE) == ExecutionStatus(
        CE, QueueState.STOPPING, updated_at=NOW + 3, reason="ops", request_id="q-7"
    )
    assert await world.states.executions() == [CE]


async def test_a_transition_from_a_state_no_longer_stored_changes_nothing(world: World) -> None:
    await world.put_state(CE, QueueState.RUNNING, NOW, reason="go", request_id="q-1")
    pause = QueueStateMachine.transition(QueueState.RUNNING, T.PAUSE)

    for expected in (QueueState.IDLE, QueueState.PAUSED, QueueState.DRAINING):
        assert not await world.states.transition(CE, expected, pause, NOW + 1, "late", "q-2")

    assert await world.states.load(CE) == ExecutionStatus(
        CE, QueueState.RUNNING, updated_at=NOW, reason="go", request_id="q-1"
    )
    assert await world.published_events() == []


async def test_idle_is_no_state_stored_or_counts_only(world: World) -> None:
    start = QueueStateMachine.transition(QueueState.IDLE, T.START)
    await world.push_records("ce-counts", [record(1)])
    [claim] = await world.cache.claim("ce-counts", "owner-a", 1, NOW)
    await world.calls.record_launch(attempt(ContactRef("ce-counts", claim.claim_id), 1))

    assert await world.states.transition(CE, QueueState.IDLE, start, NOW)
    assert await world.states.transition("ce-counts", QueueState.IDLE, start, NOW)
    assert not await world.states.transition(CE, QueueState.IDLE, start, NOW)

    counted = await world.states.load("ce-counts")
    assert counted is not None
    assert (counted.state, counted.launched) == (QueueState.RUNNING, 1)


async def test_counts_come_from_launches_and_settles_and_survive_state_changes(
    world: World,
) -> None:
    await move(world, T.START)
    await world.push_records(CE, [record(1), record(2)])
    claims = await world.cache.claim(CE, "owner-a", 2, NOW)
    for i, claim in enumerate(claims):
        await world.calls.record_launch(attempt(ContactRef(CE, claim.claim_id), i))
    await world.cache.settle(CE, claims[0].claim_id, disposition(CE, 0))
    await move(world, T.STOP, NOW + 2, reason="stop")

    status = await world.states.load(CE)

    assert status == ExecutionStatus(
        CE, QueueState.STOPPING, launched=2, dispositions=1, updated_at=NOW + 2, reason="stop"
    )


async def test_a_new_start_zeroes_the_counts_and_announces_them(world: World) -> None:
    await world.put_state(CE, QueueState.COMPLETED, NOW, reason="done")
    await world.push_records(CE, [record(1)])
    [claim] = await world.cache.claim(CE, "owner-a", 1, NOW)
    await world.calls.record_launch(attempt(ContactRef(CE, claim.claim_id), 1))

    assert await move(world, T.START, NOW + 1, request_id="q-9")

    assert await world.states.load(CE) == ExecutionStatus(
        CE, QueueState.RUNNING, updated_at=NOW + 1, request_id="q-9"
    )
    # The call launched before is still in flight: the event counts it, after the reset.
    assert await world.published_events() == [
        QueueEvent(QueueEventType.STARTED, CE, NOW + 1, active=1, request_id="q-9")
    ]


async def test_stopped_keeps_and_echoes_the_stop_it_answers(world: World) -> None:
    await world.put_state(CE, QueueState.STOPPING, NOW, reason="ops", request_id="q-7")

    assert await move(world, T.DRAINED, NOW + 5)

    assert await world.states.load(CE) == ExecutionStatus(
        CE, QueueState.STOPPED, updated_at=NOW + 5, reason="ops", request_id="q-7"
    )
    assert await world.published_events() == [
        QueueEvent(QueueEventType.STOPPED, CE, NOW + 5, request_id="q-7", reason="ops")
    ]


async def test_a_refused_command_is_announced_and_stores_nothing(world: World) -> None:
    assert await move(world, T.PAUSE, NOW, reason="cannot pause an execution that is idle")

    assert await world.states.load(CE) is None
    assert await world.states.executions() == []
    assert await world.published_events() == [
        QueueEvent(
            QueueEventType.COMMAND_REJECTED,
            CE,
            NOW,
            reason="cannot pause an execution that is idle",
        )
    ]


async def test_events_follow_the_order_of_the_transitions(world: World) -> None:
    triggers = [T.START, T.PAUSE, T.RESUME, T.STOP, T.RESUME, T.DRAINED, T.START, T.FATAL]
    for n, trigger in enumerate(triggers):
        assert await move(world, trigger, NOW + n, request_id=f"q-{n}")

    assert [(e.event, e.at) for e in await world.published_events()] == [
        (QueueEventType.STARTED, NOW),
        (QueueEventType.PAUSED, NOW + 1),
        (QueueEventType.RESUMED, NOW + 2),
        (QueueEventType.COMMAND_REJECTED, NOW + 4),
        (QueueEventType.STOPPED, NOW + 5),
        (QueueEventType.STARTED, NOW + 6),
        (QueueEventType.FAILED, NOW + 7),
    ]


async def test_executions_lists_every_stored_execution_once(world: World) -> None:
    for execution_id, trigger in (("ce-b", T.START), ("ce-a", T.START), ("ce-b", T.PAUSE)):
        assert await move(world, trigger, execution_id=execution_id)

    assert await world.states.executions() == ["ce-a", "ce-b"]


async def test_the_pacing_report_is_kept_beside_state_and_counts(world: World) -> None:
    await move(world, T.START)
    report = PacingReport(
        launch_rate=4.5, launch_budget=9.0, dial_ratio=1.5, reason="fixed", at=NOW
    )

    await world.states.save_pacing(CE, report)
    await move(world, T.PAUSE, NOW + 1)

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
