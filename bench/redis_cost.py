"""Part 4, what a contact costs Redis: round trips and commands per contact lifecycle (claim to
published disposition, webhooks included), and memory per contact in flight.

Round trips: every command `queue-service serve` sends during a campaign at 20/s, from `start`
to `completed`, is logged with MONITOR (the adapters use no pipelines, so one top-level command
is one round trip; commands run inside a Lua script are logged as the script's, and counted
apart). The runner's polling and the control consumer's reads are counted apart (`POLLING`).
Memory: `used_memory` before the cache is written, with the records in the cache, and with
every contact launched and in flight (no webhook yet), on `python -m bench.uncapped`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bench import ceiling
from bench.campaign import flow_sid, start, wait_launched, wait_state, write_execution
from bench.stack import Stack, running_stack
from queue_core.domain.state import QueueState

__all__ = ["monitored", "run"]

EMULATOR = {"account_cps": 1000, "cps_mode": "queue", "studio_executions_per_s": 200}
_flows = iter(range(20_000, 1_000_000))


def _script_names() -> dict[str, str]:
    names = {}
    for path in resources.files("queue_adapters.redis.lua").iterdir():
        if path.name.endswith(".lua"):
            sha = hashlib.sha1(path.read_text("utf-8").encode()).hexdigest()
            names[sha] = path.name.removesuffix(".lua")
    return names


@contextlib.asynccontextmanager
async def monitored(url: str, exclude: str) -> AsyncIterator[tuple[Counter[str], Counter[str]]]:
    """(top-level commands, commands run by scripts) seen while the block runs; the top-level
    ones of client `exclude` (address:port) left out. EVALSHA counts under its script's name."""
    scripts = _script_names()
    top: Counter[str] = Counter()
    inner: Counter[str] = Counter()
    client = Redis.from_url(url, decode_responses=True)
    ready = asyncio.Event()

    async def listen() -> None:
        async with client.monitor() as monitor:
            ready.set()
            while True:
                seen = await monitor.next_command()
                words = seen["command"].split(" ", 2)
                name = words[0].lower()
                if seen["client_type"] == "lua":
                    inner[name] += 1
                    continue
                if f"{seen['client_address']}:{seen['client_port']}" == exclude:
                    continue
                if name == "evalsha" and len(words) > 1:
                    name = f"evalsha {scripts.get(words[1], words[1][:8])}"
                top[name] += 1

    task = asyncio.create_task(listen())
    await ready.wait()
    await asyncio.sleep(0.2)
    try:
        yield top, inner
    finally:
        await asyncio.sleep(0.5)  # the log trails the commands a little
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.aclose()


async def _campaign(stack: Stack, budget: float, contacts: int) -> dict[str, Any]:
    """One campaign to `completed` on a packaged service; its commands and duration."""
    proc, _ = await stack.start_service({"QUEUE_ACCOUNT_CPS": f"{budget:g}"})
    own = Redis.from_url(stack.redis_url, decode_responses=True, single_connection_client=True)
    try:
        name = f"cost-{budget:g}"
        await write_execution(stack.redis, name, flow_sid(next(_flows)), contacts)
        address = str((await own.client_info())["addr"])
        async with monitored(stack.redis_url, address) as (top, inner):
            began = time.monotonic()
            await start(own, name)
            state = await wait_state(own, name, {QueueState.COMPLETED}, timeout_s=120)
            seconds = time.monotonic() - began
        status = await own.hgetall(f"queue:state:{{{name}}}")
    finally:
        await own.aclose()
        await stack.stop_service(proc)
    return {
        "budget": budget,
        "contacts": contacts,
        "state": state.value if state else None,
        "dispositions": int(status.get("dispositions", 0)),
        "seconds": seconds,
        "top_level": dict(top.most_common()),
        "inner": dict(inner.most_common()),
        "top_level_total": top.total(),
        "inner_total": inner.total(),
    }


async def _memory(stack: Stack, contacts: int) -> dict[str, Any]:
    await stack.redis.flushall()
    proc, _ = await stack.start_service(ceiling.SERVICE_ENV, uncapped=True, provisioned=False)
    try:
        used = [int((await stack.redis.info("memory"))["used_memory"])]
        name = "memory-1"
        await write_execution(stack.redis, name, flow_sid(next(_flows)), contacts)
        used.append(int((await stack.redis.info("memory"))["used_memory"]))
        await start(stack.redis, name)
        launched = await wait_launched(stack.redis, name, contacts, timeout_s=120)
        await asyncio.sleep(1.0)
        used.append(int((await stack.redis.info("memory"))["used_memory"]))
    finally:
        await stack.stop_service(proc)
    return {
        "contacts": contacts,
        "launched": launched,
        "used_memory": used,
        "cache_bytes_per_record": (used[1] - used[0]) / contacts,
        "bytes_per_contact_in_flight": (used[2] - used[0]) / contacts,
    }


# What the runner polls and the control consumer reads, whatever the contacts: the rest of a
# campaign's commands are the contacts' own lifecycle.
POLLING = frozenset(
    {"hgetall", "hget", "scard", "llen", "hvals", "xrange", "evalsha claimed", "xreadgroup"}
    | {"xautoclaim", "xack", "xadd", "sadd", "hset", "hello", "script", "client"}
)


async def run(workdir: Path, *, quick: bool) -> dict[str, Any]:
    """Measure; the figures as a JSON-ready dict."""
    contacts = 40 if quick else 300
    async with running_stack(workdir / "redis", time_scale=0.01, **EMULATOR) as stack:
        campaign = await _campaign(stack, 20, contacts)
        await stack.admin.configure(**ceiling.EMULATOR)
        memory = await _memory(stack, 300 if quick else 2000)
    top = campaign["top_level"]
    lifecycle = {name: n / contacts for name, n in top.items() if name not in POLLING}
    polling = {name: n / contacts for name, n in top.items() if name in POLLING}
    return {
        "campaign": campaign,
        "round_trips_per_contact": campaign["top_level_total"] / contacts,
        "lifecycle_round_trips_per_contact": sum(lifecycle.values()),
        "lifecycle_by_command": lifecycle,
        "polling_by_command": polling,
        "script_commands_per_contact": campaign["inner_total"] / contacts,
        "memory": memory,
    }
