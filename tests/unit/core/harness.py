"""A whole queue on the fakes with a virtual clock, and a simulated Twilio that plays calls out.

Each instance is composed as `queue_app` composes the service: its supervisor, with the
pacing stats read once for all its runners and their stored states swept together
(`queue_app.shared_reads`)."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from queue_app.shared_reads import SharedPacingStats, StateSweep
from queue_core.domain.facts import (
    CallStatusReport,
    ContactFact,
    StudioExecutionEvent,
    VoiceCallEvent,
    VoiceEventKind,
)
from queue_core.domain.tokens import CallstatusTokens
from queue_core.ports import LaunchLimiter
from queue_core.services.runner import RunnerPorts, RunnerSettings
from queue_core.services.supervisor import BudgetSettings, QueueSupervisor
from tests.fakes import (
    FakeActiveCallRegistry,
    FakeAssemblyStore,
    FakeCallLauncher,
    FakeCampaignExecutionStore,
    FakeClock,
    FakeContactCache,
    FakeContactZones,
    FakeControlStream,
    FakeDoNotCallLists,
    FakeEventPublisher,
    FakeExecutionLeases,
    FakeLaunchLimiter,
    FakePacingStatsSource,
    FakeQueueStateStore,
    FakeWaitingRecords,
    InMemoryBackend,
)
from tests.fakes.abandonment import FakeAbandonmentCounters

FLOW = "FW" + "0" * 32
QUEUE = "WQ" + "0" * 32
FROM = "+15005550006"
OUTCOMES = ("completed", "busy", "no-answer", "failed", "canceled")


def execution_document(execution_id: str, **pacing: object) -> dict[str, object]:
    return {
        "campaign_execution_id": execution_id,
        "studio_flow_sid": FLOW,
        "from_number": FROM,
        "task_queue_sid": QUEUE,
        "pacing": pacing,
    }


def records(count: int, prefix: str = "r", area: int = 415) -> list[dict[str, object]]:
    return [
        {
            "record_id": f"{prefix}-{i}",
            "phone_number": f"+1{area}555{i:04d}",
            "attributes": {"n": i},
        }
        for i in range(count)
    ]


@dataclass
class SimulatedTwilio:
    """Plays each created execution out in virtual time and feeds the facts to the tracker."""

    clock: FakeClock
    launcher: FakeCallLauncher
    deliver: Callable[[list[ContactFact]], Awaitable[object]]
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    weights: tuple[float, ...] = (0.6, 0.1, 0.15, 0.1, 0.05)
    talk_s: tuple[float, float] = (5.0, 60.0)
    seen: int = 0
    due: list[tuple[float, list[ContactFact]]] = field(default_factory=list)
    delivered: int = 0
    tick_s: float = 0.25  # how often it looks for calls to end (virtual seconds)

    def _play(self, index: int) -> None:
        created = self.launcher.executions[index]
        request = created.request
        status = self.rng.choices(OUTCOMES, self.weights)[0]
        call_sid = f"CA{index:032x}"
        end = self.clock.monotonic() + self.rng.uniform(*self.talk_s)
        at = self.clock.now()
        facts: list[ContactFact] = []
        placed = status != "failed" or self.rng.random() < 0.5
        if placed:
            facts.append(
                VoiceCallEvent(
                    event_id=f"EZ{index:032x}",
                    kind=VoiceEventKind.COMPLETED,
                    call_sid=call_sid,
                    call_status=status,
                    to=request.to,
                    from_=request.from_,
                    sequence_number=3,
                    duration_s=30 if status == "completed" else 0,
                    answered_by="human" if status == "completed" else "",
                    at=at,
                )
            )
        if status == "failed":  # the flow reports a failed call, with its SID when it has one
            facts.append(
                CallStatusReport(
                    execution_sid=created.sid,
                    campaign_execution_id=str(request.parameters["campaign_execution_id"]),
                    record_id=str(request.parameters["record_id"]),
                    call_sid=call_sid if placed else "",
                    call_status="failed",
                    error_code="" if placed else "13227",
                    error_message="" if placed else "no call was placed",
                    at=at,
                )
            )
        facts.append(
            StudioExecutionEvent(
                event_id=f"EE{index:032x}",
                ended=True,
                execution_sid=created.sid,
                flow_sid=request.flow_sid,
                contact_channel_address=request.to,
                status="ended",
                at=at,
            )
        )
        self.due.append((end, facts))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            while self.seen < len(self.launcher.executions):
                self._play(self.seen)
                self.seen += 1
            now = self.clock.monotonic()
            ready = [facts for when, facts in self.due if when <= now]
            self.due = [(when, facts) for when, facts in self.due if when > now]
            for facts in ready:
                self.rng.shuffle(facts)
                await self.deliver(facts + facts[:1])  # a duplicate, as Event Streams may send
                self.delivered += 1
            await self.clock.sleep(self.tick_s)


@dataclass
class Instance:
    """One service instance: its supervisor and its background loops."""

    supervisor: QueueSupervisor
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    control_block_ms: int = 100  # how long each read of the control stream waits

    def start(self) -> None:
        supervisor = self.supervisor
        sweep = StateSweep(supervisor.ports.states, supervisor.ports.clock)
        self.tasks += [
            asyncio.create_task(supervisor.run_control(self.stop, self.control_block_ms)),
            asyncio.create_task(supervisor.run_leases(self.stop)),
            asyncio.create_task(sweep.run(supervisor.runners, self.stop)),
        ]

    async def crash(self) -> None:
        """Die at once, as SIGKILL would: no runner leaves, no lease is given back."""
        self.stop.set()
        doomed = list(self.tasks)
        for runner in self.supervisor.runners.values():
            doomed += list(runner.launch_tasks)
        doomed += list(self.supervisor._tasks.values())
        for task in doomed:
            task.cancel()
        await asyncio.gather(*doomed, return_exceptions=True)

    async def close(self) -> None:
        self.stop.set()
        for task in self.tasks:
            task.cancel()
        await self.supervisor.shutdown(grace_s=0)
        await asyncio.gather(*self.tasks, return_exceptions=True)


@dataclass
class Queue:
    backend: InMemoryBackend
    clock: FakeClock
    launcher: FakeCallLauncher
    control: FakeControlStream
    supervisor: QueueSupervisor
    twilio: SimulatedTwilio
    ports: RunnerPorts
    build: Callable[[str], QueueSupervisor]
    instances: list[Instance] = field(default_factory=list)
    # For tests that span hours of virtual time: fewer wake-ups a virtual second.
    control_block_ms: int = 100

    def agents(self, available: int, pending: int = 0) -> None:
        self.backend.stats[QUEUE] = json.dumps(
            {"total_available_workers": available, "tasks_by_status": {"pending": pending}}
        )

    def start_instance(self, owner: str) -> Instance:
        """Another instance on the same store, Twilio and control stream."""
        instance = Instance(self.build(owner))
        instance.start()
        self.instances.append(instance)
        return instance

    async def record(self, facts: list[ContactFact]) -> object:
        """Webhooks reach any live instance; facts are shared, so any one will do."""
        return await self.supervisor.tracker.record(facts)

    async def drive(self, scenario: Callable[[], Awaitable[None]], limit_s: float) -> None:
        """Run the instances, the simulated Twilio and `scenario` in virtual time."""
        stop = asyncio.Event()
        first = Instance(self.supervisor, control_block_ms=self.control_block_ms)
        first.start()
        self.instances.insert(0, first)
        twilio = asyncio.create_task(self.twilio.run(stop))
        main = asyncio.create_task(scenario())
        try:
            await self.clock.run_until(main, limit_s)
            main.result()
        finally:
            stop.set()
            main.cancel()
            twilio.cancel()
            for instance in self.instances:
                await instance.close()
            await asyncio.gather(main, twilio, return_exceptions=True)


def make_queue(
    account_cps: float = 10.0,
    *,
    expect_voice_events: bool = True,
    limiter: Callable[[FakeClock], LaunchLimiter] = FakeLaunchLimiter,
    start_at: float | None = None,
) -> Queue:
    """A queue on the fakes; `limiter` builds the account's launch schedule on the clock;
    `start_at`: the wall-clock time (unix s) the clock starts at (else FakeClock's)."""
    backend = InMemoryBackend()
    clock = FakeClock() if start_at is None else FakeClock(start_at)
    launcher = FakeCallLauncher(clock)
    control = FakeControlStream(clock)
    ports = RunnerPorts(
        cache=FakeContactCache(backend),
        calls=FakeActiveCallRegistry(backend),
        stats=FakePacingStatsSource(backend),
        launcher=launcher,
        states=FakeQueueStateStore(backend),
        events=FakeEventPublisher(backend),
        clock=clock,
        limiter=limiter(clock),
        abandonment=FakeAbandonmentCounters(backend),
        waiting=FakeWaitingRecords(backend),
        dnc=FakeDoNotCallLists(backend),
        zones=FakeContactZones(),
    )
    leases = FakeExecutionLeases(backend, clock)

    def build(owner: str) -> QueueSupervisor:
        settings = RunnerSettings(
            owner=owner,
            callstatus_url="http://queue.test/callstatus",
            expect_voice_events=expect_voice_events,
            reconcile_after_s=20.0,
        )
        stats = SharedPacingStats(ports.stats, clock, settings.poll_interval_s)
        return QueueSupervisor(
            replace(ports, stats=stats),
            control,
            FakeCampaignExecutionStore(backend),
            FakeAssemblyStore(backend),
            settings,
            BudgetSettings(account_cps=account_cps, cps_share=1.0),
            CallstatusTokens(b"test-secret"),
            leases=leases,
        )

    supervisor = build("instance-1")
    queue = Queue(backend, clock, launcher, control, supervisor, None, ports, build)  # type: ignore[arg-type]
    queue.twilio = SimulatedTwilio(clock, launcher, queue.record)
    return queue
