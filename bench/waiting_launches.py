"""The launch rate of `serve` while its execution holds 10,000 records in its waiting set
(part 7, the dialing rules): the pacing part's run at 100/s (`bench.pacing.one_run`, the bench
variant with Studio's cap lifted), once with an empty waiting set and once with 10,000 records
waiting for a window that opens a day later, the dialing rules on in both (a retry policy).
The runner reads its waiting set only when a record is due, or every 2 s for when the next
one is, so the records waiting should cost its launches nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.measures import median
from bench.pacing import EMULATOR, fresh_service, one_run
from bench.stack import Stack, running_stack
from queue_adapters.redis import RedisContactCache, RedisWaitingRecords

__all__ = ["launch_rates"]

BUDGET = 100.0
RETRY = {"max_attempts": 2, "after_s": {"busy": 86_400}}


def _with_rules(waiting: int) -> Callable[[Stack, str], Awaitable[None]]:
    """A `prepare` for `one_run`: the retry policy on, and `waiting` records in the waiting
    set, due a day later (claimed from the cache's head by another owner, then deferred)."""

    async def prepare(stack: Stack, name: str) -> None:
        key = f"campaign_execution:{name}"
        stored = await stack.redis.get(key)
        assert stored is not None, key
        document = json.loads(stored)
        await stack.redis.set(key, json.dumps({**document, "retry": RETRY}))
        if not waiting:
            return
        cache_key = f"campaign_cache:{{{name}}}"
        filler = [
            json.dumps({"record_id": f"w-{i}", "phone_number": f"+1212555{i:04d}"})
            for i in range(waiting)
        ]
        for first in range(0, waiting, 1000):
            await stack.redis.lpush(cache_key, *reversed(filler[first : first + 1000]))
        now = time.time()
        claimed = await RedisContactCache(stack.redis).claim(name, "bench-filler", waiting, now)
        deferred = [(record, now + 86_400) for record in claimed]
        await RedisWaitingRecords(stack.redis).defer(name, deferred)

    return prepare


async def launch_rates(workdir: Path, *, quick: bool) -> dict[str, Any]:
    """Median mean rate / budget and most creates in 1 s / budget, per waiting count."""
    runs, seconds = (1, 3.0) if quick else (3, 6.0)
    env = {"QUEUE_ACCOUNT_CPS": f"{BUDGET:g}", "BENCH_STUDIO_CAP": "1000"}
    figures: dict[str, Any] = {"budget": BUDGET, "runs": runs, "seconds": seconds}
    async with running_stack(workdir / "waiting-launches", **EMULATOR) as stack:
        for waiting in (0, 10_000):
            results = []
            for i in range(runs):
                proc = await fresh_service(stack, env, uncapped=True)
                try:
                    name = f"wait-{waiting}-{i}"
                    results.append(
                        await one_run(stack, name, BUDGET, seconds, proc, _with_rules(waiting))
                    )
                finally:
                    await stack.stop_service(proc)
            figures[str(waiting)] = {
                "mean_ratio": median([r["mean_ratio"] for r in results]),
                "max1s_ratio": median([r["max1s_ratio"] for r in results]),
                "launches": [r["launches"] for r in results],
            }
    return figures
