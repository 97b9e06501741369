"""Everything one emulator instance holds: settings, resources, logs, counters, background work.

All of it lives on the event loop of the app; handlers change it without awaiting in between,
so each check-and-change (rate limits, the one-active-execution-per-pair rule) is atomic.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from twilio_emulator._wire import new_sid
from twilio_emulator.arrivals import Arrivals
from twilio_emulator.callcentre import CallCentre
from twilio_emulator.config import EmulatorConfig
from twilio_emulator.delivery import EventDelivery
from twilio_emulator.launches import LaunchLog
from twilio_emulator.queue_stats import QueueStatsWriter
from twilio_emulator.resources import Execution, Sink, Subscription

if TYPE_CHECKING:
    from twilio_emulator.flow import CallFlow
    from twilio_emulator.openapi import Exchange

__all__ = ["EmulatorState", "Faults"]


@dataclass(slots=True)
class Faults:
    """One-shot faults armed at run time (`POST /_emulator/config`)."""

    force_429_until: float = 0.0  # monotonic deadline
    fail_next: int = 0  # next N requests in the fault scope answer 5xx
    drop_next_creates: int = 0  # next N creations lose their answer


class EmulatorState:
    """Everything one emulator holds: executions, sinks, limits, faults, pending work."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.faults = Faults()
        # Seeded simulation, no secrets. Separate sources, so that timing-dependent draws
        # (delivery, faults) do not shift the SIDs that follow from the requests' order.
        self.rng = random.Random(config.seed)  # noqa: S311
        self.delivery_rng = random.Random(f"{config.seed}:delivery")  # noqa: S311
        self.fault_rng = random.Random(f"{config.seed}:faults")  # noqa: S311
        self.executions: dict[str, Execution] = {}
        self.active_pairs: dict[tuple[str, str], str] = {}
        self.sinks: dict[str, Sink] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.launches = LaunchLog()
        self.calls = LaunchLog()
        self.arrivals = Arrivals()  # when requests reached the listening socket, if it notes it
        self.counters: Counter[str] = Counter()
        self.violations: list[str] = []
        self.unchecked: list[Exchange] = []  # exchanges kept for the OpenAPI check
        self.http: httpx.AsyncClient | None = None
        self.delivery = EventDelivery(self)
        self.flows: dict[str, CallFlow] = {}  # execution SID -> its flow, while it runs
        self.callcentre = CallCentre(self)
        self.stats_writer = QueueStatsWriter(self)
        self.busy = 0  # units of background work not yet finished (see `wait_idle`)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the outgoing HTTP client (webhooks go to loopback only: no proxies), start
        the call centre and its stats writer when they are on."""
        if self.http is None:
            self.http = httpx.AsyncClient(trust_env=False)
        self.callcentre.start()
        self.stats_writer.reconfigure(None)

    def reconfigure(self, config: EmulatorConfig) -> None:
        """Take new settings while running; the call centre follows their changes."""
        old, self.config = self.config, config
        self.callcentre.reconfigure(old.callcentre)
        self.stats_writer.reconfigure(old.callcentre)

    async def aclose(self) -> None:
        """Cancel background work and close the HTTP client."""
        self.callcentre.close()
        self.stats_writer.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.http is not None:
            await self.http.aclose()
            self.http = None

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `coro` in the background, kept until it ends; it counts as work (`idle`)."""
        task = asyncio.get_running_loop().create_task(coro)
        self.work_started()
        task.add_done_callback(lambda _: self.work_done())
        self.track(task)
        return task

    def track(self, task: asyncio.Task[Any]) -> None:
        """Keep `task` until it ends and cancel it on `aclose`; it does not count as work."""
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # A bug in the emulator, not a simulated fault: make it visible in the stats.
            self.counters["background_errors"] += 1
            self.violations.append(f"emulator background task failed: {task.exception()!r}")

    def work_started(self, units: int = 1) -> None:
        self.busy += units
        self._idle.clear()

    def work_done(self, units: int = 1) -> None:
        self.busy -= units
        if self.busy <= 0:
            self.busy = 0
            self._idle.set()

    async def wait_idle(self) -> None:
        """Return once no call is playing out and no webhook waits to be delivered."""
        while self.busy:
            await self._idle.wait()
            # Finishing work may schedule more (a delivery after a call ends): look again.
            await asyncio.sleep(0)

    # --- executions ------------------------------------------------------------------------

    def create_execution(
        self, flow_sid: str, to: str, from_: str, parameters: dict[str, Any], now: float
    ) -> Execution:
        """Record a new active execution created at monotonic `now`, and its call's start."""
        wall = time.time()
        execution = Execution(
            sid=new_sid(self.rng, "FN"),
            account_sid=self.config.account_sid,
            flow_sid=flow_sid,
            contact_sid=new_sid(self.rng, "FC"),
            request_sid=new_sid(self.rng, "RQ"),
            to=to,
            from_=from_,
            parameters=parameters,
            index=len(self.launches),
            created_wall=wall,
            created_monotonic=now,
            updated_wall=wall,
        )
        self.launches.record(now)
        call_at = now + self.config.dial_delay_s * self.config.time_scale
        if self.config.cps_mode == "queue":
            limit, window = self.config.cps_window
            call_at = self.calls.next_slot(call_at, limit, window)
        self.calls.record(call_at)
        execution.call_at_monotonic = call_at
        self.executions[execution.sid] = execution
        self.active_pairs[(to, from_)] = execution.sid
        self.counters["executions_created"] += 1
        return execution

    def end_execution(self, execution: Execution, reason: str) -> None:
        execution.status = "ended"
        execution.ended_reason = reason
        execution.updated_wall = time.time()
        if self.active_pairs.get((execution.to, execution.from_)) == execution.sid:
            del self.active_pairs[(execution.to, execution.from_)]

    def execution_rng(self, execution: Execution, part: str = "") -> random.Random:
        """A random source of its own per execution (and `part` of it, such as its agent
        leg): outcomes do not depend on timing."""
        suffix = f":{part}" if part else ""
        return random.Random(f"{self.config.seed}:{execution.index}{suffix}")  # noqa: S311

    def checked_violations(self) -> list[str]:
        """Check the exchanges kept since the last call against the specs; all violations."""
        if self.unchecked:
            from twilio_emulator.openapi import check_exchange  # needs openapi-core

            pending, self.unchecked = self.unchecked, []
            for exchange in pending:
                self.violations.extend(check_exchange(exchange))
        return list(self.violations)

    # --- event routing ---------------------------------------------------------------------

    def routes(self, event_type: str) -> list[tuple[Sink, int]]:
        """(sink, schema version) for each active sink subscribed to `event_type`, once each."""
        found: dict[str, tuple[Sink, int]] = {}
        for subscription in self.subscriptions.values():
            sink = self.sinks.get(subscription.sink_sid)
            version = subscription.types.get(event_type)
            if sink is None or version is None or sink.status != "active":
                continue
            found.setdefault(sink.sid, (sink, version))
        return list(found.values())

    # --- reset -----------------------------------------------------------------------------

    def reset(self, *, keep_sinks: bool = True) -> None:
        """Forget executions, logs, counters and violations (background work keeps running)."""
        self.executions.clear()
        self.active_pairs.clear()
        self.launches = LaunchLog()
        self.calls = LaunchLog()
        self.counters.clear()
        self.violations.clear()
        self.unchecked.clear()
        self.faults = Faults()
        self.callcentre.reset()
        if not keep_sinks:
            self.sinks.clear()
            self.subscriptions.clear()
