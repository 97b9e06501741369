"""One `World` per implementation of the storage ports: the in-memory fakes, the Redis adapters on
a `redis-server` the session starts, and the same adapters on a 3-master Redis Cluster.

Every contract test takes `world` and runs once per implementation; it seeds and observes the
store only through the world, so the same assertions prove the fakes faithful to Redis.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from redis.asyncio import Redis, RedisCluster

from queue_adapters.redis import (
    RedisAbandonmentCounters,
    RedisActiveCallRegistry,
    RedisAssemblyStore,
    RedisCampaignExecutionStore,
    RedisClient,
    RedisContactCache,
    RedisControlStream,
    RedisDoNotCallLists,
    RedisEventPublisher,
    RedisExecutionLeases,
    RedisKeys,
    RedisLaunchLimiter,
    RedisOptions,
    RedisPacingStatsSource,
    RedisQueueStateStore,
    RedisWaitingRecords,
    connect,
)
from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.disposition import Disposition, DispositionStatus
from queue_core.domain.queue_events import QueueEvent
from queue_core.domain.state import QueueState
from queue_core.ports import ControlStream
from tests.fakes.abandonment import FakeAbandonmentCounters
from tests.fakes.clock import FakeClock
from tests.fakes.stores import (
    FakeActiveCallRegistry,
    FakeAssemblyStore,
    FakeCampaignExecutionStore,
    FakeContactCache,
    FakeControlStream,
    FakeEventPublisher,
    FakeExecutionLeases,
    FakeLaunchLimiter,
    FakePacingStatsSource,
    FakeQueueStateStore,
    InMemoryBackend,
)
from tests.fakes.waiting import FakeDoNotCallLists, FakeWaitingRecords
from tests.support.redis_server import RedisClusterProcesses, RedisServerProcess, redis_cli

# Short enough for a takeover test, long enough that a test reading twice in a row is not
# redelivered its own pending entries.
CONTROL_MIN_IDLE_MS = 200
OPTIONS = RedisOptions(control_min_idle_ms=CONTROL_MIN_IDLE_MS)
BACKENDS = ["fake", "redis", *(["cluster"] if redis_cli() else [])]


NOW = 1_795_000_000.0
FROM = "+15005550006"
FLOW = "FW" + "0" * 32


class StoppedClock:
    """A `Clock` that always reads `NOW`: for the tracker where time plays no part."""

    def now(self) -> float:
        return NOW

    def monotonic(self) -> float:
        return NOW

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


def record(i: int) -> dict[str, object]:
    """A valid cache record; record `i` is dialed at its own number."""
    return {"record_id": f"r-{i}", "phone_number": f"+1415555{i:04d}", "attributes": {"n": i}}


def attempt(ref: ContactRef, i: int, *, execution_sid: str | None = None) -> ContactAttempt:
    return ContactAttempt(
        ref=ref,
        record_id=f"r-{i}",
        to=f"+1415555{i:04d}",
        from_=FROM,
        flow_sid=FLOW,
        execution_sid=execution_sid or f"FN{i:032x}",
        launched_at=NOW + i,
        expect_voice_events=True,
    )


def disposition(
    execution_id: str, i: int, status: DispositionStatus = DispositionStatus.COMPLETED
) -> Disposition:
    return Disposition(
        campaign_execution_id=execution_id,
        record_id=f"r-{i}",
        status=status,
        to=f"+1415555{i:04d}",
        from_=FROM,
        launched_at=NOW + i,
        ended_at=NOW + i + 30,
        execution_sid=f"FN{i:032x}",
        duration_s=25,
    )


@dataclass
class World:
    """The ports of one implementation, plus what a test needs to seed and observe them."""

    kind: str
    cache: Any
    calls: Any
    assembly: Any
    events: Any
    states: Any
    campaigns: Any
    stats: Any
    leases: Any
    limiter: Any
    abandonment: Any
    waiting: Any = None
    dnc: Any = None
    client: RedisClient | None = None
    backend: InMemoryBackend | None = None
    clock: FakeClock | None = None  # the fakes' store clock; Redis keeps real time
    keys: RedisKeys = field(default_factory=RedisKeys)
    _fake_control: FakeControlStream | None = None

    @property
    def real(self) -> bool:
        return self.client is not None

    def redis(self) -> RedisClient:
        assert self.client is not None
        return self.client

    def fake(self) -> InMemoryBackend:
        assert self.backend is not None
        return self.backend

    def store_time(self) -> float:
        """Seconds on the store's clock as the test sees it: virtual for the fakes, the wall
        clock that Redis' TIME and key expiry also read otherwise."""
        return self.clock.monotonic() if self.clock is not None else time.time()

    async def elapse(self, seconds: float) -> None:
        """Let `seconds` pass on the store's clock (at once for the fakes)."""
        if self.clock is not None:
            self.clock.advance(seconds)
            await self.clock.settle()
        else:
            await asyncio.sleep(seconds)

    def control(self, consumer: str = "consumer-1") -> ControlStream:
        if self._fake_control is not None:
            return self._fake_control
        return RedisControlStream(self.redis(), consumer, keys=self.keys, options=OPTIONS)

    async def takeover(self, consumer: str = "consumer-2") -> ControlStream:
        """Another consumer, once the first one's unacked entries may be taken over."""
        if self._fake_control is not None:
            self._fake_control.redeliver()
            return self._fake_control
        await asyncio.sleep(CONTROL_MIN_IDLE_MS / 1000 + 0.05)
        return self.control(consumer)

    async def add_command(self, fields: Mapping[str, str]) -> str:
        if self._fake_control is not None:
            return self._fake_control.add(fields)
        return str(await self.redis().xadd(self.keys.queue_control_stream, dict(fields)))

    async def dead_letters(self) -> list[tuple[dict[str, str], str]]:
        if self._fake_control is not None:
            copies = [dict(fields) for fields in self._fake_control.dead_letter_stream]
        else:
            stream = await self.redis().xrange(self.keys.queue_control_dead_letter)
            copies = [fields for _, fields in stream]
        return [(fields, fields.pop("error")) for fields in copies]

    async def push_records(self, execution_id: str, records: Sequence[object]) -> None:
        raw = [r if isinstance(r, str) else json.dumps(r) for r in records]
        if not self.real:
            self.fake().push_records(execution_id, raw)
        elif raw:
            await self.redis().rpush(self.keys.campaign_cache(execution_id), *raw)

    async def cache_entries(self, execution_id: str) -> list[str]:
        if not self.real:
            return list(self.fake().caches.get(execution_id, ()))
        return list(await self.redis().lrange(self.keys.campaign_cache(execution_id), 0, -1))

    async def put_document(self, execution_id: str, document: str) -> None:
        """Store the execution document as a string of JSON (the RedisJSON form is tested on
        fakeredis: no RedisJSON module runs here)."""
        if not self.real:
            self.fake().documents[execution_id] = document
        else:
            await self.redis().set(self.keys.campaign_execution(execution_id), document)

    async def put_state(
        self,
        execution_id: str,
        state: QueueState,
        now: float = NOW,
        reason: str = "",
        request_id: str = "",
    ) -> None:
        """Seed a stored state, counts kept (what a test finds already there)."""
        if not self.real:
            self.fake().put_state(execution_id, state, now, reason, request_id)
            return
        fields = {"state": state.value, "updated_at": repr(now)}
        fields |= {"reason": reason, "request_id": request_id}
        await self.redis().hset(self.keys.execution(execution_id).state, mapping=fields)
        await self.redis().sadd(self.keys.executions, execution_id)

    async def put_dnc_list(self, name: str, numbers: Sequence[str]) -> None:
        """A do-not-call list another service wrote (a SET of numbers)."""
        if not self.real:
            lists = self.fake().dnc_lists
            kept = lists.get(name)
            lists[name] = (kept if isinstance(kept, set) else set()) | set(numbers)
        elif numbers:
            await self.redis().sadd(name, *numbers)

    async def put_string(self, name: str) -> None:
        """A key holding a string where a do-not-call list was expected."""
        if not self.real:
            self.fake().dnc_lists[name] = "string"
        else:
            await self.redis().set(name, "+14155550100")

    async def put_stats(self, task_queue_sid: str, raw: str) -> None:
        if not self.real:
            self.fake().stats[task_queue_sid] = raw
        else:
            await self.redis().hset(self.keys.task_queue_stats, task_queue_sid, raw)

    async def dispositions(self) -> list[Disposition]:
        if not self.real:
            return list(self.fake().dispositions)
        entries = await self.redis().xrange(self.keys.call_dispositions)
        return [Disposition.from_fields(fields) for _, fields in entries]

    async def published_events(self) -> list[QueueEvent]:
        if not self.real:
            return list(self.fake().events)
        entries = await self.redis().xrange(self.keys.queue_event_stream)
        return [QueueEvent.from_fields(fields) for _, fields in entries]


def fake_world() -> World:
    backend = InMemoryBackend()
    clock = FakeClock()
    return World(
        kind="fake",
        cache=FakeContactCache(backend),
        calls=FakeActiveCallRegistry(backend),
        assembly=FakeAssemblyStore(backend),
        events=FakeEventPublisher(backend),
        states=FakeQueueStateStore(backend),
        campaigns=FakeCampaignExecutionStore(backend),
        stats=FakePacingStatsSource(backend),
        leases=FakeExecutionLeases(backend, clock),
        limiter=FakeLaunchLimiter(clock),
        abandonment=FakeAbandonmentCounters(backend),
        waiting=FakeWaitingRecords(backend),
        dnc=FakeDoNotCallLists(backend),
        backend=backend,
        clock=clock,
        _fake_control=FakeControlStream(),
    )


def redis_world(kind: str, client: RedisClient, options: RedisOptions = OPTIONS) -> World:
    return World(
        kind=kind,
        cache=RedisContactCache(client, options=options),
        calls=RedisActiveCallRegistry(client, options=options),
        assembly=RedisAssemblyStore(client, options=options),
        events=RedisEventPublisher(client, options=options),
        states=RedisQueueStateStore(client, options=options),
        campaigns=RedisCampaignExecutionStore(client),
        stats=RedisPacingStatsSource(client),
        leases=RedisExecutionLeases(client),
        limiter=RedisLaunchLimiter(client),
        abandonment=RedisAbandonmentCounters(client),
        waiting=RedisWaitingRecords(client, options=options),
        dnc=RedisDoNotCallLists(client),
        client=client,
    )


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServerProcess]:
    """A `redis-server` of this session on a free port, stopped at the end."""
    with RedisServerProcess() as server:
        yield server


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisClusterProcesses]:
    """A 3-master cluster of this session, stopped at the end."""
    with RedisClusterProcesses() as cluster:
        yield cluster


@pytest.fixture
async def redis_client(redis_server: RedisServerProcess) -> AsyncIterator[Redis]:
    """A client of the session's server, emptied before the test (that server only)."""
    redis_server.flushall()
    client = Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def cluster_client(redis_cluster: RedisClusterProcesses) -> AsyncIterator[RedisCluster]:
    redis_cluster.flushall()
    client = await connect(redis_cluster.url, cluster=True)  # as the service connects
    assert isinstance(client, RedisCluster)
    yield client
    await client.aclose()


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest) -> World:
    """The ports of one implementation: fake, redis or cluster."""
    if request.param == "fake":
        return fake_world()
    client_fixture = "redis_client" if request.param == "redis" else "cluster_client"
    return redis_world(request.param, request.getfixturevalue(client_fixture))
