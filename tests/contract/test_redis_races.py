"""Races and crashes on a real `redis-server`: instances that claim, settle, relay and read
commands at once, and processes that die between two steps.

A settle is one script on one server (ADR 0009), and a settle, a publish and an outbox XDEL on
a cluster: the crashes between those steps are played on one server with `STEP_BY_STEP`, the
cluster's steps, and the one-script settle is shown to keep every promise the steps keep."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from queue_adapters.redis import RedisContactCache, RedisControlStream, RedisKeys, RedisOptions
from queue_core.domain.contacts import ClaimedRecord, ContactAttempt, ContactRef
from queue_core.domain.errors import StoreUnavailable
from tests.contract.conftest import FROM, NOW, World, attempt, disposition, record, redis_world
from tests.support.redis_server import RedisServerProcess

pytestmark = pytest.mark.redis

CE = "ce-race"
OPTIONS = RedisOptions(control_min_idle_ms=100)
# The steps a cluster takes (each script in one slot), on one server.
STEP_BY_STEP = RedisOptions(cross_slot_scripts=False)
Clients = Callable[[], Awaitable[Redis]]


@pytest.fixture
async def new_client(
    redis_server: RedisServerProcess, redis_client: Redis
) -> AsyncIterator[Clients]:
    """Makes more clients of the (already emptied) session server: one per 'instance'."""
    made: list[Redis] = []

    async def make() -> Redis:
        client = Redis.from_url(redis_server.url, decode_responses=True)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


def failing_script(
    client: Redis, monkeypatch: pytest.MonkeyPatch, name: str, *, after: bool = False
) -> None:
    """Make `client` lose its connection whenever it runs the Lua script `name`: before
    sending it (the process died at that step) or, with `after`, once the server ran it
    (the reply was lost)."""
    source = resources.files("queue_adapters.redis.lua").joinpath(f"{name}.lua").read_bytes()
    sha = hashlib.sha1(source).hexdigest()
    real = client.evalsha

    async def evalsha(script_sha: str, numkeys: int, *args: Any) -> Any:
        if script_sha != sha:
            return await real(script_sha, numkeys, *args)
        if after:
            await real(script_sha, numkeys, *args)
        raise RedisConnectionError(f"connection lost at {name}")

    monkeypatch.setattr(client, "evalsha", evalsha)


async def test_four_claimers_drain_ten_thousand_records_each_exactly_once(
    new_client: Clients,
) -> None:
    seed = await new_client()
    raws = [json.dumps(record(i)) for i in range(10_000)]
    for start in range(0, len(raws), 1000):
        await seed.rpush(RedisKeys().campaign_cache(CE), *raws[start : start + 1000])
    caches = [RedisContactCache(await new_client()) for _ in range(4)]

    async def drain(cache: RedisContactCache, owner: str) -> list[str]:
        got: list[str] = []
        while batch := await cache.claim(CE, owner, 37, NOW):
            got += [r.raw for r in batch]
        return got

    drained = await asyncio.gather(*(drain(c, f"owner-{n}") for n, c in enumerate(caches)))

    claimed = [raw for part in drained for raw in part]
    assert sorted(claimed) == sorted(raws)
    assert all(part for part in drained), "every claimer got a share"
    assert len(await caches[0].claimed(CE)) == 10_000
    assert await caches[0].remaining(CE) == 0


@pytest.mark.parametrize(
    "options", [RedisOptions(), STEP_BY_STEP], ids=["one script", "step by step"]
)
async def test_two_instances_settling_the_same_contacts_publish_each_once(
    new_client: Clients, options: RedisOptions
) -> None:
    first = redis_world("redis", await new_client(), options)
    second = redis_world("redis", await new_client(), options)
    await first.push_records(CE, [record(i) for i in range(200)])
    claims = await first.cache.claim(CE, "owner-a", 200, NOW)
    attempts = [attempt(ContactRef(CE, claim.claim_id), i) for i, claim in enumerate(claims)]
    for launched in attempts:
        assert await first.calls.reserve(launched.ref, launched.to, launched.from_, NOW)
        await first.calls.record_launch(launched)

    gate = asyncio.Semaphore(40)  # below the client's connection pool limit

    async def settle(world: World, i: int, claim_id: str) -> bool:
        async with gate:
            done = disposition(CE, i)
            return bool(await world.cache.settle(CE, claim_id, done, release=attempts[i]))

    results = await asyncio.gather(
        *(settle(w, i, claim.claim_id) for i, claim in enumerate(claims) for w in (first, second)),
        *(world.cache.relay_outbox(CE) for world in (first, second)),
    )

    settled = results[: 2 * len(claims)]
    assert [settled[2 * i] + settled[2 * i + 1] for i in range(len(claims))] == [1] * len(claims)
    published = await first.dispositions()
    assert sorted(d.record_id for d in published) == sorted(f"r-{i}" for i in range(200))
    assert await first.calls.count(CE) == 0
    status = await first.states.load(CE)
    assert status is not None
    assert status.dispositions == 200
    pairs = [(a.to, a.from_) for a in attempts]
    sids = [a.execution_sid for a in attempts]
    assert await first.calls.holders(pairs, sids) == ([None] * 200, [None] * 200)
    assert await first.redis().xlen(RedisKeys().execution(CE).outbox) == 0


async def test_a_crash_between_settle_and_publish_is_repaired_by_the_relay_once(
    new_client: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashing_client = await new_client()
    crashing = redis_world("redis", crashing_client, STEP_BY_STEP)
    # One survivor settles and relays step by step, the other in one script.
    survivors = [
        redis_world("redis", await new_client(), options) for options in (STEP_BY_STEP, OPTIONS)
    ]
    await crashing.push_records(CE, [record(1)])
    [claim] = await crashing.cache.claim(CE, "owner-a", 1, NOW)
    failing_script(crashing_client, monkeypatch, "publish_disposition")

    assert await crashing.cache.settle(CE, claim.claim_id, disposition(CE, 1)) is True
    assert await crashing.dispositions() == []
    assert await survivors[0].cache.settle(CE, claim.claim_id, disposition(CE, 1)) is False

    relayed = await asyncio.gather(*(w.cache.relay_outbox(CE) for w in survivors))

    assert sorted(relayed) == [0, 1]
    assert await crashing.dispositions() == [disposition(CE, 1)]
    assert await survivors[0].cache.relay_outbox(CE) == 0
    assert await crashing_client.xlen(RedisKeys().execution(CE).outbox) == 0


async def test_a_one_script_instance_relays_what_a_step_by_step_one_left(
    new_client: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashing_client = await new_client()
    crashing = redis_world("redis", crashing_client, STEP_BY_STEP)
    survivor = redis_world("redis", await new_client())
    await crashing.push_records(CE, [record(i) for i in range(3)])
    claims = await crashing.cache.claim(CE, "owner-a", 3, NOW)
    failing_script(crashing_client, monkeypatch, "publish_disposition")
    for i, claim in enumerate(claims):
        assert await crashing.cache.settle(CE, claim.claim_id, disposition(CE, i)) is True

    assert await survivor.cache.settle(CE, claims[0].claim_id, disposition(CE, 0)) is False
    assert await survivor.cache.relay_outbox(CE) == 3
    assert await survivor.cache.relay_outbox(CE) == 0
    assert await survivor.dispositions() == [disposition(CE, i) for i in range(3)]
    assert await survivor.redis().xlen(RedisKeys().execution(CE).outbox) == 0


async def test_with_outbox_names_only_the_executions_a_relay_has_work_for(
    new_client: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashing_client = await new_client()
    crashing = redis_world("redis", crashing_client, STEP_BY_STEP)
    survivor = redis_world("redis", await new_client())
    left = ["ce-left-1", "ce-left-2"]
    for execution_id in [*left, "ce-clean"]:
        await crashing.push_records(execution_id, [record(1)])
    failing_script(crashing_client, monkeypatch, "publish_disposition")
    for execution_id in left:
        [claim] = await crashing.cache.claim(execution_id, "owner-a", 1, NOW)
        await crashing.cache.settle(execution_id, claim.claim_id, disposition(execution_id, 1))
    [clean] = await survivor.cache.claim("ce-clean", "owner-b", 1, NOW)
    await survivor.cache.settle("ce-clean", clean.claim_id, disposition("ce-clean", 1))
    asked = [f"ce-never-{i}" for i in range(600)] + ["ce-clean", *left]  # two requests

    assert await survivor.cache.with_outbox(asked) == left
    assert await survivor.cache.with_outbox([]) == []
    for execution_id in left:
        assert await survivor.cache.relay_outbox(execution_id) == 1
    assert await survivor.cache.with_outbox(asked) == []


async def test_a_crash_after_publish_before_the_outbox_cleanup_publishes_nothing_more(
    new_client: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashing_client = await new_client()
    crashing = redis_world("redis", crashing_client, STEP_BY_STEP)
    survivor = redis_world("redis", await new_client())
    await crashing.push_records(CE, [record(1)])
    [claim] = await crashing.cache.claim(CE, "owner-a", 1, NOW)

    async def lost(*args: Any, **kwargs: Any) -> int:
        raise RedisConnectionError("connection lost before XDEL")

    monkeypatch.setattr(crashing_client, "xdel", lost)

    assert await crashing.cache.settle(CE, claim.claim_id, disposition(CE, 1)) is True
    assert await crashing_client.xlen(RedisKeys().execution(CE).outbox) == 1

    assert await survivor.cache.relay_outbox(CE) == 0
    assert await survivor.dispositions() == [disposition(CE, 1)]
    assert await crashing_client.xlen(RedisKeys().execution(CE).outbox) == 0


async def test_a_settle_whose_reply_is_lost_is_published_by_the_relay(
    new_client: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashing_client = await new_client()
    crashing = redis_world("redis", crashing_client, STEP_BY_STEP)
    await crashing.push_records(CE, [record(1)])
    [claim] = await crashing.cache.claim(CE, "owner-a", 1, NOW)
    failing_script(crashing_client, monkeypatch, "settle", after=True)

    with pytest.raises(StoreUnavailable, match="connection lost at settle"):
        await crashing.cache.settle(CE, claim.claim_id, disposition(CE, 1))
    monkeypatch.undo()

    assert await crashing.cache.settle(CE, claim.claim_id, disposition(CE, 1)) is False
    assert await crashing.dispositions() == []
    assert await crashing.cache.relay_outbox(CE) == 1
    assert await crashing.cache.relay_outbox(CE) == 0
    assert await crashing.dispositions() == [disposition(CE, 1)]


async def _one_launched(client: Redis) -> tuple[World, ClaimedRecord, ContactAttempt]:
    """A one-script world on `client` with one contact claimed, reserved and launched."""
    world = redis_world("redis", client)
    await world.push_records(CE, [record(1)])
    [claim] = await world.cache.claim(CE, "owner-a", 1, NOW)
    launched = attempt(ContactRef(CE, claim.claim_id), 1)
    assert await world.calls.reserve(launched.ref, launched.to, launched.from_, NOW)
    await world.calls.record_launch(launched)
    return world, claim, launched


async def test_a_one_script_settle_whose_reply_is_lost_was_published_once(
    new_client: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashing_client = await new_client()
    crashing, claim, launched = await _one_launched(crashing_client)
    failing_script(crashing_client, monkeypatch, "settle_publish", after=True)

    with pytest.raises(StoreUnavailable, match="connection lost at settle_publish"):
        await crashing.cache.settle(CE, claim.claim_id, disposition(CE, 1), release=launched)
    monkeypatch.undo()

    # Settled, published and let go in the one step whose reply was lost: a retry finds the
    # claim gone, and there is nothing for the relay.
    assert await crashing.dispositions() == [disposition(CE, 1)]
    assert await crashing.calls.holders([(launched.to, FROM)], [launched.execution_sid]) == (
        [None],
        [None],
    )
    assert await crashing.cache.settle(CE, claim.claim_id, disposition(CE, 1)) is False
    assert await crashing.cache.relay_outbox(CE) == 0
    assert await crashing.dispositions() == [disposition(CE, 1)]
    assert await crashing_client.xlen(RedisKeys().execution(CE).outbox) == 0
    assert await crashing_client.keys("queue:published:*") == []


async def test_a_one_script_settle_that_never_ran_changes_nothing(
    new_client: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashing_client = await new_client()
    crashing, claim, launched = await _one_launched(crashing_client)
    failing_script(crashing_client, monkeypatch, "settle_publish")

    with pytest.raises(StoreUnavailable, match="connection lost at settle_publish"):
        await crashing.cache.settle(CE, claim.claim_id, disposition(CE, 1), release=launched)
    monkeypatch.undo()

    assert await crashing.dispositions() == []
    assert await crashing.calls.count(CE) == 1
    assert await crashing.calls.by_pair(launched.to, FROM) == launched.ref
    survivor = redis_world("redis", await new_client())
    assert await survivor.cache.settle(CE, claim.claim_id, disposition(CE, 1), release=launched)
    assert await survivor.dispositions() == [disposition(CE, 1)]
    assert await survivor.calls.count(CE) == 0
    assert await survivor.calls.by_pair(launched.to, FROM) is None


CONSUMER = textwrap.dedent(
    """
    import asyncio, sys, time
    from redis.asyncio import Redis
    from queue_adapters.redis import RedisControlStream

    async def main():
        client = Redis.from_url(sys.argv[1], decode_responses=True)
        entries = await RedisControlStream(client, "doomed").read(10, 1000)
        print(" ".join(e.entry_id for e in entries), flush=True)
        time.sleep(60)  # killed here: read, never acked

    asyncio.run(main())
    """
)


@pytest.mark.slow
async def test_a_consumer_killed_between_read_and_ack_has_its_command_processed_by_another(
    redis_server: RedisServerProcess, redis_client: Redis
) -> None:
    entry_id = await redis_client.xadd("queue_control_stream", {"action": "stop", "x": "1"})
    doomed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CONSUMER,
        redis_server.url,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        assert doomed.stdout is not None
        read_line = await asyncio.wait_for(doomed.stdout.readline(), timeout=30)
        assert read_line.decode().split() == [entry_id]
    finally:
        doomed.kill()  # SIGKILL: no chance to ack
        await doomed.wait()
    survivor = RedisControlStream(redis_client, "survivor", options=OPTIONS)
    await asyncio.sleep(OPTIONS.control_min_idle_ms / 1000 + 0.05)

    [entry] = await survivor.read(10, 10)
    await survivor.ack(entry.entry_id)

    assert entry.entry_id == entry_id
    assert entry.fields == {"action": "stop", "x": "1"}
    pending = await redis_client.xpending("queue_control_stream", "queue_control_group")
    assert pending["pending"] == 0
