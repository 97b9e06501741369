"""`QueueService`: what runs inside one app instance.

Its start opens Redis and the Twilio client and starts the contact-timeout reaper, the
state sweep (`queue_app.shared_reads`) and the disposition outbox relay; then, in the
background, it provisions Event Streams (retrying until it works, whether Twilio is
unreachable or refuses), and only then resumes the executions that were running and runs the
control consumer, so that no call is placed before its events have somewhere to go; until
then `/readyz` answers 503 and says why. Every one of these runs under one `Supervision`
(`queue_core.services.supervision`): retried after a capped backoff with full jitter, a crash
logged and counted by the task's name, all of them stopped by one event.
`QueueService.drain` is the first SIGTERM: stop launching, put claims back, answer webhooks
while calls in flight finish.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from queue_adapters.http.metrics import ExecutionGauges, QueueMetrics
from queue_adapters.twilio import ProvisioningError, eventstreams_destination
from queue_app.container import Container
from queue_app.readings import READINGS_S
from queue_app.settings import Settings
from queue_core.domain.errors import StoreUnavailable
from queue_core.domain.facts import ContactFact
from queue_core.services.runner import QueueRunner
from queue_core.services.supervision import Backoff, Supervision
from queue_core.services.supervisor import QueueSupervisor
from queue_core.services.tracker import TrackResult

__all__ = ["QueueService", "resolve"]

log = logging.getLogger("queue_app")

T = TypeVar("T")

# Provisioning asks Twilio again after 1 s, then up to twice as long each time, up to 60 s.
_PROVISIONING = Backoff(first_s=1.0, cap_s=60.0)


async def resolve(provider: Callable[[], T | Awaitable[T]]) -> T:
    """The provider's instance. A provider that depends on an async resource (Redis, the
    Twilio client) answers with an awaitable, even once the resource is open."""
    value = provider()
    if inspect.isawaitable(value):
        return await value
    return value


def _gauges(runner: QueueRunner) -> ExecutionGauges:
    """What a scrape reads of one runner (no I/O: what it last read)."""
    campaign = runner.abandonment.campaign
    return ExecutionGauges(
        runner.execution.campaign_execution_id,
        runner.state.value,
        runner.budget.rate,
        runner.budget.budget,
        runner.pacer.dial_ratio,
        runner.in_flight,
        runner.abandonment.execution.human_answered,
        runner.abandonment.execution.abandoned,
        runner.execution.campaign_id or "",
        None if campaign is None else campaign.rate,
        runner.execution.pacing.abandon_target,
    )


@dataclass
class QueueService:
    """What runs inside one app: its container, supervisor and background tasks."""

    settings: Settings
    container: Container
    metrics: QueueMetrics
    supervisor: QueueSupervisor | None = None
    started: bool = False
    provisioned: bool = False
    provisioning_problem: str = "not done yet"
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[object]] = field(default_factory=list)
    draining: bool = False

    @property
    def supervision(self) -> Supervision:
        """How this service's tasks run: its clock, its stop event, restarts on `/metrics`."""
        return Supervision(self.container.clock(), self.stop, self.metrics.count_restart)

    async def record(self, facts: Sequence[ContactFact]) -> TrackResult:
        if self.supervisor is None:
            raise StoreUnavailable("the service is starting")
        return await self.supervisor.tracker.record(facts)

    def gauges(self) -> list[ExecutionGauges]:
        if self.supervisor is None:
            return []
        return [_gauges(runner) for runner in self.supervisor.runners.values()]

    async def readiness(self) -> list[str]:
        reasons = []
        if not self.started:
            reasons.append("start-up not finished")
        if self.settings.twilio.event_streams_autoprovision and not self.provisioned:
            reasons.append(f"event streams not provisioned: {self.provisioning_problem}")
        if self.draining:
            reasons.append("draining for shutdown")
        try:
            redis = await resolve(self.container.redis)
            await asyncio.wait_for(redis.ping(), timeout=2)
        except Exception as exc:
            reasons.append(f"redis unreachable: {type(exc).__name__}")
        return reasons

    async def start(self) -> None:
        opened = self.container.init_resources()
        if opened is not None:
            await opened
        self.supervisor = supervisor = await resolve(self.container.supervisor)
        sweep = await resolve(self.container.state_sweep)
        self._spawn(self._launching, "launching")
        self._start(
            "state sweep", sweep.run(supervisor.runners, self.stop, self.metrics.count_restart)
        )
        self._start("contact-timeout reaper", supervisor.run_reaper(self.stop))
        self._start(
            "outbox relay", self.supervision.run("outbox relay", self._relay_outbox, every_s=5.0)
        )
        self._start("metric readings", self._read_metrics())
        # What start-up made (modules, the container, the clients) lives as long as the
        # process: out of the collector's sight, a full collection no longer walks it each
        # time (with a thousand executions those pauses let launch slots go, ADR 0010).
        gc.collect()
        gc.freeze()

    async def _launching(self) -> None:
        """Provision Event Streams, then run the stored executions and take commands.

        Twilio drops the events of a call placed before a sink subscribed to them exists, so
        nothing is launched here until provisioning is done (`_provision` retries until it
        is); until then `/readyz` says why. Webhooks are answered meanwhile: other instances'
        calls go on."""
        supervisor = self.supervisor
        if supervisor is None or not await self._provision():
            return
        if not await self.supervision.run("resume stored executions", supervisor.resume_stored):
            return
        self._start("leases", supervisor.run_leases(self.stop))
        self._start("control consumer", supervisor.run_control(self.stop))
        self.started = True

    async def drain(self) -> None:
        """Stop launching and wait, up to the grace period, for calls in flight to finish."""
        self.draining = True
        supervisor = self.supervisor
        if supervisor is None:
            return
        executions = list(supervisor.runners)
        grace = self.settings.instance.shutdown_grace_s
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        await supervisor.shutdown(grace_s=grace)
        calls = await resolve(self.container.calls)
        while loop.time() < deadline:
            try:
                active = [await calls.count(e) for e in executions]
            except StoreUnavailable:
                active = [1]
            if not any(active):
                break
            await asyncio.sleep(0.5)

    async def close(self) -> None:
        self.stop.set()
        if self.supervisor is not None:
            await self.supervisor.shutdown(
                grace_s=min(5.0, self.settings.instance.shutdown_grace_s)
            )
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        closed = self.container.shutdown_resources()
        if closed is not None:
            await closed

    def _spawn(self, work: Callable[[], Awaitable[object]], name: str) -> None:
        """Run `work` until it returns; if it stops on an unexpected error, log it, count it
        (`dialer_queue_loop_restarts_total{loop=name}`) and start it again after a backoff."""
        self._start(name, self.supervision.run(name, work))

    def _start(self, name: str, supervised: Coroutine[object, object, object]) -> None:
        self.tasks.append(asyncio.create_task(supervised, name=name))

    async def _provision(self) -> bool:
        """Find or create the sink and subscription, retrying until done (True) or stopped:
        after 1 s at most, then up to twice as long each time up to 60 s; each failure's
        reason is what `/readyz` says until it works."""
        if not self.settings.twilio.event_streams_autoprovision:
            return True
        provisioner = await resolve(self.container.provisioner)
        destination = eventstreams_destination(self.settings.http.public_base_url)

        async def ensure() -> None:
            report = await provisioner.ensure(destination)
            for line in report.lines():
                log.info("Event Streams: %s", line)
            self.provisioned = True

        return await self.supervision.run(
            "Event Streams provisioning",
            ensure,
            retry=_PROVISIONING,
            expected=(StoreUnavailable, ProvisioningError),
            failed=self._provisioning_failed,
        )

    def _provisioning_failed(self, problem: Exception) -> None:
        self.provisioning_problem = _short(problem)
        if isinstance(problem, ProvisioningError):
            self.metrics.errors.labels("provisioning").inc()

    async def _read_metrics(self) -> None:
        """Every `READINGS_S`, what the gauges of `/metrics` show of Redis (`MetricReadings`)."""
        readings = await resolve(self.container.readings)

        def running() -> dict[str, str]:
            runners = self.supervisor.runners if self.supervisor is not None else {}
            return {e: r.execution.task_queue_sid for e, r in runners.items()}

        await self.supervision.run(
            "metric readings", lambda: readings.take(running()), every_s=READINGS_S
        )

    async def _relay_outbox(self) -> None:
        """One pass of the outbox relay: publish dispositions that were settled but not
        published (a crash or an outage between the two steps), and events of state
        transitions likewise (ADR 0018), of every stored execution: its instance may be
        gone."""
        cache = await resolve(self.container.redis_cache)
        states = await resolve(self.container.states)
        # One request finds the outboxes in use (a settle on a single server leaves none,
        # ADR 0009): a thousand executions are not read one by one every time.
        executions = await states.executions()
        for execution_id in await cache.with_outbox(executions):
            await cache.relay_outbox(execution_id)
        for execution_id in await states.with_events(executions):
            await states.relay_events(execution_id)


def _short(exc: Exception) -> str:
    """A problem's message short enough for a readiness reason."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 160 else text[:157] + "..."
