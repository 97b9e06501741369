"""The abandonment counters (ADR 0025) on the fakes, a real `redis-server` and a cluster: what
settling counts, exactly once, per execution over its run and per campaign over 30 days,
across executions and instances; the queue events that carry them; bounded memory."""

from __future__ import annotations

import time
from dataclasses import replace

from queue_core.domain.abandonment import AbandonmentCounts, utc_day
from queue_core.domain.disposition import Disposition, parse_iso_utc
from queue_core.domain.queue_events import QueueEventType
from queue_core.domain.state import QueueState, QueueStateMachine, Trigger
from tests.contract.conftest import World, disposition, record, redis_world

DAY = 86_400.0
# "Now" of the 30-day window: today's noon (UTC). Real Redis expires a day's counts 31 days
# after the day starts, on its own clock, so the days the tests count must be recent ones.
NOON = (time.time() // DAY) * DAY + DAY / 2
C = AbandonmentCounts


def person(execution_id: str, i: int, *, abandoned: bool, campaign: str = "c-7") -> Disposition:
    """A person-answered contact's disposition, ended at NOON."""
    return replace(
        disposition(execution_id, i),
        ended_at=NOON,
        campaign_id=campaign,
        human_answered=True,
        agent_connected_s=None if abandoned else 1.2,
        abandoned=abandoned,
    )


async def settle(world: World, execution_id: str, dispositions: list[Disposition]) -> list[bool]:
    """Claim one record per disposition and settle each with it; then settle each again."""
    await world.push_records(execution_id, [record(i) for i in range(len(dispositions))])
    claims = await world.cache.claim(execution_id, "owner-a", len(dispositions), NOON)
    done = [
        await world.cache.settle(execution_id, claim.claim_id, told)
        for claim, told in zip(claims, dispositions, strict=True)
    ]
    for claim, told in zip(claims, dispositions, strict=True):  # a retry, a takeover
        assert await world.cache.settle(execution_id, claim.claim_id, told) is False
    return done


def other_instance(world: World) -> World:
    """Another instance's adapters on the same store."""
    return redis_world(world.kind, world.redis()) if world.real else world


async def test_each_person_answered_contact_counts_once_in_its_execution_and_campaign(
    world: World,
) -> None:
    machine = replace(disposition("ce-a", 2), ended_at=NOON, campaign_id="c-7")
    told = [person("ce-a", 0, abandoned=False), person("ce-a", 1, abandoned=True), machine]

    assert await settle(world, "ce-a", told) == [True, True, True]

    assert await world.abandonment.of_execution("ce-a") == C(2, 1)
    assert await world.abandonment.of_campaign("c-7", NOON) == C(2, 1)
    assert await world.abandonment.of_execution("ce-never") == C()
    assert await world.abandonment.of_campaign("c-never", NOON) == C()


async def test_a_campaign_counts_across_its_executions_and_instances(world: World) -> None:
    second = other_instance(world)
    await settle(world, "ce-a", [person("ce-a", 0, abandoned=True)])
    await settle(second, "ce-b", [person("ce-b", i, abandoned=False) for i in range(3)])
    await settle(second, "ce-c", [person("ce-c", 0, abandoned=True, campaign="c-8")])
    await settle(world, "ce-d", [person("ce-d", 0, abandoned=True, campaign="")])

    assert await world.abandonment.of_campaign("c-7", NOON) == C(4, 1)
    assert await second.abandonment.of_campaign("c-8", NOON) == C(1, 1)
    assert [await world.abandonment.of_execution(e) for e in ("ce-a", "ce-b", "ce-d")] == [
        C(1, 1),
        C(3, 0),
        C(1, 1),  # an execution with no campaign still counts its own
    ]


async def test_the_30_days_are_the_day_of_now_and_the_29_before(world: World) -> None:
    days = [NOON - 30 * DAY, NOON - 29 * DAY, NOON - DAY, NOON]
    told = [replace(person("ce-a", i, abandoned=True), ended_at=at) for i, at in enumerate(days)]
    await settle(world, "ce-a", told)

    assert await world.abandonment.of_campaign("c-7", NOON) == C(3, 3)
    assert await world.abandonment.of_campaign("c-7", NOON + DAY) == C(2, 2)
    assert await world.abandonment.of_campaign("c-7", NOON - 29 * DAY) == C(2, 2)
    assert await world.abandonment.of_execution("ce-a") == C(4, 4)


async def test_memory_is_one_expiring_key_per_campaign_day(world: World) -> None:
    if not world.real:
        return  # the fake forgets a day once a later count passes its lifetime
    days = [NOON - 3 * DAY, NOON]
    told = [replace(person("ce-a", i, abandoned=False), ended_at=at) for i, at in enumerate(days)]
    told += [person("ce-a", 2 + i, abandoned=True) for i in range(20)]
    await settle(world, "ce-a", told)

    keys = [key async for key in world.redis().scan_iter(match="queue:abandonment:*", count=1000)]
    expected = {world.keys.abandonment("c-7", utc_day(at)) for at in days}
    assert set(keys) == expected
    for key in expected:
        day_start = parse_iso_utc(key.rsplit(":", 1)[1] + "T00:00:00Z")
        assert await world.redis().expiretime(key) == int(day_start + 31 * DAY)


async def test_a_new_run_resets_the_executions_counts_and_events_carry_them(
    world: World,
) -> None:
    start = QueueStateMachine.transition(QueueState.IDLE, Trigger.START)
    assert await world.states.transition("ce-a", QueueState.IDLE, start, NOON, campaign_id="c-7")
    await settle(world, "ce-a", [person("ce-a", i, abandoned=i == 0) for i in range(4)])
    await settle(world, "ce-old", [person("ce-old", 0, abandoned=True)])  # same campaign
    pause = QueueStateMachine.transition(QueueState.RUNNING, Trigger.PAUSE)
    assert await world.states.transition("ce-a", QueueState.RUNNING, pause, NOON + 1)
    stop = QueueStateMachine.transition(QueueState.PAUSED, Trigger.STOP)
    assert await world.states.transition("ce-a", QueueState.PAUSED, stop, NOON + 2)
    drained = QueueStateMachine.transition(QueueState.STOPPING, Trigger.DRAINED)
    assert await world.states.transition("ce-a", QueueState.STOPPING, drained, NOON + 3)
    again = QueueStateMachine.transition(QueueState.STOPPED, Trigger.START)
    assert await world.states.transition(
        "ce-a", QueueState.STOPPED, again, NOON + 4, campaign_id=""
    )

    started, paused, *_, restarted = await world.published_events()
    assert (started.event, started.human_answered, started.abandoned) == (
        QueueEventType.STARTED,
        0,
        0,
    )
    assert started.campaign_abandon_rate_30d == 0.0
    assert (paused.human_answered, paused.abandoned, paused.abandon_rate) == (4, 1, 0.25)
    assert paused.campaign_abandon_rate_30d == 0.4  # 2 of 5, ce-old's included
    assert (restarted.human_answered, restarted.abandoned) == (0, 0)
    assert restarted.campaign_abandon_rate_30d is None  # its document names no campaign now
    assert await world.abandonment.of_execution("ce-a") == C()
    assert await world.abandonment.of_campaign("c-7", NOON) == C(5, 2)
    status = await world.states.load("ce-a")
    assert (status.human_answered, status.abandoned, status.campaign_id) == (0, 0, "")


async def test_a_refused_move_stores_no_campaign_but_its_event_tells_the_given_ones_rate(
    world: World,
) -> None:
    await settle(world, "ce-a", [person("ce-a", 0, abandoned=True)])
    refusal = QueueStateMachine.refusal(QueueState.IDLE, Trigger.PAUSE)
    assert refusal is not None

    assert await world.states.transition("ce-b", QueueState.IDLE, refusal, NOON, "no", "", "c-7")

    [rejected] = await world.published_events()
    assert rejected.event is QueueEventType.COMMAND_REJECTED
    assert rejected.campaign_abandon_rate_30d == 1.0
    assert await world.states.load("ce-b") is None
