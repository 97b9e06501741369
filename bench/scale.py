"""Part 5, scale: 1,000 executions running at once in one service process: its resident
memory, the spread of launch rates between executions of equal share, and the event loop's
scheduling delay.

The service is `python -m bench.uncapped` (20/s shared by 1,000 executions is one launch per
execution every 50 s; the cap lifted, QUEUE_ACCOUNT_CPS = 100 gives each 0.1/s). Fixed
pacing, equal cps_share, no Event Streams sink and no callstatus (the contacts stay in
flight; the process only launches). Every execution gets far more contacts than it can
launch, so none drains and leaves the share.

The run has two phases. Start: all start commands are sent at once; the run waits until every
execution has launched at least once (or `START_CAP_S`). Steady: `steady_s` more seconds, all
executions live with equal shares. Launches are paced one every 1/rate s, not at random, so an
execution's achieved rate is read from its own launch times at the emulator over the steady
window: (n - 1) / (last - first), for the executions with at least `MIN_LAUNCHES` launches in
it. The spread is each execution's rate against the median of all: the largest |rate /
median - 1|, an execution not measured counting as outside any goal.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from bench import ceiling
from bench.campaign import flow_sid, start, write_execution
from bench.measures import loop_lag, max_in_window, median, percentile, rate_by_spacing
from bench.stack import Stack, running_stack
from queue_adapters.redis import RedisKeys

__all__ = ["MIN_LAUNCHES", "execution_rates", "run", "spread"]

MIN_LAUNCHES = 3  # in the steady window: two spacings, so a rate is measured, not assumed
START_CAP_S = 240.0  # the start phase ends here even if some execution never launched
_POLL_S = 2.0
_FLOWS_FROM = 30_000


def execution_rates(
    times: Mapping[str, Sequence[float]], start: float, end: float, min_launches: int
) -> dict[str, float]:
    """Launches/s of each execution over its launches in [start, end]: (n - 1) / (last -
    first); only executions with at least `min_launches` (>= 2) launches there."""
    rates = {}
    for name, ts in times.items():
        inside = sorted(t for t in ts if start <= t <= end)
        if len(inside) >= max(2, min_launches):
            rates[name] = rate_by_spacing(inside)
    return rates


def spread(rates: Iterable[float], expected: int) -> dict[str, float]:
    """How far apart the rates of `expected` executions of equal share are, as fractions of
    their median: the largest |rate / median - 1| (inf when fewer than `expected` rates were
    measured: a missing execution is outside any goal), (max - min) / median and
    (p95 - p5) / median."""
    values = sorted(rates)
    if not values:
        nan = float("nan")
        return {"max_dev": nan, "range": nan, "p5_p95": nan}
    mid = median(values)
    worst = max(abs(values[0] / mid - 1), abs(values[-1] / mid - 1))
    return {
        "max_dev": worst if len(values) >= expected else float("inf"),
        "range": (values[-1] - values[0]) / mid,
        "p5_p95": (percentile(values, 95) - percentile(values, 5)) / mid,
    }


async def _progress(stack: Stack, names: Sequence[str]) -> tuple[int, int]:
    """(executions running or past it, executions that launched at least once), from the
    stored states: one pipelined read, so the poll adds little to the service's Redis."""
    keys = RedisKeys()
    pipe = stack.redis.pipeline(transaction=False)
    for name in names:
        pipe.hmget(keys.execution(name).state, ["state", "launched"])
    started = launched = 0
    for state, count in await pipe.execute():
        started += state is not None and state != "idle"
        launched += int(count or 0) > 0
    return started, launched


def _lease_losses(log: Path) -> int:
    """Runners that left an execution because its lease expired (the service logs each)."""
    if not log.exists():
        return 0
    return sum("lease on" in line and "lost" in line for line in log.open(errors="replace"))


async def _redis_counts(stack: Stack) -> tuple[int, int]:
    """(commands Redis has processed, slots the account's shared schedule has reserved)."""
    commands = int((await stack.redis.info("stats"))["total_commands_processed"])
    return commands, int(await stack.redis.get(RedisKeys().launch_seq) or 0)


async def run(workdir: Path, *, quick: bool) -> dict[str, Any]:
    """Measure; the figures as a JSON-ready dict."""
    executions, total, steady_s = (50, 25.0, 20.0) if quick else (1000, 100.0, 120.0)
    budget = total / executions
    # Far more than an execution launches: the first ones to start launch fast while few share
    # the account, and one that ran dry would drain and give its share away.
    contacts = int(budget * (START_CAP_S + steady_s) * 2) + 100
    where = workdir / "scale"
    lag = where / "lag.txt"
    names = [f"scale-{i}" for i in range(executions)]
    async with running_stack(where, **ceiling.EMULATOR) as stack:
        env = {**ceiling.SERVICE_ENV, "QUEUE_ACCOUNT_CPS": f"{total:g}"}
        proc, _ = await stack.start_service(
            {**env, "BENCH_LAG_FILE": str(lag)}, uncapped=True, provisioned=False
        )
        redis_ps = psutil.Process(int((await stack.redis.info("server"))["process_id"]))
        for i, name in enumerate(names):
            await write_execution(stack.redis, name, flow_sid(_FLOWS_FROM + i), contacts)
        rss_idle = proc.rss_mb()
        rss: list[float] = []
        progress: list[tuple[float, int, int]] = []
        began = time.monotonic()
        for name in names:
            await start(stack.redis, name)
        all_started = all_launched = float("nan")
        steady_from = began + START_CAP_S
        while time.monotonic() < steady_from:
            await asyncio.sleep(_POLL_S)
            rss.append(proc.rss_mb())
            started, launched = await _progress(stack, names)
            now = time.monotonic()
            progress.append((now - began, started, launched))
            if started == executions and math.isnan(all_started):
                all_started = now - began
            if launched == executions:
                all_launched = now - began
                steady_from = now
        cpu = (proc.cpu_s(), sum(redis_ps.cpu_times()[:2]), *await _redis_counts(stack))
        ended = steady_from + steady_s
        while time.monotonic() < ended:
            await asyncio.sleep(1.0)
            rss.append(proc.rss_mb())
        used = (proc.cpu_s(), sum(redis_ps.cpu_times()[:2]), *await _redis_counts(stack))
        stats = await stack.admin.stats()
        leases_lost = _lease_losses(proc.log_path)
    return _figures(
        stats=stats,
        names=names,
        flows={flow_sid(_FLOWS_FROM + i): name for i, name in enumerate(names)},
        window=(steady_from, ended, began),
        lag=lag,
        base={
            "executions": executions,
            "account_rate": total,
            "budget_each": budget,
            "contacts_each": contacts,
            "steady_s": steady_s,
            "start_cap_s": START_CAP_S,
            "min_launches": MIN_LAUNCHES,
            "all_started_after_s": all_started,
            "all_launched_after_s": all_launched,
            "progress": progress,
            "rss_idle_mb": rss_idle,
            "rss_peak_mb": max(rss, default=float("nan")),
            "service_cores_steady": (used[0] - cpu[0]) / steady_s,
            "redis_cores_steady": (used[1] - cpu[1]) / steady_s,
            "redis_commands_per_s_steady": (used[2] - cpu[2]) / steady_s,
            "slots_per_s_steady": (used[3] - cpu[3]) / steady_s,
            "leases_lost": leases_lost,
        },
    )


def _figures(
    *,
    stats: dict[str, Any],
    names: Sequence[str],
    flows: Mapping[str, str],
    window: tuple[float, float, float],
    lag: Path,
    base: dict[str, Any],
) -> dict[str, Any]:
    steady_from, ended, began = window
    times: dict[str, list[float]] = {name: [] for name in names}
    for e in stats["executions"]:
        name = flows.get(e["flow_sid"])
        if name is not None:
            times[name].append(e["created_monotonic"])
    firsts = [min(ts) - began for ts in times.values() if ts]
    rates = execution_rates(times, steady_from, ended, MIN_LAUNCHES)
    values = list(rates.values())
    every = sorted(t for ts in times.values() for t in ts)
    steady = [t for t in every if steady_from <= t <= ended]
    in_window = [sum(steady_from <= t <= ended for t in ts) for ts in times.values()]
    budget = base["budget_each"]
    return base | {
        "executions_launching": len(firsts),
        "first_launch_s": {
            "median": median(firsts),
            "max": max(firsts, default=float("nan")),
        },
        "ran_dry": sum(len(ts) >= base["contacts_each"] for ts in times.values()),
        "launches": len(every),
        "launches_steady": len(steady),
        "launches_each_steady": {
            "min": min(in_window, default=0),
            "median": median(in_window),
            "max": max(in_window, default=0),
        },
        "executions_measured": len(values),
        "account_rate_steady": len(steady) / (ended - steady_from),
        "max_launches_in_1s": max_in_window(every, 1.0),
        "rate_median": median(values),
        "rate_mean_over_budget": (sum(values) / len(values) / budget) if values else float("nan"),
        "rate_min": min(values, default=float("nan")),
        "rate_p5": percentile(values, 5),
        "rate_p95": percentile(values, 95),
        "rate_max": max(values, default=float("nan")),
        "spread": spread(values, len(names)),
        "loop_lag": loop_lag(lag, began, ended),
        "loop_lag_steady": loop_lag(lag, steady_from, ended),
    }
