"""Background work that dies of an unexpected error is started again after a capped backoff
and counted, never silently gone: one loop, the lease loops, and a runner."""

from __future__ import annotations

import asyncio

from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.pacer import Pacer, PacingDecision, PacingSnapshot
from queue_core.domain.state import QueueState
from queue_core.services.restarts import RestartBackoff, keep_running
from tests.fakes import FakeClock
from tests.unit.core.harness import Queue, execution_document, make_queue, records

ID = "ce-42"


def test_the_backoff_doubles_up_to_its_cap_and_starts_over_after_a_long_run() -> None:
    backoff = RestartBackoff(first_s=0.5, cap_s=4.0)
    assert [backoff.crashed(0.0) for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff.crashed(4.0) == 0.5


async def test_a_loop_that_raises_is_counted_and_started_again_after_its_backoff() -> None:
    clock, stop = FakeClock(), asyncio.Event()
    restarts: list[str] = []
    starts: list[float] = []

    async def work() -> None:
        starts.append(clock.monotonic())
        if len(starts) < 4:
            raise RuntimeError("unforeseen")

    task = asyncio.create_task(
        keep_running("control consumer", work, clock=clock, stop=stop, restarted=restarts.append)
    )
    await clock.run_until(task, limit_s=60)

    assert restarts == ["control consumer"] * 3
    assert starts == [0.0, 0.5, 1.5, 3.5]


async def test_a_loop_that_raises_once_stop_is_set_is_not_started_again() -> None:
    clock, stop = FakeClock(), asyncio.Event()
    restarts: list[str] = []

    async def work() -> None:
        stop.set()
        raise RuntimeError("while stopping")

    await keep_running("reaper", work, clock=clock, stop=stop, restarted=restarts.append)
    assert restarts == []


def counted(queue: Queue) -> list[str]:
    restarts: list[str] = []
    queue.supervisor._restarted = restarts.append
    return restarts


async def test_a_crash_looking_for_free_executions_never_stops_lease_renewal() -> None:
    queue = make_queue()
    supervisor = queue.supervisor
    restarts = counted(queue)
    renewals: list[float] = []
    looks = 0

    async def renew() -> None:
        renewals.append(queue.clock.monotonic())

    async def look() -> list[str]:
        nonlocal looks
        looks += 1
        if looks == 1:
            raise RuntimeError("unforeseen")
        return []

    supervisor.renew_leases = renew  # type: ignore[method-assign]
    supervisor.resume_stored = look  # type: ignore[method-assign]
    stop = asyncio.Event()
    leases = asyncio.create_task(supervisor.run_leases(stop))
    await queue.clock.run_until(asyncio.ensure_future(queue.clock.sleep(30)), limit_s=31)
    stop.set()
    await queue.clock.run_until(leases, limit_s=10)

    assert restarts == ["lease takeover"]
    assert looks >= 8
    assert len(renewals) >= 9  # every third of the lease time, all along


class PacerCrashingOnce(Pacer):
    """A pacer whose first decision (of all its kind) meets something nothing foresaw."""

    def __init__(self, execution: CampaignExecution, crashes: list[int]) -> None:
        super().__init__(execution.pacing)
        self._crashes = crashes

    def decide(self, snapshot: PacingSnapshot, state: QueueState) -> PacingDecision:
        if not self._crashes:
            self._crashes.append(1)
            raise RuntimeError("unforeseen")
        return super().decide(snapshot, state)


async def test_a_crashed_runner_is_counted_and_its_execution_run_again_after_a_backoff() -> None:
    queue = make_queue()
    restarts = counted(queue)
    supervisor = queue.supervisor
    crashes: list[int] = []
    supervisor._pacer_factory = lambda execution: PacerCrashingOnce(execution, crashes)
    queue.backend.documents[ID] = execution_document(ID, mode="fixed", max_concurrent_calls=5)
    queue.backend.push_records(ID, records(5))
    queue.backend.put_state(ID, QueueState.RUNNING, queue.clock.now())

    async def scenario() -> None:
        assert await supervisor.resume_stored() == [ID]
        # A virtual moment for the runner to crash in (a bare `settle` here races the clock's
        # own: with no sleeper left, the clock would stop).
        await queue.clock.sleep(0.01)
        assert (restarts, list(supervisor.runners)) == (["runner"], [])
        assert await supervisor.resume_stored() == []  # not before its backoff
        await queue.clock.sleep(1)
        assert await supervisor.resume_stored() == [ID]
        await queue.clock.sleep(10)

    try:
        await queue.clock.run_until(asyncio.create_task(scenario()), limit_s=60)
        assert len(queue.launcher.executions) == 5
        assert restarts == ["runner"]
    finally:
        await supervisor.shutdown(grace_s=0)
