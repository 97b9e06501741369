"""`queue-service demo`: a whole campaign on an embedded Redis and the built-in Twilio emulator.

It starts a private `redis-server`, the emulator and the service (in this process), writes a
campaign execution, its contact cache and agent stats, sends `start`, shows the campaign live,
and prints a summary once `completed` arrives. Exit 0 when every contact got exactly one
disposition and the launches never went above the budget.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from queue_adapters.redis import RedisActiveCallRegistry, connect
from queue_app.app import create_app
from queue_app.client import QueueClient
from queue_app.embedded_redis import embedded_redis
from queue_app.settings import Settings
from queue_core.domain.budget import account_rate
from twilio_emulator import EmulatorConfig
from twilio_emulator.config import updated_config
from twilio_emulator.server import running_emulator, serving

__all__ = ["DemoOptions", "run_demo"]

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
        weights = {}
        for part in filter(None, outcomes.split(",")):
            name, _, weight = part.partition("=")
            weights[name.strip()] = float(weight)
        if contacts < 1 or agents < 0 or cps <= 0 or time_scale <= 0:
            raise ValueError("contacts >= 1, agents >= 0, cps > 0 and time scale > 0")
        return cls(contacts, agents, cps, weights, time_scale, mode, twilio_sources)


def _settings(
    redis_url: str, emulator_url: str, sid: str, token: str, cps: float, sources: str
) -> Settings:
    return Settings.from_env(
        redis_url=redis_url,
        twilio_account_sid=sid,
        twilio_auth_token=token,
        twilio_base_url=emulator_url,
        public_base_url="http://127.0.0.1:0",  # replaced once the port is known
        account_cps=cps,
        cps_share=CPS_SHARE,
        poll_interval_s=0.1,
        contact_timeout_s=600.0,
        instance_id="demo",
        shutdown_grace_s=1.0,
        # What an operator sets when no voice event reaches the sink.
        expect_voice_events=sources != "studio-only",
        # Likewise for TaskRouter's events: the built-in emulator has no call centre.
        expect_task_events=False,
    )


async def run_demo(options: DemoOptions, console: Console) -> int:
    with embedded_redis() as redis_url:
        config = EmulatorConfig(
            account_cps=options.cps,
            time_scale=1.0 / options.time_scale,
            outcome_weights=options.weights,
            seed=42,
        )
        config = updated_config(config, {"sources": options.twilio_sources})
        async with running_emulator(config) as emulator:
            port = _free_port()
            settings = _settings(
                redis_url,
                emulator.base_url,
                emulator.account_sid,
                emulator.auth_token,
                options.cps,
                options.twilio_sources,
            ).model_copy(update={"public_base_url": f"http://127.0.0.1:{port}"})
            app = create_app(settings)
            async with serving(app, port=port):
                return await _campaign(options, settings, emulator, console)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _campaign(
    options: DemoOptions, settings: Settings, emulator: Any, console: Console
) -> int:
    redis = await connect(settings.redis_url)
    try:
        await _write_campaign(redis, options)
        client = QueueClient(redis)
        agents = asyncio.create_task(_agents(redis, options.agents))
        started = time.monotonic()
        await client.start(EXECUTION, request_id="demo")
        budget = account_rate(options.cps, CPS_SHARE)
        by_status: Counter[str] = Counter()
        last_id = "0"
        rates: list[tuple[float, int]] = []
        with Live(console=console, refresh_per_second=8, transient=False) as live:
            while True:
                answer: Any = await redis.xread({"call_dispositions": last_id}, count=1000)
                for _stream, entries in answer or []:
                    for entry_id, fields in entries:
                        last_id = entry_id
                        by_status[fields["status"]] += 1
                report = await client.status(EXECUTION)
                now = time.monotonic()
                launched = report.launched if report else 0
                rates.append((now, launched))
                rates = [(t, n) for t, n in rates if now - t <= 2.0]
                rate = (launched - rates[0][1]) / max(1e-9, now - rates[0][0])
                live.update(_view(options, report, by_status, rate, budget, now - started))
                if report is not None and report.state.value in ("completed", "failed", "stopped"):
                    break
                if now - started > TIME_LIMIT_S:
                    console.print("[red]the campaign did not complete in time[/red]")
                    return 1
                await asyncio.sleep(0.25)
        agents.cancel()
        elapsed = time.monotonic() - started
        stats = emulator.stats()
        return _summary(console, options, report, by_status, stats, budget, elapsed)
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


async def _agents(redis: Any, agents: int) -> None:
    """The stats service's part: agents not talking to a contact are available."""
    calls = RedisActiveCallRegistry(redis)
    while True:
        talking = await calls.answered(EXECUTION)
        stats = {
            "total_available_workers": max(0, agents - talking),
            "tasks_by_status": {"pending": 0, "reserved": 0},
            "longest_task_waiting_age": 0,
            "timestamp": time.time(),
        }
        await redis.hset("task_queue_stats", QUEUE, json.dumps(stats))
        await asyncio.sleep(0.25)


def _view(
    options: DemoOptions,
    report: Any,
    by_status: Counter[str],
    rate: float,
    budget: float,
    elapsed: float,
) -> Group:
    head = Table.grid(padding=(0, 2))
    head.add_row("execution", EXECUTION, "state", report.state.value if report else "starting")
    head.add_row("elapsed", f"{elapsed:5.1f} s", "mode", options.mode)
    head.add_row(
        "launched",
        f"{report.launched if report else 0} / {options.contacts}",
        "in flight",
        str(report.active if report else 0),
    )
    head.add_row("launch rate", f"{rate:5.2f}/s", "budget", f"{budget:5.2f}/s")
    table = Table("status", "dispositions", title="Dispositions")
    for status, count in sorted(by_status.items()):
        table.add_row(status, str(count))
    table.add_row("[b]total[/b]", f"[b]{sum(by_status.values())}[/b]")
    return Group(head, table)


def _summary(
    console: Console,
    options: DemoOptions,
    report: Any,
    by_status: Counter[str],
    stats: dict[str, Any],
    budget: float,
    elapsed: float,
) -> int:
    total = sum(by_status.values())
    most = int(stats["max_launches_in_1s"])
    ok = (
        report is not None
        and report.state.value == "completed"
        and total == options.contacts
        and report.dispositions == options.contacts
    )
    table = Table("", "", title="Summary")
    table.add_row("contacts", str(options.contacts))
    table.add_row("Twilio sources", options.twilio_sources)
    table.add_row(
        "dispositions", f"{total} (one per contact: {'yes' if total == options.contacts else 'NO'})"
    )
    table.add_row("launched", str(report.launched if report else 0))
    table.add_row("most launches in any second", f"{most} (budget {budget:.2f}/s)")
    table.add_row("429 answers", str(stats["answered_429"]))
    table.add_row("took", f"{elapsed:.1f} s")
    table.add_row("final state", report.state.value if report else "unknown")
    console.print(table)
    return 0 if ok else 1
