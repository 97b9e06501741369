"""`task_queue_stats` written to a real redis-server on a cadence, as the stats service would:
the contract's fields, TaskRouter's schema, and what the service's own reader makes of it."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import time
from collections.abc import Iterator
from datetime import datetime
from importlib import resources
from typing import Any

import pytest
import redis.asyncio as redis
from openapi_schema_validator import OAS30Validator

from queue_core.domain.stats import QueueStats
from tests.emulator.callcentre_support import centre_config, played
from tests.emulator.conftest import FLOW_SID, Receiver
from tests.support.redis_server import RedisServerProcess, free_port
from twilio_emulator.callcentre_config import DEFAULT_TASK_QUEUE_SID

pytestmark = pytest.mark.redis

QUEUE = "WQ" + "5b" * 16
EVERY_S = 0.1
SCHEMA = "twilio_taskrouter_v1_task_queue_real_time_statistics.json"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServerProcess]:
    with RedisServerProcess() as server:
        yield server


def _schema() -> OAS30Validator:
    text = resources.files("twilio_emulator").joinpath("specs", SCHEMA).read_text("utf-8")
    return OAS30Validator(json.loads(text))


async def _watch(url: str, seconds: float) -> dict[str, list[str]]:
    """Every distinct value of each field of `task_queue_stats` seen in `seconds`."""
    seen: dict[str, list[str]] = {}
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for field, value in (await client.hgetall("task_queue_stats")).items():
                values = seen.setdefault(field, [])
                if not values or values[-1] != value:
                    values.append(value)
            await asyncio.sleep(0.01)
    finally:
        await client.aclose()
    return seen


def _checked(raw: str) -> dict[str, Any]:
    """One value: Twilio's schema, the contract's fields, and the service's reading of it."""
    doc: dict[str, Any] = json.loads(raw)
    errors = [e.message for e in _schema().iter_errors(doc)]
    assert errors == [], errors
    assert isinstance(doc["total_available_workers"], int)
    assert set(doc["tasks_by_status"]) == {"pending", "reserved", "assigned", "wrapping"}
    assert all(isinstance(n, int) for n in doc["tasks_by_status"].values())
    assert isinstance(doc["longest_task_waiting_age"], int)
    read = QueueStats.parse(raw)
    assert read is not None
    assert read.available_workers == doc["total_available_workers"]
    assert read.pending_tasks == doc["tasks_by_status"]["pending"]
    assert read.timestamp == datetime.fromisoformat(doc["timestamp"]).timestamp()
    return doc


async def test_stats_are_written_on_the_cadence_in_the_contracts_shape(
    receiver: Receiver, redis_server: RedisServerProcess
) -> None:
    redis_server.flushall()
    settings = {
        "agents": 2,
        "talk_mean_s": 150.0,
        "task_queue_sid_by_flow": {FLOW_SID: QUEUE},
        "stats_redis_url": redis_server.url,
        "stats_every_s": EVERY_S,
    }
    async with played(centre_config(settings, time_scale=0.002), receiver) as run:
        await run.launch(5)
        seen = await _watch(redis_server.url, 8 * EVERY_S)
        written = list(run.emulator.state.stats_writer.written)
        counts = run.emulator.stats()["callcentre"]
    assert set(seen) == {DEFAULT_TASK_QUEUE_SID, QUEUE}
    docs = [_checked(raw) for raw in seen[QUEUE]]
    assert all(d["task_queue_sid"] == QUEUE for d in docs)
    # The campaign's queue shows its callers waiting, then talking, and the agents taken.
    assert max(d["tasks_by_status"]["pending"] for d in docs) >= 1
    assert max(d["longest_task_waiting_age"] for d in docs) > 0
    assert max(d["tasks_by_status"]["assigned"] for d in docs) >= 1
    assert min(d["total_available_workers"] for d in docs) == 0
    idle = [_checked(raw) for raw in seen[DEFAULT_TASK_QUEUE_SID]]
    assert all(d["total_tasks"] == 0 for d in idle)
    # One write every EVERY_S, by the writer's clock and by the timestamps it wrote.
    assert counts["stats_writes"] == len(written) >= 6
    gaps = [b - a for a, b in itertools.pairwise(written)]
    assert statistics.median(gaps) == pytest.approx(EVERY_S, abs=0.02)
    stamps = [datetime.fromisoformat(d["timestamp"]).timestamp() for d in docs]
    assert stamps == sorted(stamps)
    stamp_gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert statistics.median(stamp_gaps) == pytest.approx(EVERY_S, abs=0.02)


async def test_the_writer_follows_changes_of_its_settings(
    receiver: Receiver, redis_server: RedisServerProcess
) -> None:
    redis_server.flushall()
    async with played(centre_config({"stats_every_s": 0.02}), receiver) as run:
        assert run.emulator.stats()["callcentre"]["stats_writes"] == 0
        changes = {"stats_redis_url": redis_server.url, "stats_timestamp": "unix"}
        run.emulator.configure(callcentre=changes)
        seen = await _watch(redis_server.url, 0.2)
        [raw] = seen[DEFAULT_TASK_QUEUE_SID][-1:]
        assert json.loads(raw)["timestamp"] == pytest.approx(time.time(), abs=1.0)
        assert QueueStats.parse(raw) is not None
        # Nobody listens there: the writes fail, are counted, and the writer keeps going.
        unreachable = f"redis://127.0.0.1:{free_port()}/0"
        run.emulator.configure(callcentre={"stats_redis_url": unreachable})
        async with asyncio.timeout(10):
            while run.emulator.stats()["callcentre"]["stats_write_errors"] < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert run.emulator.violations() == []
