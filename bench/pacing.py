"""Part 1, pacing accuracy: launch rates at the emulator against the budget, and recovery
from a storm of 429 answers.

Budgets 1, 10 and 20/s run on `queue-service serve` as packaged (QUEUE_ACCOUNT_CPS = budget,
QUEUE_CPS_SHARE = 1); 100/s runs on `python -m bench.uncapped`, the same service with the
20/s Studio cap lifted (QUEUE_STUDIO_EXECUTIONS_PER_S). One execution at a time, fixed pacing, so
the budget is the only limit. The emulator's limits are set far above the budget (account CPS
1000, queue mode; 200 Studio executions/s) so that every launch the service sends is created
and timed, none hidden by a 429.

Launches are counted twice: at the emulator (the kernel's receive stamp of each create on its
socket, `twilio_emulator.arrivals`) and at the wire (`bench/wire.py`: the kernel's time of each
create on loopback, read by a packet socket of the bench's own).

Each run also records what launching took of the machine: CPU per launch of the service and
of the emulator (which stands in for Twilio but shares the cores), and how long the service
was runnable but waiting for a core (/proc schedstat). A rate missed while the service waited
far longer than it ran is the machine's shortfall, not the process's.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.campaign import (
    flow_sid,
    launch_times,
    start,
    wait_launched,
    wait_state,
    write_execution,
)
from bench.measures import max_in_window, median, rate_by_spacing, rate_series, recovery_s
from bench.processes import Proc
from bench.stack import Stack, running_stack
from bench.wire import captured
from queue_adapters.redis import RedisQueueStateStore
from queue_core.domain.state import QueueState

__all__ = ["EMULATOR", "fresh_service", "one_run", "run", "scheduled_s"]

EMULATOR = {
    "account_cps": 1000,
    "cps_mode": "queue",
    "studio_executions_per_s": 200,
    "time_scale": 0.01,
}
STORM_S = 2.0
_flows = iter(range(1, 1_000_000))


def scheduled_s(pid: int) -> tuple[float, float]:
    """(seconds on a CPU, seconds runnable but waiting for one) of every thread of `pid`, from
    /proc/<pid>/task/*/schedstat; nan when the kernel does not expose it."""
    ran = waited = 0.0
    try:
        for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
            on_cpu, waiting, _ = stat.read_text().split()
            ran += int(on_cpu) / 1e9
            waited += int(waiting) / 1e9
    except (OSError, ValueError):
        return math.nan, math.nan
    return (ran, waited) if ran else (math.nan, math.nan)


async def one_run(
    stack: Stack,
    name: str,
    budget: float,
    seconds: float,
    service: Proc | None = None,
    prepare: Callable[[Stack, str], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """One execution launched at `budget` for `seconds`; `prepare` runs after its document and
    cache are written and before its `start`."""
    flow = flow_sid(next(_flows))
    contacts = int(budget * seconds) + 1
    await write_execution(stack.redis, name, flow, contacts)
    if prepare is not None:
        await prepare(stack, name)
    pids = (service.pid if service else 0, stack.emulator.pid)
    before = [scheduled_s(pid) for pid in pids]
    with captured(urlsplit(stack.admin.base_url).port or 0) as wire:
        await start(stack.redis, name)
        await wait_launched(stack.redis, name, contacts, timeout_s=seconds * 2 + 20)
        await asyncio.sleep(0.3)  # the capture thread reads the last segments
        sent = wire.times(flow)
    after = [scheduled_s(pid) for pid in pids]
    (svc_ran, svc_waited), (emu_ran, _) = (
        (a[0] - b[0], a[1] - b[1]) for a, b in zip(after, before, strict=True)
    )
    times = launch_times(await stack.admin.stats(), flow)
    settled = await _settled(stack, name)
    most = max_in_window(times, 1.0)
    most_sent = max_in_window(sent, 1.0) if len(sent) == len(times) else None
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return {
        "launches": len(times),
        "contacts": contacts,
        "dispositions_3s_after": settled,
        "min_gap_s": min(gaps, default=float("nan")),
        "rate": rate_by_spacing(times),
        "mean_ratio": rate_by_spacing(times) / budget,
        "max_in_1s": most,
        "max1s_ratio": most / budget,
        # At the wire: the kernel's time of each create on loopback (None: not captured).
        "max_in_1s_sent": most_sent,
        "max1s_sent_ratio": None if most_sent is None else most_sent / budget,
        "wire": wire.why_not or f"{len(sent)} of {len(times)} creates seen",
        "service_cpu_ms_per_launch": svc_ran * 1000 / max(1, len(times)),
        "emulator_cpu_ms_per_launch": emu_ran * 1000 / max(1, len(times)),
        "service_ran_s": svc_ran,
        "service_waited_s": svc_waited,
        "series": rate_series(times, times[0], times[-1]) if times else [],
    }


async def _settled(stack: Stack, name: str) -> int:
    """Let the calls of a run finish (3 s at most); how many dispositions it got."""
    await wait_state(stack.redis, name, {QueueState.COMPLETED}, timeout_s=3)
    status = await RedisQueueStateStore(stack.redis).load(name)
    return status.dispositions if status else 0


async def _storm_run(stack: Stack, name: str, budget: float, seconds: float) -> dict[str, Any]:
    flow = flow_sid(next(_flows))
    contacts = int(budget * seconds) + 1
    await write_execution(stack.redis, name, flow, contacts)
    await start(stack.redis, name)
    await asyncio.sleep(3.0)
    before = time.monotonic()
    await stack.admin.configure(force_429_for_s=STORM_S)
    storm_start = (before + time.monotonic()) / 2
    storm_end = storm_start + STORM_S
    await wait_launched(stack.redis, name, contacts, timeout_s=seconds * 3 + 30)
    stats = await stack.admin.stats()
    times = launch_times(stats, flow)
    first = times[0] if times else storm_start
    return {
        "launches": len(times),
        "answered_429": stats["answered_429"],
        "recovery_s": recovery_s(times, storm_end, budget),
        "storm_from_s": storm_start - first,
        "storm_to_s": storm_end - first,
        "series": rate_series(times, first, times[-1]) if times else [],
    }


async def _budget(
    stack: Stack, budget: float, runs: int, seconds: float, *, uncapped: bool
) -> dict[str, Any]:
    env = {"QUEUE_ACCOUNT_CPS": f"{budget:g}"}
    if uncapped:
        env["BENCH_STUDIO_CAP"] = "1000"
    results = []
    for i in range(runs):
        proc = await fresh_service(stack, env, uncapped=uncapped)
        try:
            name = f"pace-{budget:g}-{i}"
            results.append(await one_run(stack, name, budget, seconds, service=proc))
        finally:
            await stack.stop_service(proc)
    return {
        "budget": budget,
        "command": "python -m bench.uncapped" if uncapped else "queue-service serve",
        "seconds": seconds,
        "runs": [{k: v for k, v in r.items() if k != "series"} for r in results],
        "median_mean_ratio": median([r["mean_ratio"] for r in results]),
        "median_max1s_ratio": median([r["max1s_ratio"] for r in results]),
        "sent_measured": all(r["max1s_sent_ratio"] is not None for r in results),
        "median_service_cpu_ms": median([r["service_cpu_ms_per_launch"] for r in results]),
        "median_emulator_cpu_ms": median([r["emulator_cpu_ms_per_launch"] for r in results]),
        "series": results[0]["series"],
    }


async def fresh_service(stack: Stack, env: dict[str, str], *, uncapped: bool = False) -> Proc:
    """A new service on an empty Redis: every run alone on the account. (A live execution of
    an earlier run, even one with nothing left to launch, would take a share of the budget.)"""
    await stack.redis.flushall()
    proc, _ = await stack.start_service(env, uncapped=uncapped)
    return proc


async def _storm(stack: Stack, budget: float, runs: int, seconds: float) -> dict[str, Any]:
    results = []
    for i in range(runs):
        proc = await fresh_service(stack, {"QUEUE_ACCOUNT_CPS": f"{budget:g}"})
        try:
            results.append(await _storm_run(stack, f"storm-{i}", budget, seconds))
        finally:
            await stack.stop_service(proc)
    return {
        "budget": budget,
        "storm_s": STORM_S,
        "runs": [{k: v for k, v in r.items() if k != "series"} for r in results],
        "median_recovery_s": median([r["recovery_s"] for r in results]),
        "series": results[0]["series"],
        "storm_from_s": results[0]["storm_from_s"],
        "storm_to_s": results[0]["storm_to_s"],
    }


async def run(workdir: Path, *, quick: bool) -> dict[str, Any]:
    """Measure; the figures as a JSON-ready dict."""
    async with running_stack(workdir / "pacing", **EMULATOR) as stack:
        if quick:
            budgets = [await _budget(stack, 10, 1, 3.0, uncapped=False)]
            return {"budgets": budgets, "storm": None}
        budgets = [
            await _budget(stack, 1, 3, 10.0, uncapped=False),
            await _budget(stack, 10, 3, 8.0, uncapped=False),
            await _budget(stack, 20, 3, 8.0, uncapped=False),
            await _budget(stack, 100, 3, 6.0, uncapped=True),
        ]
        storm = await _storm(stack, 20, 3, 14.0)
        return {"budgets": budgets, "storm": storm}
