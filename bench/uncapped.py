"""`python -m bench.uncapped`: `queue-service serve` with two bench-only changes, in-process.

1. Studio's limit is BENCH_STUDIO_CAP (through the service's QUEUE_STUDIO_EXECUTIONS_PER_S)
   instead of 20 executions/s, so that faster budgets can be measured.
2. When BENCH_LAG_FILE is set, a task samples the event loop's scheduling delay every 20 ms
   and appends "monotonic delay_s" lines to that file.
3. When BENCH_PROFILE is set, SIGUSR1 starts pyinstrument (every task of the loop's thread)
   and SIGUSR2 stops it and writes where the time went to that file.

Everything else is the packaged service, settings read from the environment as `serve` does.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from queue_app.logs import configure_logging
from queue_app.serve import _serve
from queue_app.settings import Settings

__all__ = ["main"]

_LAG_PERIOD_S = 0.02


def _lift_cap(cap: float) -> None:
    # The service's own setting for an account whose Studio limit Twilio raised.
    os.environ["QUEUE_STUDIO_EXECUTIONS_PER_S"] = f"{cap:g}"


async def _sample_lag(path: Path) -> None:
    with path.open("a", buffering=1) as out:
        lines: list[str] = []
        while True:
            asked = time.monotonic()
            await asyncio.sleep(_LAG_PERIOD_S)
            woke = time.monotonic()
            lines.append(f"{woke:.6f} {woke - asked - _LAG_PERIOD_S:.6f}\n")
            if len(lines) >= 25:
                out.writelines(lines)
                lines.clear()


def _profile_on_signals(path: Path) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.002, async_mode="disabled")

    def begin() -> None:
        if not profiler.is_running:
            profiler.start()

    def end() -> None:
        if not profiler.is_running:
            return
        profiler.stop()
        parts = []
        for flat_time in ("self", "total"):
            text = profiler.output_text(flat=True, flat_time=flat_time, show_all=True)
            parts.append(f"== flat, {flat_time} time ==\n" + "\n".join(text.splitlines()[:45]))
        path.write_text("\n\n".join(parts))
        profiler.reset()  # type: ignore[no-untyped-call]

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, begin)
    loop.add_signal_handler(signal.SIGUSR2, end)


async def _run(settings: Settings) -> None:
    lag_file = os.environ.get("BENCH_LAG_FILE")
    sampler = asyncio.create_task(_sample_lag(Path(lag_file))) if lag_file else None
    profile = os.environ.get("BENCH_PROFILE")
    if profile:
        _profile_on_signals(Path(profile))
    try:
        await _serve(settings)
    finally:
        if sampler is not None:
            sampler.cancel()


def main() -> None:
    _lift_cap(float(os.environ.get("BENCH_STUDIO_CAP", "20")))
    settings = Settings.from_env()
    settings.require_for_serve()
    configure_logging(settings.instance.log_level, json_lines=settings.instance.log_json)
    asyncio.run(_run(settings))


if __name__ == "__main__":
    main()
