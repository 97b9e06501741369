"""A crash between counting a contact and publishing its disposition (ADR 0025): on a cluster
(and on one server run the same way, `STEP_BY_STEP`) the settle counts the execution and the
publish counts the campaign; a process killed between them leaves the disposition in the
outbox, and whoever relays it publishes and counts it, once. On one server in one script, a
lost reply changes nothing either. Played at the store level, and with a real SIGKILL."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from queue_adapters.redis import RedisClient, RedisKeys, RedisOptions, connect
from queue_core.domain.abandonment import AbandonmentCounts
from queue_core.domain.disposition import Disposition
from queue_core.domain.errors import StoreUnavailable
from tests.contract.conftest import NOW, World, disposition, record, redis_world
from tests.contract.test_redis_races import failing_script
from tests.support.redis_server import RedisClusterProcesses, RedisServerProcess, redis_cli

pytestmark = pytest.mark.redis

CE = "ce-crash"
STEP_BY_STEP = RedisOptions(cross_slot_scripts=False)
KINDS = ["redis", *(["cluster"] if redis_cli() else [])]
ONCE = AbandonmentCounts(1, 1)


def abandoned() -> Disposition:
    return replace(disposition(CE, 1), campaign_id="c-7", human_answered=True, abandoned=True)


@pytest.fixture(params=KINDS)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, str]]:
    """(kind, URL) of the session's server or cluster, emptied."""
    if request.param == "redis":
        server: RedisServerProcess = request.getfixturevalue("redis_server")
        server.flushall()
        yield "redis", server.url
    else:
        cluster: RedisClusterProcesses = request.getfixturevalue("redis_cluster")
        cluster.flushall()
        yield "cluster", cluster.url


async def instance(kind: str, url: str, clients: list[RedisClient]) -> World:
    """One instance's adapters, taking a cluster's steps (on one server too)."""
    client = await connect(url, cluster=kind == "cluster")
    clients.append(client)
    return redis_world(kind, client, STEP_BY_STEP)


async def counts(world: World) -> tuple[AbandonmentCounts, AbandonmentCounts]:
    return (
        await world.abandonment.of_execution(CE),
        await world.abandonment.of_campaign("c-7", NOW),
    )


async def test_a_crash_before_the_publish_counts_the_campaign_when_the_relay_publishes(
    store: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clients: list[RedisClient] = []
    try:
        crashing, survivor = [await instance(*store, clients) for _ in range(2)]
        await crashing.push_records(CE, [record(1)])
        [claim] = await crashing.cache.claim(CE, "owner-a", 1, NOW)
        failing_script(crashing.redis(), monkeypatch, "publish_disposition")  # type: ignore[arg-type]

        assert await crashing.cache.settle(CE, claim.claim_id, abandoned()) is True
        assert await counts(survivor) == (ONCE, AbandonmentCounts())  # not published yet
        assert await survivor.cache.settle(CE, claim.claim_id, abandoned()) is False
        relayed = await asyncio.gather(
            survivor.cache.relay_outbox(CE), survivor.cache.relay_outbox(CE)
        )

        assert sorted(relayed) == [0, 1]
        assert await survivor.cache.relay_outbox(CE) == 0
        assert await counts(survivor) == (ONCE, ONCE)
        assert await survivor.dispositions() == [abandoned()]
    finally:
        for client in clients:
            await client.aclose()


async def test_a_one_script_settle_whose_reply_is_lost_counted_once(
    redis_client: RedisClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = redis_world("redis", redis_client)
    await world.push_records(CE, [record(1)])
    [claim] = await world.cache.claim(CE, "owner-a", 1, NOW)
    failing_script(redis_client, monkeypatch, "settle_publish", after=True)  # type: ignore[arg-type]

    with pytest.raises(StoreUnavailable):
        await world.cache.settle(CE, claim.claim_id, abandoned())
    monkeypatch.undo()

    assert await world.cache.settle(CE, claim.claim_id, abandoned()) is False
    assert await world.cache.relay_outbox(CE) == 0
    assert await counts(world) == (ONCE, ONCE)


SETTLER = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from queue_adapters.redis import RedisContactCache, RedisOptions, connect
    from queue_adapters.redis._scripts import Scripts
    from queue_core.domain.disposition import Disposition

    real_run = Scripts.run

    async def run(self, name, keys, args):
        if name == "publish_disposition":
            print("settled", flush=True)
            time.sleep(60)  # killed here: counted in its execution, not yet published
        return await real_run(self, name, keys, args)

    async def main():
        url, cluster, execution_id, claim_id, fields = sys.argv[1:]
        client = await connect(url, cluster=cluster == "cluster")
        cache = RedisContactCache(client, options=RedisOptions(cross_slot_scripts=False))
        Scripts.run = run
        disposition = Disposition.from_fields(json.loads(fields))
        await cache.settle(execution_id, claim_id, disposition)

    asyncio.run(main())
    """
)


@pytest.mark.slow
async def test_a_process_killed_between_counting_and_publishing_is_counted_once(
    store: tuple[str, str],
) -> None:
    clients: list[RedisClient] = []
    try:
        world = await instance(*store, clients)
        await world.push_records(CE, [record(1)])
        [claim] = await world.cache.claim(CE, "owner-a", 1, NOW)
        fields = json.dumps(abandoned().to_fields())
        doomed = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            SETTLER,
            store[1],
            store[0],
            CE,
            claim.claim_id,
            fields,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        try:
            assert doomed.stdout is not None
            line = await asyncio.wait_for(doomed.stdout.readline(), timeout=30)
            assert line.decode().strip() == "settled"
        finally:
            doomed.kill()  # SIGKILL: between the settle and the publish
            await doomed.wait()

        assert await counts(world) == (ONCE, AbandonmentCounts())
        assert await world.redis().xlen(RedisKeys().execution(CE).outbox) == 1
        survivor = await instance(*store, clients)
        assert await survivor.cache.settle(CE, claim.claim_id, abandoned()) is False
        assert await survivor.cache.relay_outbox(CE) == 1
        assert await survivor.cache.relay_outbox(CE) == 0
        assert await counts(survivor) == (ONCE, ONCE)
        assert await survivor.dispositions() == [abandoned()]
    finally:
        for client in clients:
            await client.aclose()
