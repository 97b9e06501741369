"""Part 5, scale: 1,000 executions running at once in one service process: its resident
memory, the spread of launch rates between executions of equal share, and the event loop's
scheduling delay.

The service is `python -m bench.uncapped` (20/s shared by 1,000 executions is one launch per
execution every 50 s, too slow to measure a spread; the cap lifted, QUEUE_ACCOUNT_CPS = 100
gives each 0.1/s). Fixed pacing, equal cps_share, no Event Streams sink (the contacts stay in
flight; the process only launches). Rates are taken from the emulator's creation times, per
execution, over the window after the last execution launched its first contact.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import ceiling
from bench.campaign import flow_sid, start, write_execution
from bench.measures import loop_lag, max_in_window, median, percentile, rate_by_spacing
from bench.stack import running_stack

__all__ = ["run"]


async def run(workdir: Path, *, quick: bool) -> dict[str, Any]:
    """Measure; the figures as a JSON-ready dict."""
    executions, total, seconds = (50, 25.0, 10.0) if quick else (1000, 100.0, 45.0)
    where = workdir / "scale"
    lag = where / "lag.txt"
    async with running_stack(where, **ceiling.EMULATOR) as stack:
        env = {**ceiling.SERVICE_ENV, "QUEUE_ACCOUNT_CPS": f"{total:g}"}
        proc, _ = await stack.start_service(
            {**env, "BENCH_LAG_FILE": str(lag)}, uncapped=True, provisioned=False
        )
        rss_idle = proc.rss_mb()
        flows = {}
        per_execution = int(total / executions * (seconds + 30)) + 2
        for i in range(executions):
            name = f"scale-{i}"
            flows[flow_sid(30_000 + i)] = name
            await write_execution(stack.redis, name, flow_sid(30_000 + i), per_execution)
        began = time.monotonic()
        for name in flows.values():
            await start(stack.redis, name)
        rss: list[float] = []
        while time.monotonic() - began < seconds:
            await asyncio.sleep(1.0)
            rss.append(proc.rss_mb())
        ended = time.monotonic()
        stats = await stack.admin.stats()
        cpu_s = proc.cpu_s()
    by_flow: dict[str, list[float]] = defaultdict(list)
    for e in stats["executions"]:
        by_flow[e["flow_sid"]].append(e["created_monotonic"])
    firsts = [min(ts) for ts in by_flow.values()]
    window_from = max(firsts) if len(firsts) == executions else ended
    rates = []
    for ts in by_flow.values():
        steady = sorted(t for t in ts if t >= window_from)
        if len(steady) >= 2:
            rates.append(rate_by_spacing(steady))
    mean = sum(rates) / len(rates) if rates else float("nan")
    every = sorted(t for ts in by_flow.values() for t in ts)
    return {
        "executions": executions,
        "account_rate": total,
        "budget_each": total / executions,
        "seconds": seconds,
        "executions_launching": len(by_flow),
        "all_started_after_s": window_from - began,
        "executions_measured": len(rates),
        "rss_idle_mb": rss_idle,
        "rss_peak_mb": max(rss, default=float("nan")),
        "service_cpu_s": cpu_s,
        "rate_mean": mean,
        "rate_median": median(rates),
        "rate_min": min(rates, default=float("nan")),
        "rate_max": max(rates, default=float("nan")),
        "rate_p5": percentile(rates, 5),
        "rate_p95": percentile(rates, 95),
        "spread_max_dev": max((abs(r / mean - 1) for r in rates), default=float("nan")),
        "launches": len(every),
        "account_rate_achieved": rate_by_spacing([t for t in every if t >= window_from]),
        "max_launches_in_1s": max_in_window(every, 1.0),
        "loop_lag": loop_lag(lag, began, ended),
        "loop_lag_steady": loop_lag(lag, window_from, ended),
    }
