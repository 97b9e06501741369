"""Part 7, the live page: what one server-sent update costs the server with 1,000 executions.

A private `redis-server` holds `EXECUTIONS` started executions (each with its pacing report,
a cache of 100 records, 3 claims and 5 calls in flight; one campaign per 20 executions, with
30 days of abandonment counts). In this process, the admin listener's `LiveBoard` then
refreshes `REFRESHES` times, as its loop does once per tick for every viewer, and builds one
viewer's update (filter, a page of 50 rows, JSON) `PAGES` times, as each open page does per
tick. The first refresh also reads each campaign's 30 days (then again every 10 s); the
others read the executions only. Wall time on `time.perf_counter`, so a refresh includes its
round trips to Redis; the process's CPU time on `time.process_time`.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from bench.processes import RedisServerProcess
from queue_adapters.redis import (
    RedisAbandonmentCounters,
    RedisClient,
    RedisExecutionBoard,
    RedisKeys,
    RedisQueueStateStore,
    connect,
)
from queue_adapters.system_clock import SystemClock
from queue_app.board import LiveBoard
from queue_app.board_rows import PageQuery
from queue_core.domain.abandonment import utc_day
from queue_core.domain.state import QueueState, QueueStateMachine, Trigger
from queue_core.ports import PacingReport

__all__ = ["run"]

EXECUTIONS = 1000
REFRESHES = 30
PAGES = 200
KEYS = RedisKeys()


async def _seed(client: RedisClient, executions: int, now: float) -> None:
    """`executions` running executions, with their counts, caches, claims and calls."""
    states = RedisQueueStateStore(client)
    start = QueueStateMachine.transition(QueueState.IDLE, Trigger.START)
    report = PacingReport(launch_rate=0.8, launch_budget=1.0, dial_ratio=1.5, reason="", at=now)
    records = [
        json.dumps({"record_id": f"r-{i}", "phone_number": "+14155550100"}) for i in range(100)
    ]
    for n in range(executions):
        execution_id, campaign = f"ce-{n:05d}", f"c-{n // 20}"
        await states.transition(execution_id, QueueState.IDLE, start, now, campaign_id=campaign)
        await states.save_pacing(execution_id, report)
        k = KEYS.execution(execution_id)
        pipe = client.pipeline(transaction=False)
        pipe.rpush(k.cache, *records)
        pipe.hset(k.claims, mapping={str(i): records[0] for i in range(3)})
        pipe.sadd(k.active_calls, *[f"FN{n:05d}{i}" for i in range(5)])
        pipe.hset(k.state, mapping={"launched": 40, "dispositions": 35, "human_answered": 20})
        await pipe.execute()
    for campaign in range(executions // 20 + 1):
        for day in range(30):
            key = KEYS.abandonment(f"c-{campaign}", utc_day(now - day * 86_400))
            await client.hset(key, mapping={"human_answered": 100, "abandoned": 2})


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[int(0.95 * (len(ordered) - 1))],
        "max_ms": 1000 * ordered[-1],
    }


async def _refreshes(board: LiveBoard, count: int) -> tuple[list[float], float]:
    """Wall seconds of each refresh, and the process's CPU seconds over them all."""
    walls: list[float] = []
    cpu = time.process_time()
    for _ in range(count):
        started = time.perf_counter()
        await board.refresh()
        walls.append(time.perf_counter() - started)
    return walls, time.process_time() - cpu


def _pages(board: LiveBoard, count: int, query: PageQuery) -> tuple[list[float], int]:
    """Wall seconds of each viewer's update (page, then JSON), and its size in bytes."""
    walls: list[float] = []
    size = 0
    for _ in range(count):
        started = time.perf_counter()
        data = json.dumps(board.page(query), separators=(",", ":"))
        walls.append(time.perf_counter() - started)
        size = len(data.encode())
    return walls, size


async def run(logs: Path, *, quick: bool = False) -> dict[str, Any]:
    """Seed, measure, and return the figures."""
    executions = 100 if quick else EXECUTIONS
    server = RedisServerProcess().start()
    try:
        client = await connect(server.url, cluster=False)
        clock = SystemClock()
        await _seed(client, executions, clock.now())
        board = LiveBoard(RedisExecutionBoard(client), RedisAbandonmentCounters(client), clock)
        first, _ = await _refreshes(board, 1)
        walls, cpu_s = await _refreshes(board, 5 if quick else REFRESHES)
        page, page_bytes = _pages(board, 20 if quick else PAGES, PageQuery())
        found, found_bytes = _pages(board, 20 if quick else PAGES, PageQuery(text="ce-0042"))
        await client.aclose()
    finally:
        server.stop()
    return {
        "executions": executions,
        "rows": len(board.rows),
        "first_refresh_ms": 1000 * first[0],
        "refresh": _ms(walls) | {"cpu_ms": 1000 * cpu_s / len(walls), "count": len(walls)},
        "page": _ms(page) | {"bytes": page_bytes, "rows": 50, "count": len(page)},
        "filtered": _ms(found) | {"bytes": found_bytes, "count": len(found)},
        "requests_per_refresh": 1 + -(-executions // 200),
        "load_average_1min": os.getloadavg()[0],
    }
