"""How often the runners of one instance ask the store, in virtual time (ADR 0010): what all
of them read is read once for all, nothing is asked when nothing can change the answer, and
the guarantees the reads are for still hold."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import pairwise
from typing import Any

from queue_app.shared_reads import STATE_SWEEP_S
from queue_core.domain.launch_schedule import SlotTerms
from queue_core.domain.queue_events import QueueEventType
from queue_core.domain.state import QueueState, Trigger
from queue_core.ports import LaunchSlot
from queue_core.services.progress import PROGRESS_EVERY_S
from queue_core.services.runner import STATE_READ_S
from queue_core.services.transitions import StateTransitions
from tests.fakes import FakeClock, FakeLaunchLimiter
from tests.unit.core.harness import Queue, execution_document, make_queue, records

MANY = 100  # executions sharing the account's 10/s: 0.1/s each, a launch every 10 s


def start_many(queue: Queue, count: int = MANY, **pacing: object) -> list[str]:
    ids = [f"ce-{i}" for i in range(count)]
    for i, execution_id in enumerate(ids):
        queue.backend.push_records(execution_id, records(40, execution_id, area=200 + i))
        queue.backend.documents[execution_id] = execution_document(
            execution_id, **({"mode": "fixed", "max_concurrent_calls": 1000} | pacing)
        )
        queue.control.add({"action": "start", "campaign_execution_id": execution_id})
    return ids


def count(calls: Counter[str], port: object, method: str, *, items: bool = False) -> None:
    """Count the calls of one method of a fake (or the ids it is asked for, with `items`)."""
    inner: Callable[..., Any] = getattr(port, method)

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls[method] += 1
        if items:
            calls[f"{method} ids"] += len(args[0])
        return await inner(*args, **kwargs)

    setattr(port, method, counted)


def launch_times(queue: Queue) -> dict[str, list[float]]:
    times: dict[str, list[float]] = defaultdict(list)
    for e in queue.launcher.executions:
        times[str(e.request.parameters["campaign_execution_id"])].append(e.created_monotonic)
    return times


class CountingLimiter(FakeLaunchLimiter):
    """The account's schedule, counting its answers."""

    def __init__(self, clock: FakeClock, *, horizon_s: float = 2.0) -> None:
        super().__init__(clock, horizon_s=horizon_s)
        self.answers: Counter[bool] = Counter()

    async def acquire(self, terms: SlotTerms) -> LaunchSlot:
        slot = await super().acquire(terms)
        self.answers[slot.reserved] += 1
        return slot


async def test_the_stored_states_of_many_runners_are_read_together() -> None:
    queue = make_queue(account_cps=10)
    calls: Counter[str] = Counter()
    count(calls, queue.ports.states, "load")
    count(calls, queue.ports.states, "load_states", items=True)
    count(calls, queue.ports.states, "save_pacing")
    ids = start_many(queue)

    progress: list[int] = []

    async def scenario() -> None:
        await queue.clock.sleep(20)
        calls.clear()
        progress.append(len(queue.backend.events))
        await queue.clock.sleep(30)
        progress.append(len(queue.backend.events))

    await queue.drive(scenario, limit_s=60)
    per_runner_s = MANY * 30
    # Each `progress` event (every 10 s a runner) reads its execution's counts once; the state
    # itself is read in sweeps. Before: each runner read its own, about 0.7 times a second.
    reports = sum(
        e.event is QueueEventType.PROGRESS for e in queue.backend.events[progress[0] : progress[1]]
    )
    assert reports <= MANY * (30 / PROGRESS_EVERY_S + 1)
    assert (calls["load"] - reports) / per_runner_s < 0.01, calls
    assert calls["load_states ids"] / per_runner_s < 0.8, calls
    assert calls["load_states"] <= 30 / STATE_SWEEP_S + 1, calls
    # A pacing report is stored when it changes (here, as launches come and go in its 10 s
    # window), not every 2 s.
    assert calls["save_pacing"] / per_runner_s < 0.25, calls
    # And the runners keep their pace: three launches each in 30 s.
    window = [t for ts in launch_times(queue).values() for t in ts if 20 <= t < 50]
    assert 0.97 * 300 <= len(window) <= 300
    assert set(launch_times(queue)) == set(ids)


async def test_a_pause_stored_by_another_instance_stops_the_next_launch_of_every_runner() -> None:
    queue = make_queue(account_cps=10)
    ids = start_many(queue)
    paused_at: list[float] = []

    async def scenario() -> None:
        await queue.clock.sleep(25.05)
        # What another instance's command handler stores; this instance is not told.
        elsewhere = StateTransitions(queue.ports.states, queue.clock)
        for execution_id in ids:
            await elsewhere.apply(execution_id, Trigger.PAUSE)
        paused_at.append(queue.clock.monotonic())
        await queue.clock.sleep(15)
        runners = queue.supervisor.runners
        assert {e: runners[e].state for e in ids} == dict.fromkeys(ids, QueueState.PAUSED)

    await queue.drive(scenario, limit_s=60)
    late = [t for ts in launch_times(queue).values() for t in ts if t > paused_at[0] + STATE_READ_S]
    assert late == []
    # Every runner put its claims back (none is left claimed and not launched).
    for execution_id in ids:
        assert all(c.attempt is not None for c in queue.backend.claims[execution_id].values())


async def test_executions_started_at_once_spread_their_launches_over_the_schedule() -> None:
    schedule: list[CountingLimiter] = []

    def limiter(clock: FakeClock) -> CountingLimiter:
        schedule.append(CountingLimiter(clock))
        return schedule[0]

    queue = make_queue(account_cps=10, limiter=limiter)
    start_many(queue)

    async def scenario() -> None:
        await queue.clock.sleep(30)
        schedule[0].answers.clear()
        await queue.clock.sleep(40)

    await queue.drive(scenario, limit_s=80)
    # Each execution's budget counts a launch when its slot comes: after one round the
    # executions ask spread out, each when the schedule has a slot for it (before, they kept
    # asking all at once, and all but the first twenty were told to ask again).
    assert schedule[0].answers[False] == 0
    assert 395 <= schedule[0].answers[True] <= 405
    # Every execution launches every 10 s, the same for all: 10.05 s in fact, since the
    # schedule's guard (5 ms a window) makes its 10/s 9.95/s.
    gaps = [b - a for times in launch_times(queue).values() for a, b in pairwise(times) if a >= 30]
    assert len(gaps) >= 290
    assert 10.0 <= min(gaps) <= max(gaps) <= 10.06, (min(gaps), max(gaps))


async def test_runners_waiting_for_a_booked_up_schedule_ask_it_one_at_a_time() -> None:
    schedule: list[CountingLimiter] = []

    def limiter(clock: FakeClock) -> CountingLimiter:
        # No slot further than 50 ms ahead: at 10/s, the schedule is always booked up.
        schedule.append(CountingLimiter(clock, horizon_s=0.05))
        return schedule[0]

    queue = make_queue(account_cps=10, limiter=limiter)
    start_many(queue)

    async def scenario() -> None:
        await queue.clock.sleep(60)

    await queue.drive(scenario, limit_s=80)
    answers = schedule[0].answers
    # In line, only the first runner asks again when told to: about once per slot. (Each
    # asking again on its own made a hundred asks per slot.)
    assert answers[False] <= 2 * answers[True], answers
    # And in the order they came: no execution falls behind another.
    per = Counter({e: len(ts) for e, ts in launch_times(queue).items()})
    assert len(per) == MANY
    assert max(per.values()) - min(per.values()) <= 1, per


async def test_the_pacing_stats_of_a_task_queue_are_read_once_per_poll_interval() -> None:
    queue = make_queue(account_cps=10)
    queue.agents(available=1000)
    calls: Counter[str] = Counter()
    count(calls, queue.ports.stats, "read")
    start_many(queue, 20, mode="progressive", dial_ratio=1.0)

    async def scenario() -> None:
        await queue.clock.sleep(10)
        calls.clear()
        await queue.clock.sleep(30)

    await queue.drive(scenario, limit_s=60)
    poll_s = queue.supervisor._runner_settings.poll_interval_s
    # Before: every runner read them at every decision, hundreds of times.
    assert 0 < calls["read"] <= 30 / poll_s + 1, calls
    assert len(queue.launcher.executions) > 250


async def test_a_runner_ignores_a_state_read_for_it_before_a_command_came() -> None:
    queue = make_queue(account_cps=1)
    start_many(queue, 1)
    seen: list[QueueState] = []

    async def scenario() -> None:
        await queue.clock.sleep(5)
        runner = queue.supervisor.runners["ce-0"]
        now = queue.clock.monotonic()
        before = runner.state_version()
        runner.state_changed()  # a command here: the read taken before it may predate it
        runner.state_read(QueueState.STOPPED, now, before)
        seen.append(runner.state)
        runner.state_read(QueueState.PAUSED, now, runner.state_version())
        seen.append(runner.state)

    await queue.drive(scenario, limit_s=30)
    assert seen == [QueueState.RUNNING, QueueState.PAUSED]


async def test_the_reaper_reads_the_contacts_of_an_execution_only_once_one_can_time_out() -> None:
    queue = make_queue(account_cps=10)
    queue.twilio.talk_s = (10_000.0, 10_000.0)  # no call ends during the test
    supervisor = queue.supervisor
    supervisor._reaper.timeout_s = 20.0
    calls: Counter[str] = Counter()
    count(calls, queue.ports.calls, "in_flight")
    start_many(queue, 1)
    launched: list[float] = []

    async def scenario() -> None:
        await queue.clock.sleep(1)
        first = [e.created_monotonic for e in queue.launcher.executions]
        launched.extend(first)
        for _ in range(6):  # the reaper's ticks, 5 s apart, while nothing can time out
            await supervisor.reap_timeouts()
            await queue.clock.sleep(5)

    await queue.drive(scenario, limit_s=60)
    # It read them once, then waited for the first contact's timeout (20 s after its launch):
    # looking at 6, 11 and 16 s was needless, at 21 s not.
    assert launched
    assert calls["in_flight"] == 3, calls
    timed_out = [d for d in queue.backend.dispositions if d.status.value == "unknown"]
    assert timed_out
