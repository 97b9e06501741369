"""Part 2, the launch ceiling: the most launches/s one service process sustains, and its CPU
time per launch, against an emulator that answers at once and one that answers in 150 ms.

The service runs as `python -m bench.uncapped` (the packaged service with the 20/s Studio cap
lifted; QUEUE_ACCOUNT_CPS = 10000, its settings' maximum), so the budget never binds: what
binds is the process. No Event Streams sink is made and the emulator posts no callstatus, so
the process does what launching needs and nothing else: claim, reserve, create the Studio
execution, record. Each run gets a fresh service on a flushed Redis; the two answer delays
alternate run by run on the same emulator.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from bench.campaign import flow_sid, launch_times, start, wait_launched, write_execution
from bench.measures import loop_lag, median, rate_by_spacing
from bench.processes import Proc
from bench.stack import Stack, running_stack

__all__ = ["CONDITIONS", "EMULATOR", "SERVICE_ENV", "run"]

EMULATOR = {
    "account_cps": 100_000,
    "cps_mode": "queue",
    "studio_executions_per_s": 100_000,
    "time_scale": 0.001,
    "voice_events": False,
    "step_events": False,
    "callstatus_on": "none",
}
SERVICE_ENV = {"QUEUE_ACCOUNT_CPS": "10000", "BENCH_STUDIO_CAP": "100000"}
CONDITIONS = {"at once": 0.0, "150 ms": 0.15}
_flows = iter(range(10_000, 1_000_000))


async def _redis_pid(stack: Stack) -> int:
    return int((await stack.redis.info("server"))["process_id"])


async def _one_run(
    stack: Stack, delay_s: float, contacts: int, lag: Path, profile: Path | None = None
) -> dict[str, Any]:
    await stack.redis.flushall()
    await stack.admin.reset(sinks=True)
    await stack.admin.configure(response_delay_s=delay_s)
    env = {**SERVICE_ENV, "BENCH_LAG_FILE": str(lag)}
    if profile is not None:
        env["BENCH_PROFILE"] = str(profile)
    proc, _ = await stack.start_service(env, uncapped=True, provisioned=False)
    try:
        return await _measure(stack, proc, contacts, lag, profile)
    finally:
        await asyncio.to_thread(proc.stop)
        stack.services.remove(proc)


async def _measure(
    stack: Stack, proc: Proc, contacts: int, lag: Path, profile: Path | None
) -> dict[str, Any]:
    flow, name = flow_sid(next(_flows)), f"ceiling-{next(_flows)}"
    await write_execution(stack.redis, name, flow, contacts)
    redis_ps = psutil.Process(await _redis_pid(stack))
    cpu = (proc.cpu_s(), stack.emulator.cpu_s(), sum(redis_ps.cpu_times()[:2]))
    began = asyncio.get_running_loop().time()
    if profile is not None:
        proc.signal(signal.SIGUSR1)
    await start(stack.redis, name)
    launched = await wait_launched(stack.redis, name, contacts, timeout_s=120)
    if profile is not None:
        proc.signal(signal.SIGUSR2)
    wall = asyncio.get_running_loop().time() - began
    used = (proc.cpu_s(), stack.emulator.cpu_s(), sum(redis_ps.cpu_times()[:2]))
    times = launch_times(await stack.admin.stats(), flow)
    cut = len(times) // 10  # the middle 80%: no start-up, no tail
    steady = times[cut : len(times) - cut]
    if profile is not None:  # written on SIGUSR2; rendering a long session takes a while
        for _ in range(600):
            if await asyncio.to_thread(profile.exists):
                break
            await asyncio.sleep(0.1)
    return {
        "launched": launched,
        "created": len(times),
        "rate": rate_by_spacing(steady),
        "rate_whole_run": rate_by_spacing(times),
        "service_cpu_ms_per_launch": (used[0] - cpu[0]) * 1000 / max(1, len(times)),
        "service_cpu_share": (used[0] - cpu[0]) / wall,
        "emulator_cpu_share": (used[1] - cpu[1]) / wall,
        "redis_cpu_share": (used[2] - cpu[2]) / wall,
        "loop_lag": loop_lag(lag, steady[0], steady[-1]) if steady else {},
    }


async def run(workdir: Path, *, quick: bool) -> dict[str, Any]:
    """Measure; the figures as a JSON-ready dict."""
    runs, contacts = (1, 400) if quick else (3, 2000)
    where = workdir / "ceiling"
    async with running_stack(where, **EMULATOR) as stack:
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in CONDITIONS}
        for i in range(runs):
            for name, delay in CONDITIONS.items():
                lag = where / f"lag-{i}-{delay:g}.txt"
                results[name].append(await _one_run(stack, delay, contacts, lag))
        profiles = {}
        if not quick:
            for name, delay in list(CONDITIONS.items())[:1]:  # one: it takes a while
                path = where / f"profile-{delay:g}.txt"
                lag = where / f"lag-profiled-{delay:g}.txt"
                await _one_run(stack, delay, contacts, lag, profile=path)
                profiles[name] = str(path)
    return {
        "contacts_per_run": contacts,
        "conditions": {
            name: {
                "runs": rs,
                "median_rate": median([r["rate"] for r in rs]),
                "median_cpu_ms_per_launch": median([r["service_cpu_ms_per_launch"] for r in rs]),
                "median_service_cpu_share": median([r["service_cpu_share"] for r in rs]),
                "median_emulator_cpu_share": median([r["emulator_cpu_share"] for r in rs]),
            }
            for name, rs in results.items()
        },
        "profiles": profiles,
    }
