"""Campaigns as the other services set them up: execution documents, contact caches, control
commands and agent stats in Redis; and the emulator's record of what was launched."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import httpx

from queue_adapters.redis import RedisClient, RedisQueueStateStore
from queue_app.client import QueueClient
from queue_core.domain.state import QueueState
from twilio_emulator import DEFAULT_ACCOUNT_SID as ACCOUNT_SID
from twilio_emulator import DEFAULT_AUTH_TOKEN as AUTH_TOKEN

__all__ = [
    "FROM",
    "EmulatorAdmin",
    "flow_sid",
    "launch_times",
    "start",
    "wait_launched",
    "wait_state",
    "write_execution",
]

FROM = "+15005550006"
QUEUE = "WQ" + "b" * 32
_numbers = itertools.count(2_000_000_000)  # every record of the bench process its own number


def flow_sid(n: int) -> str:
    """A Studio flow SID per execution, so the emulator's log tells executions apart."""
    return f"FW{n:032x}"


async def write_execution(
    redis: RedisClient,
    execution_id: str,
    flow: str,
    contacts: int,
    *,
    max_concurrent_calls: int = 100_000,
    cps_share: float = 1.0,
) -> None:
    """The execution document (fixed pacing: no agents needed) and `contacts` records."""
    document = {
        "campaign_execution_id": execution_id,
        "studio_flow_sid": flow,
        "from_number": FROM,
        "task_queue_sid": QUEUE,
        "pacing": {
            "mode": "fixed",
            "max_concurrent_calls": max_concurrent_calls,
            "cps_share": cps_share,
        },
    }
    await redis.set(f"campaign_execution:{execution_id}", json.dumps(document))
    records = [
        json.dumps(
            {"record_id": f"r-{i}", "phone_number": f"+1{next(_numbers)}", "attributes": {"i": i}}
        )
        for i in range(contacts)
    ]
    for first in range(0, len(records), 1000):
        await redis.rpush(f"campaign_cache:{{{execution_id}}}", *records[first : first + 1000])


async def start(redis: RedisClient, execution_id: str) -> None:
    await QueueClient(redis).start(execution_id, request_id="bench")


async def wait_state(
    redis: RedisClient, execution_id: str, states: set[QueueState], timeout_s: float
) -> QueueState | None:
    """Poll the stored state until it is one of `states`; the last state seen on timeout."""
    client = QueueClient(redis)
    deadline = time.monotonic() + timeout_s
    state: QueueState | None = None
    while time.monotonic() < deadline:
        report = await client.status(execution_id)
        state = report.state if report else None
        if state in states:
            return state
        await asyncio.sleep(0.2)
    return state


class EmulatorAdmin:
    """The emulator's `/_emulator/` routes."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._client = httpx.AsyncClient(base_url=base_url, timeout=30.0)

    async def stats(self) -> dict[str, Any]:
        answer = await self._client.get("/_emulator/stats")
        answer.raise_for_status()
        stats: dict[str, Any] = answer.json()
        return stats

    async def configure(self, **changes: Any) -> None:
        answer = await self._client.post("/_emulator/config", json=changes)
        answer.raise_for_status()

    async def reset(self, *, sinks: bool) -> None:
        """Forget executions and counters; with `sinks`, the Event Streams sinks too."""
        answer = await self._client.post("/_emulator/reset", json={"sinks": sinks})
        answer.raise_for_status()

    async def subscriptions(self) -> int:
        """How many Event Streams subscriptions exist (the service provisions one)."""
        answer = await self._client.get("/v1/Subscriptions", auth=(ACCOUNT_SID, AUTH_TOKEN))
        answer.raise_for_status()
        return len(answer.json()["subscriptions"])

    async def aclose(self) -> None:
        await self._client.aclose()


def launch_times(stats: dict[str, Any], flow: str) -> list[float]:
    """Monotonic creation times, at the emulator, of the executions of `flow`, sorted."""
    return sorted(e["created_monotonic"] for e in stats["executions"] if e["flow_sid"] == flow)


async def wait_launched(redis: RedisClient, execution_id: str, count: int, timeout_s: float) -> int:
    """Wait until the service has recorded `count` launches of the execution, or the timeout;
    the count reached. Reads the stored counter: asking the emulator for its whole log while
    it works would load it."""
    states = RedisQueueStateStore(redis)
    deadline = time.monotonic() + timeout_s
    while True:
        status = await states.load(execution_id)
        launched = status.launched if status else 0
        if launched >= count or time.monotonic() > deadline:
            return launched
        await asyncio.sleep(0.1)
