"""What the live page reads (`RedisExecutionBoard`) and writes (its control actions through
`ServiceDesk`), on a real `redis-server` and on a 3-master cluster: the reads agree with the
ports' own, and a refused action writes no control entry."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from queue_adapters.redis import (
    RedisAbandonmentCounters,
    RedisClient,
    RedisContactCache,
    RedisExecutionBoard,
    RedisKeys,
    RedisQueueStateStore,
    RedisWaitingRecords,
)
from queue_app.admin import ServiceDesk, create_admin_app
from queue_app.board import LiveBoard
from queue_core.domain.state import QueueState, QueueStateMachine, Trigger
from tests.contract.conftest import NOW, OPTIONS
from tests.fakes.clock import FakeClock
from tests.support.redis_server import redis_cli

KEYS = RedisKeys()
TOKEN = "admin-token-for-tests"
PAGE = {"Content-Type": "application/json", "X-Queue-UI": "1"}


@pytest.fixture(params=["redis", *(["cluster"] if redis_cli() else [])])
def client(request: pytest.FixtureRequest) -> RedisClient:
    """A real server's client, or a 3-master cluster's (as `BACKENDS`, less the fakes: the
    board reads Redis itself, it is no port)."""
    fixture = "redis_client" if request.param == "redis" else "cluster_client"
    found: RedisClient = request.getfixturevalue(fixture)
    return found


async def _started(client: RedisClient, execution_id: str, records: int = 0) -> None:
    states = RedisQueueStateStore(client, options=OPTIONS)
    move = QueueStateMachine.transition(QueueState.IDLE, Trigger.START)
    assert await states.transition(execution_id, QueueState.IDLE, move, NOW, campaign_id="c-1")
    if records:
        raw = [
            f'{{"record_id": "r-{i}", "phone_number": "+1415555{i:04d}"}}' for i in range(records)
        ]
        await client.rpush(KEYS.campaign_cache(execution_id), *raw)  # type: ignore[misc]


async def test_read_agrees_with_the_ports_and_skips_executions_never_started(
    client: RedisClient,
) -> None:
    await _started(client, "ce-a", records=5)
    await _started(client, "ce-b")
    cache = RedisContactCache(client, options=OPTIONS)
    claimed = await cache.claim("ce-a", "instance-1", 3, NOW)
    waiting = RedisWaitingRecords(client, options=OPTIONS)
    assert await waiting.defer("ce-a", [(claimed[2], NOW + 3600)]) == 1
    await client.sadd(KEYS.execution("ce-a").active_calls, "FN1", "FN2", "FN3")  # type: ignore[misc]
    board = RedisExecutionBoard(client)

    rows = await board.read(["ce-a", "ce-never", "ce-b"])

    assert [r.status.campaign_execution_id for r in rows] == ["ce-a", "ce-b"]
    first = rows[0]
    assert (first.remaining, first.claimed, first.active) == (2, 2, 3)
    assert (first.waiting, rows[1].waiting) == (1, 0)
    assert (first.waiting, 0) == await waiting.counts("ce-a")
    assert first.status == await RedisQueueStateStore(client).load("ce-a")
    assert first.status.state is QueueState.RUNNING
    assert first.status.campaign_id == "c-1"
    assert await board.executions() == ["ce-a", "ce-b"]


async def test_read_keeps_the_order_across_several_requests(client: RedisClient) -> None:
    ids = [f"ce-{i:04d}" for i in range(450)]  # three pipelines of at most 200
    for execution_id in ids:
        await _started(client, execution_id)

    rows = await RedisExecutionBoard(client).read(list(reversed(ids)))

    assert [r.status.campaign_execution_id for r in rows] == list(reversed(ids))


async def test_recent_dispositions_are_the_executions_own_newest_first(
    client: RedisClient,
) -> None:
    for i in range(6):
        execution = "ce-a" if i % 2 == 0 else "ce-b"
        fields = {"campaign_execution_id": execution, "record_id": f"r-{i}", "status": "busy"}
        await client.xadd(KEYS.call_dispositions, fields)  # type: ignore[arg-type]

    found = await RedisExecutionBoard(client).recent_dispositions("ce-a")

    assert [d["record_id"] for d in found] == ["r-4", "r-2", "r-0"]
    assert all(d["id"] for d in found)


@pytest.fixture
async def admin(client: RedisClient) -> AsyncIterator[httpx.AsyncClient]:
    board = LiveBoard(RedisExecutionBoard(client), RedisAbandonmentCounters(client), FakeClock())

    async def redis() -> RedisClient:
        return client

    desk = ServiceDesk(TOKEN, lambda: (b"", "text/plain"), board, redis, KEYS)
    transport = httpx.ASGITransport(app=create_admin_app(desk))
    async with httpx.AsyncClient(transport=transport, base_url="http://admin.test") as http:
        yield http


async def _control_entries(client: RedisClient) -> list[dict[str, str]]:
    entries = await client.xrange(KEYS.queue_control_stream)
    return [dict(fields) for _, fields in entries]


async def test_a_wrong_or_missing_token_gets_401_and_writes_nothing(
    client: RedisClient, admin: httpx.AsyncClient
) -> None:
    await _started(client, "ce-a")
    for token in ("wrong", "", TOKEN + "x"):
        headers = {**PAGE, "X-Queue-Admin-Token": token} if token else PAGE
        answer = await admin.post("/ui/api/executions/ce-a/pause", json={}, headers=headers)
        assert answer.status_code == 401, answer.text
    assert await _control_entries(client) == []


async def test_an_unknown_execution_gets_404_with_the_reason_and_writes_nothing(
    client: RedisClient, admin: httpx.AsyncClient
) -> None:
    headers = {**PAGE, "X-Queue-Admin-Token": TOKEN}

    answer = await admin.post("/ui/api/executions/ce-none/stop", json={}, headers=headers)

    assert answer.status_code == 404
    assert answer.json()["error"] == "no execution 'ce-none': it was never started"
    assert await _control_entries(client) == []


async def test_an_action_writes_the_command_lines_control_entry(
    client: RedisClient, admin: httpx.AsyncClient
) -> None:
    await _started(client, "ce-a")
    headers = {**PAGE, "X-Queue-Admin-Token": TOKEN}

    answer = await admin.post(
        "/ui/api/executions/ce-a/pause", json={"reason": "lunch"}, headers=headers
    )

    assert answer.status_code == 202, answer.text
    entries = await _control_entries(client)
    assert entries == [{"action": "pause", "campaign_execution_id": "ce-a", "reason": "lunch"}]
    assert answer.json()["entry_id"]
