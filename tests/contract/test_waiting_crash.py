"""Crashes around the waiting set: a lost reply of each of its steps, retried, moves and
publishes nothing twice; a process SIGKILLed between taking records back (`take_due`) and
launching them leaves them claimed, and `recover` puts them back into the waiting set with
their attempt numbers, none lost and none doubled. On one server (one script per step, and
the cluster's steps) and on a cluster."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from queue_adapters.redis import RedisOptions, connect
from queue_adapters.redis._contact_steps import OneScriptSteps
from queue_core.domain.contacts import ContactRef
from queue_core.domain.disposition import Disposition, DispositionStatus
from queue_core.domain.errors import StoreUnavailable
from tests.contract.conftest import NOW, OPTIONS, World, attempt, disposition, record, redis_world
from tests.contract.test_redis_races import failing_script
from tests.contract.test_store_waiting import outside_window
from tests.reliability.durable_redis import DurableRedisServer
from tests.support.redis_server import RedisClusterProcesses, RedisServerProcess, redis_cli

pytestmark = pytest.mark.redis

CE = "ce-wait"
STEP_BY_STEP = RedisOptions(cross_slot_scripts=False)
WAYS = ["redis", "redis-step-by-step", *(["cluster"] if redis_cli() else [])]


def retried(i: int, at: float) -> Disposition:
    return replace(disposition(CE, i, DispositionStatus.BUSY), final=False, retry_at=at)


@pytest.fixture(params=WAYS)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, str, RedisOptions]]:
    """(kind, URL, options) of the session's server or cluster, emptied."""
    options = STEP_BY_STEP if request.param == "redis-step-by-step" else OPTIONS
    if request.param == "cluster":
        cluster: RedisClusterProcesses = request.getfixturevalue("redis_cluster")
        cluster.flushall()
        yield "cluster", cluster.url, options
    else:
        server: RedisServerProcess = request.getfixturevalue("redis_server")
        server.flushall()
        yield "redis", server.url, options


@pytest.fixture
async def world(store: tuple[str, str, RedisOptions]) -> AsyncIterator[World]:
    kind, url, options = store
    client = await connect(url, cluster=kind == "cluster")
    yield redis_world(kind, client, options)
    await client.aclose()


def settle_script(world: World) -> str:
    one_script = isinstance(world.cache._steps, OneScriptSteps)
    return "settle_publish" if one_script else "settle"


async def waiting_for_retry(world: World, count: int) -> None:
    """`count` records that were dialed once and wait for a retry due at NOW + their index."""
    await world.push_records(CE, [record(i) for i in range(count)])
    for i, claim in enumerate(await world.cache.claim(CE, "owner-a", count, NOW)):
        await world.calls.record_launch(attempt(ContactRef(CE, claim.claim_id), i))
        await world.cache.settle(CE, claim.claim_id, retried(i, NOW + i))


async def test_a_lost_reply_of_defer_retried_defers_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.push_records(CE, [record(1)])
    [claim] = await world.cache.claim(CE, "owner-a", 1, NOW)
    failing_script(world.redis(), monkeypatch, "defer", after=True)  # type: ignore[arg-type]

    with pytest.raises(StoreUnavailable):
        await world.waiting.defer(CE, [(claim, NOW + 60)])
    monkeypatch.undo()

    assert await world.waiting.defer(CE, [(claim, NOW + 60)]) == 0
    assert await world.waiting.counts(CE) == (1, 0)
    assert await world.cache.claimed(CE) == []


async def test_a_lost_reply_of_a_retry_settle_retried_waits_and_publishes_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.push_records(CE, [record(1)])
    [claim] = await world.cache.claim(CE, "owner-a", 1, NOW)
    failing_script(world.redis(), monkeypatch, settle_script(world), after=True)  # type: ignore[arg-type]

    with pytest.raises(StoreUnavailable):
        await world.cache.settle(CE, claim.claim_id, retried(1, NOW + 60))
    monkeypatch.undo()

    assert await world.cache.settle(CE, claim.claim_id, retried(1, NOW + 60)) is False
    await world.cache.relay_outbox(CE)
    assert await world.dispositions() == [retried(1, NOW + 60)]
    assert await world.waiting.counts(CE) == (0, 1)


async def test_a_lost_reply_of_finish_retried_publishes_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await waiting_for_retry(world, 2)
    failing_script(world.redis(), monkeypatch, "finish_waiting", after=True)  # type: ignore[arg-type]

    with pytest.raises(StoreUnavailable):
        await world.waiting.finish(CE, 10, outside_window)
    monkeypatch.undo()

    assert await world.waiting.finish(CE, 10, outside_window) == 0
    await world.cache.relay_outbox(CE)
    published = await world.dispositions()
    assert [(d.record_id, d.final) for d in published[2:]] == [("r-0", True), ("r-1", True)]
    assert await world.waiting.counts(CE) == (0, 0)


async def test_a_lost_reply_of_take_due_leaves_claims_that_recover_puts_back(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await waiting_for_retry(world, 3)
    failing_script(world.redis(), monkeypatch, "take_due", after=True)  # type: ignore[arg-type]

    with pytest.raises(StoreUnavailable):
        await world.waiting.take_due(CE, "owner-a", NOW + 10, 10)
    monkeypatch.undo()

    assert [r.attempt for r in await world.cache.claimed(CE)] == [2, 2, 2]
    assert await world.cache.recover(CE, "owner-a") == 3
    assert await world.waiting.counts(CE) == (0, 3)
    again = await world.waiting.take_due(CE, "owner-b", NOW + 10, 10)
    assert [json.loads(r.raw)["record_id"] for r in again] == ["r-0", "r-1", "r-2"]


TAKER = textwrap.dedent(
    """
    import asyncio, sys, time
    from queue_adapters.redis import RedisWaitingRecords, RedisOptions, connect

    async def main():
        url, cluster, execution_id, now = sys.argv[1:]
        client = await connect(url, cluster=cluster == "cluster")
        waiting = RedisWaitingRecords(client, options=RedisOptions(cross_slot_scripts=False))
        taken = await waiting.take_due(execution_id, "doomed", float(now), 100)
        print(len(taken), flush=True)
        time.sleep(60)  # killed here: taken back, not launched

    asyncio.run(main())
    """
)


@pytest.mark.slow
async def test_a_process_killed_between_take_due_and_the_launch_loses_nothing(
    world: World, store: tuple[str, str, RedisOptions]
) -> None:
    await waiting_for_retry(world, 5)
    await world.push_records(CE, [record(9)])
    [window] = await world.cache.claim(CE, "owner-a", 1, NOW)
    await world.waiting.defer(CE, [(window, NOW + 2)])
    doomed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        TAKER,
        store[1],
        store[0],
        CE,
        str(NOW + 3),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        assert doomed.stdout is not None
        line = await asyncio.wait_for(doomed.stdout.readline(), timeout=30)
        assert line.decode().strip() == "5"
    finally:
        doomed.kill()  # SIGKILL: between taking the records back and launching them
        await doomed.wait()

    assert await world.waiting.counts(CE) == (0, 1)  # r-4 was not due yet
    assert len(await world.cache.claimed(CE)) == 5
    assert await world.cache.recover(CE, "doomed") == 5
    assert await world.cache.claimed(CE) == []
    assert await world.waiting.counts(CE) == (1, 5)
    taken = await world.waiting.take_due(CE, "survivor", NOW + 10, 100)
    ids = [json.loads(r.raw)["record_id"] for r in taken]
    assert sorted(ids) == sorted([f"r-{i}" for i in range(5)] + ["r-9"])
    assert sorted((r.attempt for r in taken), reverse=True) == [2, 2, 2, 2, 2, 1]
    assert len(await world.dispositions()) == 5  # the first attempts only


async def test_the_waiting_set_outlives_a_redis_crash_with_the_append_only_file() -> None:
    with DurableRedisServer() as server:
        client = await connect(server.url, cluster=False)
        world = redis_world("redis", client)
        await waiting_for_retry(world, 3)
        await world.push_records(CE, [record(9)])
        [window] = await world.cache.claim(CE, "owner-a", 1, NOW)
        await world.waiting.defer(CE, [(window, NOW + 50)])
        [taken] = await world.waiting.take_due(CE, "dead", NOW, 1)
        await client.aclose()

        server.crash()
        server.start()

        client = await connect(server.url, cluster=False)
        try:
            world = redis_world("redis", client)
            assert await world.waiting.counts(CE) == (1, 2)
            assert await world.cache.claimed(CE) == [taken]
            assert await world.cache.recover(CE, "dead") == 1
            assert await world.waiting.next_due(CE) == NOW
            again = await world.waiting.take_due(CE, "owner-b", NOW + 100, 10)
            assert [(json.loads(r.raw)["record_id"], r.attempt) for r in again] == [
                ("r-0", 2),
                ("r-1", 2),
                ("r-2", 2),
                ("r-9", 1),
            ]
        finally:
            await client.aclose()
