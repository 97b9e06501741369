"""`queue-service demo`: a whole campaign on an embedded Redis and the built-in Twilio emulator.

It starts a private `redis-server`, the emulator (whose call centre has `--agents` agents and
writes their queue's stats) and the service (in this process), writes a campaign execution and
its contact cache, sends `start`, shows the campaign live (with agents: their occupancy and the
abandoned calls too), and prints a summary once `completed` arrives. Exit 0 when every contact
got exactly one disposition and the launches never went above the budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from queue_adapters.redis import connect
from queue_app.app import create_app
from queue_app.client import QueueClient
from queue_app.demo_view import DemoDisplay, OccupancyMeter, Progress, summary_rows
from queue_app.embedded_redis import embedded_redis
from queue_app.settings import Settings
from queue_core.domain.launch_schedule import account_rate
from twilio_emulator import CallCentreConfig, EmulatorConfig
from twilio_emulator.config import OUTCOMES, updated_config
from twilio_emulator.server import EmulatorHandle, bound_socket, running_emulator, serving

__all__ = ["DemoOptions", "no_agents", "parse_outcomes", "run_demo"]

EXECUTION = "demo-1"
FLOW = "FW" + "d" * 32
QUEUE = "WQ" + "d" * 32
FROM = "+15005550006"
CPS_SHARE = 0.9
TIME_LIMIT_S = 600.0


@dataclass(frozen=True, slots=True)
class DemoOptions:
    contacts: int
    agents: int
    cps: float
    weights: dict[str, float]
    time_scale: float
    mode: str
    twilio_sources: str = "description"  # a preset of the emulator's `sources`

    @classmethod
    def parse(
        cls,
        contacts: int,
        agents: int,
        cps: float,
        outcomes: str,
        time_scale: float,
        mode: str,
        twilio_sources: str = "description",
    ) -> DemoOptions:
        """Checked options; raises `ValueError` saying which one is wrong and why."""
        weights = parse_outcomes(outcomes)
        if contacts < 1:
            raise ValueError(f"contacts: at least 1, not {contacts}")
        if agents < 0 or (agents == 0 and mode != "fixed"):
            raise ValueError(f"agents: {no_agents(agents, mode)}")
        if not all(math.isfinite(x) and x > 0 for x in (cps, time_scale)):
            raise ValueError(f"cps ({cps}) and time scale ({time_scale}): numbers above 0")
        return cls(contacts, agents, cps, weights, time_scale, mode, twilio_sources)


def no_agents(agents: int, mode: str) -> str:
    """Why `agents` cannot run a demo in `mode`."""
    if agents < 0:
        return f"{agents} is below 0"
    return (
        f"with {agents} agents {mode} pacing would launch nothing (it dials only for free "
        "agents): give at least 1, or --mode fixed (which keeps calls in flight without agents)"
    )


def parse_outcomes(text: str) -> dict[str, float]:
    """`human=55,busy=10,...` as weights by outcome; raises `ValueError` saying what is wrong.

    Each outcome is one the emulator plays, at most once, with a finite weight >= 0; at least
    one weight is above 0. Outcomes left out get no calls.
    """
    weights: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sign, value = (s.strip() for s in part.partition("="))
        if not sign:
            raise ValueError(f"{part!r} is not NAME=WEIGHT (e.g. human=55,busy=10)")
        if name not in OUTCOMES:
            raise ValueError(f"{name!r} is not an outcome: one of {', '.join(OUTCOMES)}")
        if name in weights:
            raise ValueError(f"{name!r} is given twice")
        try:
            weight = float(value)
        except ValueError:
            raise ValueError(f"{name}={value!r}: the weight is not a number") from None
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"{name}={value}: the weight must be a number >= 0")
        weights[name] = weight
    if not weights or sum(weights.values()) <= 0:
        raise ValueError("at least one outcome needs a weight above 0")
    return weights


def _settings(
    redis_url: str,
    emulator_url: str,
    sid: str,
    token: str,
    cps: float,
    sources: str,
    agents: int,
) -> Settings:
    return Settings.from_env(
        QUEUE_REDIS_URL=redis_url,
        TWILIO_ACCOUNT_SID=sid,
        TWILIO_AUTH_TOKEN=token,
        QUEUE_TWILIO_BASE_URL=emulator_url,
        QUEUE_PUBLIC_BASE_URL="http://127.0.0.1:0",  # replaced once the port is known
        QUEUE_ACCOUNT_CPS=cps,
        QUEUE_CPS_SHARE=CPS_SHARE,
        QUEUE_POLL_INTERVAL_S=0.1,
        QUEUE_CONTACT_TIMEOUT_S=600.0,
        QUEUE_INSTANCE_ID="demo",
        QUEUE_ADMIN_PORT=0,  # the live page on any free port
        QUEUE_SHUTDOWN_GRACE_S=1.0,
        # What an operator sets when no voice event reaches the sink.
        QUEUE_EXPECT_VOICE_EVENTS=sources != "studio-only",
        # TaskRouter's events come from the emulator's call centre, when it has agents.
        QUEUE_EXPECT_TASK_EVENTS=agents > 0,
    )


async def run_demo(options: DemoOptions, console: Console) -> int:
    with embedded_redis() as redis_url:
        config = EmulatorConfig(
            account_cps=options.cps,
            time_scale=1.0 / options.time_scale,
            outcome_weights=options.weights,
            seed=42,
            callcentre=_call_centre(options.agents, redis_url),
        )
        config = updated_config(config, {"sources": options.twilio_sources})
        # The service's socket is bound before the app exists (its settings name its own
        # URL) and kept until it serves: no other process can take the port in between.
        async with running_emulator(config) as emulator:
            with contextlib.closing(bound_socket("127.0.0.1", 0)) as listener:
                port = int(listener.getsockname()[1])
                settings = _settings(
                    redis_url,
                    emulator.base_url,
                    emulator.account_sid,
                    emulator.auth_token,
                    options.cps,
                    options.twilio_sources,
                    options.agents,
                ).updated(QUEUE_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
                app = create_app(settings, owns_process=False)
                async with serving(app, listener=listener):
                    return await _campaign(options, settings, emulator, console)


def _call_centre(agents: int, redis_url: str) -> CallCentreConfig:
    """The emulator's call centre: `agents` take the person-answered calls, and their queue's
    stats go to `task_queue_stats` as the stats service would write them."""
    return CallCentreConfig(
        enabled=agents > 0,
        agents=agents,
        task_queue_sid=QUEUE,
        stats_redis_url=redis_url,
        stats_every_s=0.25,
    )


class _Watch:
    """Follows the campaign as the demo shows it: the stored state and counts, dispositions
    by status, the launch rate over the last 2 s, and the agents' occupancy."""

    def __init__(self, options: DemoOptions, redis: Any, emulator: EmulatorHandle) -> None:
        self.options = options
        self.client = QueueClient(redis)
        self.by_status: Counter[str] = Counter()
        self._redis, self._emulator = redis, emulator
        self._last_id = "0"
        self._rates: list[tuple[float, int]] = []
        self._meter = OccupancyMeter() if options.agents > 0 else None
        self.started = time.monotonic()

    async def progress(self) -> Progress:
        answer: Any = await self._redis.xread({"call_dispositions": self._last_id}, count=1000)
        for _stream, entries in answer or []:
            for entry_id, fields in entries:
                self._last_id = entry_id
                self.by_status[fields["status"]] += 1
        report = await self.client.status(EXECUTION)
        now = time.monotonic()
        launched = report.launched if report else 0
        self._rates.append((now, launched))
        self._rates = [(t, n) for t, n in self._rates if now - t <= 2.0]
        rate = (launched - self._rates[0][1]) / max(1e-9, now - self._rates[0][0])
        centre = None
        if self._meter is not None:
            view = self._emulator.callcentre_stats()
            centre = self._meter.add(now, view["talk_s"], view["staffed_s"])
        options = self.options
        budget = account_rate(options.cps, CPS_SHARE)
        return Progress(
            EXECUTION,
            options.mode,
            options.contacts,
            report,
            Counter(self.by_status),
            rate,
            budget,
            now - self.started,
            centre,
        )

    async def follow(self, display: DemoDisplay) -> Progress | None:
        """Show the campaign until it ends; its last progress, None past the time limit."""
        while True:
            progress = await self.progress()
            display.show(progress)
            if progress.state in ("completed", "failed", "stopped"):
                return progress
            if progress.elapsed > TIME_LIMIT_S:
                return None
            await asyncio.sleep(0.25)


async def _campaign(
    options: DemoOptions, settings: Settings, emulator: EmulatorHandle, console: Console
) -> int:
    redis = await connect(settings.redis.url)
    try:
        await _write_campaign(redis, options)
        watch = _Watch(options, redis, emulator)
        await watch.client.start(EXECUTION, request_id="demo")
        with DemoDisplay(console) as display:
            last = await watch.follow(display)
        if last is None:
            console.print("[red]the campaign did not complete in time[/red]")
            return 1
        report, by_status = last.report, watch.by_status
        stats = emulator.stats()
        rows = summary_rows(
            options.contacts,
            options.twilio_sources,
            report,
            by_status,
            stats,
            last.budget,
            last.elapsed,
            last.centre,
        )
        display.summary(rows)
        ok = (
            report is not None
            and report.state.value == "completed"
            and sum(by_status.values()) == options.contacts
            and report.dispositions == options.contacts
        )
        return 0 if ok else 1
    finally:
        await redis.aclose()


async def _write_campaign(redis: Any, options: DemoOptions) -> None:
    document = {
        "campaign_execution_id": EXECUTION,
        "studio_flow_sid": FLOW,
        "from_number": FROM,
        "task_queue_sid": QUEUE,
        "pacing": {"mode": options.mode, "dial_ratio": 1.5, "max_concurrent_calls": 100},
    }
    await redis.set(f"campaign_execution:{EXECUTION}", json.dumps(document))
    records = [
        json.dumps(
            {
                "record_id": f"r-{i:05d}",
                "phone_number": f"+1415{5550000 + i:07d}",
                "attributes": {"first_name": f"Contact {i}"},
            }
        )
        for i in range(options.contacts)
    ]
    key = f"campaign_cache:{{{EXECUTION}}}"
    for start in range(0, len(records), 1000):
        await redis.rpush(key, *records[start : start + 1000])
