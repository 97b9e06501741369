"""Redis that cannot be reached is `StoreUnavailable` for every port; `connect` picks the
client kind by asking the server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from queue_adapters.redis import RedisControlStream, RedisOptions, connect
from queue_core.domain.contacts import ContactRef
from queue_core.domain.errors import StoreUnavailable
from queue_core.domain.queue_events import QueueEvent, QueueEventType
from queue_core.domain.state import QueueState, QueueStateMachine
from queue_core.domain.state import Trigger as T
from tests.contract.conftest import NOW, World, attempt, disposition, redis_world
from tests.support.redis_server import RedisClusterProcesses, RedisServerProcess, free_port

pytestmark = pytest.mark.redis

REF = ContactRef("ce-1", "1")
CALLS: dict[str, Callable[[World], Awaitable[Any]]] = {
    "claim": lambda w: w.cache.claim("ce-1", "o", 1, NOW),
    "settle": lambda w: w.cache.settle("ce-1", "1", disposition("ce-1", 1)),
    "relay_outbox": lambda w: w.cache.relay_outbox("ce-1"),
    "with_outbox": lambda w: w.cache.with_outbox(["ce-1"]),
    "oldest_unpublished": lambda w: w.cache.oldest_unpublished(["ce-1"]),
    "reserve": lambda w: w.calls.reserve(REF, "+14155550001", "+1500", NOW),
    "record_launch": lambda w: w.calls.record_launch(attempt(REF, 1)),
    "release": lambda w: w.calls.release(REF, "+14155550001", "+1500", "FN1"),
    "settle and release": lambda w: w.cache.settle(
        "ce-1", "1", disposition("ce-1", 1), release=attempt(REF, 1)
    ),
    "add": lambda w: w.assembly.add(REF, []),
    "correlate_and_add": lambda w: w.assembly.correlate_and_add(
        [(REF, [])], [(("+14155550001", "+1500"), [])], [("FN1", [])]
    ),
    "publish": lambda w: w.events.publish(QueueEvent(QueueEventType.STARTED, "ce-1", NOW)),
    "transition": lambda w: w.states.transition(
        "ce-1", QueueState.IDLE, QueueStateMachine.transition(QueueState.IDLE, T.START), NOW
    ),
    "relay_events": lambda w: w.states.relay_events("ce-1"),
    "with_events": lambda w: w.states.with_events(["ce-1"]),
    "load": lambda w: w.campaigns.load("ce-1"),
    "stats": lambda w: w.stats.read("WQ1"),
    "control": lambda w: RedisControlStream(w.redis(), "c").read(1, 0),
    "dead_letter_count": lambda w: RedisControlStream(w.redis(), "c").dead_letter_count(),
}


@pytest.fixture
async def nowhere() -> AsyncIterator[Redis]:
    """A client of a port where no server listens."""
    # No retries: the client's default backoff would only make the test slow.
    client = Redis(port=free_port(), retry=Retry(NoBackoff(), 0), decode_responses=True)
    yield client
    await client.aclose()


@pytest.mark.parametrize("one_script", [True, False], ids=["one script", "step by step"])
@pytest.mark.parametrize("name", sorted(CALLS))
async def test_an_unreachable_redis_is_store_unavailable(
    nowhere: Redis, name: str, one_script: bool
) -> None:
    options = RedisOptions(cross_slot_scripts=one_script)
    with pytest.raises(StoreUnavailable, match="redis: ConnectionError"):
        await CALLS[name](redis_world("redis", nowhere, options))


async def test_connect_asks_the_server_whether_it_is_a_cluster(
    redis_server: RedisServerProcess, redis_cluster: RedisClusterProcesses
) -> None:
    single = await connect(redis_server.url)
    cluster = await connect(redis_cluster.url)
    try:
        assert isinstance(single, Redis)
        assert isinstance(cluster, RedisCluster)
        assert await single.ping()
        assert await cluster.ping()
    finally:
        await single.aclose()
        await cluster.aclose()


async def test_a_connected_single_server_client_waits_for_a_free_connection(
    redis_server: RedisServerProcess, redis_client: Redis
) -> None:
    client = await connect(redis_server.url, max_connections=4)
    try:
        world = redis_world("redis", client)
        done = await asyncio.gather(*(world.calls.count(f"ce-{n}") for n in range(50)))
    finally:
        await client.aclose()

    assert done == [0] * 50


async def test_a_fresh_cluster_client_takes_concurrent_first_commands(
    redis_cluster: RedisClusterProcesses,
) -> None:
    """`connect` learns the slots before returning: a fresh client met by several commands at
    once (an instance resuming its executions) sometimes failed in redis-py with an
    AttributeError, about one fresh client in ten here."""
    for _ in range(30):
        client = await connect(redis_cluster.url, cluster=True)
        try:
            leases = redis_world("cluster", client).leases
            tokens = await asyncio.gather(
                *(leases.acquire("ce-fresh", f"i-{n}", 30) for n in range(8))
            )
        finally:
            await client.aclose()
        assert sum(token is not None for token in tokens) <= 1


async def test_connect_to_nothing_is_store_unavailable() -> None:
    with pytest.raises(StoreUnavailable):
        await connect(f"redis://127.0.0.1:{free_port()}/0", retry=Retry(NoBackoff(), 0))
