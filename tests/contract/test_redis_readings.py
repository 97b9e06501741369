"""What the readings task asks of the Redis adapters beyond their ports (`queue_app.readings`):
the length of the control dead letter stream, and when the oldest disposition waiting in an
outbox was settled. On one server and on a cluster."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from queue_adapters.redis import RedisClient, RedisControlStream, connect
from tests.contract.conftest import NOW, record
from tests.contract.test_abandonment_crash import CE, KINDS, abandoned, instance, store
from tests.contract.test_redis_races import failing_script

pytestmark = pytest.mark.redis

__all__ = ["store"]  # the fixture, parametrized over one server and a cluster


@pytest.fixture
async def clients() -> AsyncIterator[list[RedisClient]]:
    opened: list[RedisClient] = []
    yield opened
    for client in opened:
        await client.aclose()


@pytest.mark.parametrize("kind", KINDS)
async def test_the_dead_letter_count_is_the_streams_length(
    kind: str, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("redis_server" if kind == "redis" else "redis_cluster")
    server.flushall()
    client = await connect(server.url, cluster=kind == "cluster")
    try:
        control = RedisControlStream(client, "consumer-1")
        assert await control.dead_letter_count() == 0
        for action in ("explode", "implode"):
            await client.xadd("queue_control_stream", {"action": action})
        for entry in await control.read(10, 10):
            await control.dead_letter(entry, "not a command")

        assert await control.dead_letter_count() == 2
    finally:
        await client.aclose()


async def test_the_oldest_unpublished_disposition_is_dated_until_it_is_relayed(
    store: tuple[str, str], clients: list[RedisClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await instance(*store, clients)
    assert await world.cache.oldest_unpublished([CE, "ce-other"]) is None
    await world.push_records(CE, [record(1)])
    [claim] = await world.cache.claim(CE, "owner-a", 1, NOW)
    failing_script(world.redis(), monkeypatch, "publish_disposition")  # type: ignore[arg-type]
    before = time.time()

    assert await world.cache.settle(CE, claim.claim_id, abandoned()) is True
    oldest = await world.cache.oldest_unpublished([CE, "ce-other"])
    monkeypatch.undo()
    assert await world.cache.relay_outbox(CE) == 1

    assert oldest is not None
    assert before - 1 <= oldest <= time.time() + 1
    assert await world.cache.oldest_unpublished([CE, "ce-other"]) is None
