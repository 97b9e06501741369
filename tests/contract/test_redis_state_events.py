"""The events of state transitions on a real `redis-server`, when publishing fails: an event
the step kept reaches the stream before the execution's next one, once, whoever publishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from queue_adapters.redis import RedisQueueStateStore
from queue_core.domain.queue_events import QueueEvent, QueueEventType
from queue_core.domain.state import QueueState, QueueStateMachine, Trigger
from tests.contract.conftest import NOW
from tests.contract.test_redis_races import failing_script
from tests.support.redis_server import RedisServerProcess

pytestmark = pytest.mark.redis

CE = "ce-kept"
S, T, E = QueueState, Trigger, QueueEventType
Clients = Callable[[], Awaitable[Redis]]


@pytest.fixture
async def new_client(
    redis_server: RedisServerProcess, redis_client: Redis
) -> AsyncIterator[Clients]:
    """Makes more clients of the (already emptied) session server, each its own connection."""
    made: list[Redis] = []

    async def make() -> Redis:
        made.append(Redis.from_url(redis_server.url, decode_responses=True))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()


async def events(client: Redis) -> list[tuple[QueueEventType, float]]:
    entries = await client.xrange("queue_event_stream")
    return [(e.event, e.at) for e in (QueueEvent.from_fields(f) for _, f in entries)]


async def move(store: RedisQueueStateStore, state: QueueState, trigger: Trigger, at: float) -> bool:
    step = QueueStateMachine.transition(state, trigger)
    return await store.transition(CE, state, step, at)


async def test_an_event_left_by_a_failed_publish_goes_out_before_the_next_one(
    new_client: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, healthy = await new_client(), await new_client()
    failing_script(broken, monkeypatch, "publish")

    assert await move(RedisQueueStateStore(broken), S.IDLE, T.START, NOW)  # the step stands

    store = RedisQueueStateStore(healthy)
    assert await events(healthy) == []
    assert await store.with_events([CE, "ce-other"]) == [CE]
    assert await move(store, S.RUNNING, T.PAUSE, NOW + 1)
    assert await events(healthy) == [(E.STARTED, NOW), (E.PAUSED, NOW + 1)]
    assert await store.with_events([CE]) == []
    status = await store.load(CE)
    assert status is not None
    assert status.state is S.PAUSED


async def test_the_relay_publishes_a_kept_event_once_however_many_relay_it(
    new_client: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, healthy = await new_client(), await new_client()
    failing_script(broken, monkeypatch, "publish")
    assert await move(RedisQueueStateStore(broken), S.IDLE, T.START, NOW)
    relays = [RedisQueueStateStore(await new_client()) for _ in range(4)]

    added = await asyncio.gather(*(relay.relay_events(CE) for relay in relays))

    assert sum(added) == 1
    assert await events(healthy) == [(E.STARTED, NOW)]
    assert await relays[0].with_events([CE]) == []


async def test_an_event_published_whose_reply_was_lost_is_not_published_again(
    new_client: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, healthy = await new_client(), await new_client()
    failing_script(broken, monkeypatch, "publish", after=True)
    assert await move(RedisQueueStateStore(broken), S.IDLE, T.START, NOW)
    store = RedisQueueStateStore(healthy)

    assert await store.with_events([CE]) == [CE]  # published, but not known to be
    assert await store.relay_events(CE) == 0
    assert await move(store, S.RUNNING, T.STOP, NOW + 1)  # no event of its own
    assert await events(healthy) == [(E.STARTED, NOW)]
    assert await store.with_events([CE]) == []


async def test_a_refusal_left_unpublished_leaves_the_execution_never_started(
    new_client: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, healthy = await new_client(), await new_client()
    failing_script(broken, monkeypatch, "publish")
    refusal = QueueStateMachine.refusal(S.IDLE, T.PAUSE)
    assert refusal is not None
    store = RedisQueueStateStore(healthy)

    assert await RedisQueueStateStore(broken).transition(CE, S.IDLE, refusal, NOW, "no")

    assert await store.load(CE) is None
    assert await store.load_states([CE]) == [S.IDLE]
    assert await store.relay_events(CE) == 1
    assert await events(healthy) == [(E.COMMAND_REJECTED, NOW)]
    assert await healthy.exists("queue:state:{ce-kept}") == 0
