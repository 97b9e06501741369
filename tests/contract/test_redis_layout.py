"""The key layout: one slot per execution, markers in the slot of their stream, custom
names honoured end to end on a cluster (no CROSSSLOT anywhere) and by the one-server scripts."""

from __future__ import annotations

import json
from dataclasses import fields, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import Redis, RedisCluster
from redis.crc import key_slot

from queue_adapters.redis import (
    RedisActiveCallRegistry,
    RedisAssemblyStore,
    RedisContactCache,
    RedisEventPublisher,
    RedisKeys,
    RedisOptions,
    RedisQueueStateStore,
    RedisWaitingRecords,
)
from queue_core.domain.contacts import ContactRef
from queue_core.domain.facts import StudioExecutionEvent, VoiceCallEvent, VoiceEventKind
from queue_core.domain.queue_events import QueueEvent, QueueEventType
from queue_core.domain.state import QueueState, QueueStateMachine, Trigger
from queue_core.services.tracker import ContactTracker
from tests.contract.conftest import (
    FLOW,
    NOW,
    StoppedClock,
    attempt,
    disposition,
    record,
    redis_world,
)
from tests.contract.test_store_waiting import outside_window

EXECUTION_IDS = st.from_regex(r"[A-Za-z0-9_.:-]{1,128}", fullmatch=True)


def slot(key: str) -> int:
    return int(key_slot(key.encode()))


@given(EXECUTION_IDS)
def test_every_key_of_an_execution_shares_one_slot(execution_id: str) -> None:
    keys = RedisKeys().execution(execution_id)
    names = [getattr(keys, f.name) for f in fields(keys) if f.name != "execution_id"]

    assert {slot(name) for name in [*names, keys.facts("17")]} == {slot(f"{{{execution_id}}}")}


@given(EXECUTION_IDS, st.sampled_from(["call_dispositions", "disp{tag}x", "a:b"]))
def test_published_markers_share_the_slot_of_call_dispositions(
    execution_id: str, stream: str
) -> None:
    keys = RedisKeys(call_dispositions=stream)

    assert slot(keys.published(execution_id, "1700000000000-0")) == slot(stream)


@given(EXECUTION_IDS, st.sampled_from(["queue_event_stream", "ev{tag}x", "a:b"]))
def test_event_markers_share_the_slot_of_queue_event_stream(execution_id: str, stream: str) -> None:
    keys = RedisKeys(queue_event_stream=stream)

    assert slot(keys.published_event(execution_id, "0a1b2c3d4e5f6a7b")) == slot(stream)


def test_the_contract_names_are_the_defaults() -> None:
    keys = RedisKeys()

    assert keys.campaign_execution("ce-42") == "campaign_execution:ce-42"
    assert keys.campaign_cache("ce-42") == "campaign_cache:{ce-42}"
    assert keys.active_calls("ce-42") == "active_calls:{ce-42}"
    assert (keys.queue_control_stream, keys.queue_control_group) == (
        "queue_control_stream",
        "queue_control_group",
    )
    assert keys.published("ce-42", "1-0") == "queue:published:{call_dispositions}:ce-42:1-0"
    assert keys.published_event("ce-42", "e1") == "queue:published:{queue_event_stream}:ce-42:e1"


@pytest.mark.parametrize(
    "change",
    [
        {"prefix": "q{x}:"},
        {"campaign_cache_prefix": "cache{"},
        {"call_dispositions": "d}x"},
        {"queue_event_stream": "e}x"},
    ],
)
def test_names_that_would_break_the_slots_are_refused(change: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="not"):
        RedisKeys(**change)


@pytest.mark.redis
async def test_custom_names_work_end_to_end_on_a_cluster(cluster_client: RedisCluster) -> None:
    keys = RedisKeys(
        call_dispositions="dispositions{out}",
        queue_event_stream="events",
        campaign_cache_prefix="cache:",
        active_calls_prefix="flight:",
        prefix="svc:",
    )
    options = RedisOptions(stream_maxlen=5)
    cache = RedisContactCache(cluster_client, keys=keys, options=options)
    calls = RedisActiveCallRegistry(cluster_client, keys=keys, options=options)
    await cluster_client.rpush("cache:{ce-1}", *(json.dumps(record(i)) for i in range(3)))

    claims = await cache.claim("ce-1", "owner-a", 3, NOW)
    for i, claim in enumerate(claims):
        ref = ContactRef("ce-1", claim.claim_id)
        assert await calls.reserve(ref, f"+1415555{i:04d}", "+1500", NOW)
        await calls.record_launch(attempt(ref, i))
        assert await cache.settle("ce-1", claim.claim_id, disposition("ce-1", i))
        await calls.release(ref, f"+1415555{i:04d}", "+1500", attempt(ref, i).execution_sid)

    assert await cluster_client.xlen("dispositions{out}") == 3
    assert await cluster_client.scard("flight:{ce-1}") == 0
    assert await cluster_client.hget("svc:state:{ce-1}", "dispositions") == "3"
    states = RedisQueueStateStore(cluster_client, keys=keys, options=options)
    start = QueueStateMachine.transition(QueueState.IDLE, Trigger.START)
    assert await states.transition("ce-1", QueueState.IDLE, start, NOW)
    [(_, started)] = await cluster_client.xrange("events")
    assert (started["event"], started["dispositions"]) == ("started", "3")
    assert await states.executions() == ["ce-1"]


@pytest.mark.redis
async def test_custom_names_work_end_to_end_in_the_one_server_scripts(redis_client: Redis) -> None:
    keys = RedisKeys(
        call_dispositions="dispositions{out}",
        campaign_cache_prefix="cache:",
        active_calls_prefix="flight:",
        prefix="svc:",
    )
    options = RedisOptions(stream_maxlen=5)
    cache = RedisContactCache(redis_client, keys=keys, options=options)
    calls = RedisActiveCallRegistry(redis_client, keys=keys, options=options)
    assembly = RedisAssemblyStore(redis_client, keys=keys, options=options)
    tracker = ContactTracker(calls, assembly, cache, StoppedClock())
    await redis_client.rpush("cache:{ce-1}", *(json.dumps(record(i)) for i in range(3)))
    claims = await cache.claim("ce-1", "owner-a", 3, NOW)
    attempts = [attempt(ContactRef("ce-1", c.claim_id), i) for i, c in enumerate(claims)]
    for launched in attempts:
        assert await calls.reserve(launched.ref, launched.to, launched.from_, NOW)
        await calls.record_launch(launched)

    # Each contact's last events, by pair and by SID: looked up and added by one script that
    # makes the contacts' keys from the names.
    result = await tracker.record(
        [
            fact
            for a in attempts
            for fact in (
                VoiceCallEvent(
                    f"done-{a.record_id}", VoiceEventKind.COMPLETED, "CA1", "busy", a.to, a.from_
                ),
                StudioExecutionEvent(f"end-{a.record_id}", True, a.execution_sid, FLOW, a.to),
            )
        ]
    )

    assert (result.matched, len(result.settled)) == (6, 3)
    assert await redis_client.xlen("dispositions{out}") == 3
    assert await redis_client.scard("flight:{ce-1}") == 0
    assert await redis_client.hget("svc:state:{ce-1}", "dispositions") == "3"
    assert await redis_client.keys("queue:*") == []
    assert await redis_client.keys("svc:pair:*") == []


@pytest.mark.redis
async def test_stream_maxlen_trims_the_output_streams(redis_client: Redis) -> None:
    publisher = RedisEventPublisher(redis_client, options=RedisOptions(stream_maxlen=10))
    world = redis_world("redis", redis_client, RedisOptions(stream_maxlen=10))
    for n in range(500):
        await publisher.publish(QueueEvent(QueueEventType.STARTED, "ce-1", NOW + n))
    await world.push_records("ce-1", [record(i) for i in range(300)])
    for claim in await world.cache.claim("ce-1", "owner-a", 300, NOW):
        await world.cache.settle("ce-1", claim.claim_id, disposition("ce-1", 1))

    # Approximate trimming keeps whole macro nodes (100 entries by default), never all.
    assert 10 <= await redis_client.xlen("queue_event_stream") < 500
    assert 10 <= await redis_client.xlen("call_dispositions") < 300


@pytest.fixture(params=["redis_client", "cluster_client"])
def any_client(request: pytest.FixtureRequest) -> Redis | RedisCluster:
    """A client of the session's server, then of its cluster, emptied."""
    client: Redis | RedisCluster = request.getfixturevalue(request.param)
    return client


@pytest.mark.redis
async def test_custom_names_hold_the_waiting_set(any_client: Redis | RedisCluster) -> None:
    client = any_client
    keys = RedisKeys(
        call_dispositions="dispositions{out}", campaign_cache_prefix="cache:", prefix="svc:"
    )
    cache = RedisContactCache(client, keys=keys)
    waiting = RedisWaitingRecords(client, keys=keys)
    await client.rpush("cache:{ce-1}", *(json.dumps(record(i)) for i in range(2)))
    first, second = await cache.claim("ce-1", "owner-a", 2, NOW)
    await waiting.defer("ce-1", [(first, NOW)])
    retry = replace(disposition("ce-1", 1), final=False, retry_at=NOW + 5)
    assert await cache.settle("ce-1", second.claim_id, retry)
    [taken] = await waiting.take_due("ce-1", "owner-a", NOW, 5)
    await cache.return_to_head("ce-1", [taken])

    assert await waiting.counts("ce-1") == (1, 1)
    assert await client.zcard("svc:waiting:{ce-1}") == 2
    assert await waiting.finish("ce-1", 5, outside_window) == 2
    assert await client.xlen("dispositions{out}") == 3
    assert await client.hget("svc:state:{ce-1}", "dispositions") == "3"
    assert await client.keys("queue:*") == []
