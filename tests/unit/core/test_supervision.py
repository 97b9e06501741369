"""Background work that dies of an unexpected error is started again after a capped backoff
with full jitter and counted, never silently gone: one loop, the lease loops, and a runner."""

from __future__ import annotations

import asyncio
import logging

import pytest

from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.errors import StoreUnavailable
from queue_core.domain.pacer import Pacer, PacingDecision, PacingSnapshot
from queue_core.domain.state import QueueState
from queue_core.services.supervision import (
    Backoff,
    Jitter,
    Restarts,
    Supervision,
    full_jitter,
)
from tests.fakes import FakeClock
from tests.unit.core.harness import Queue, execution_document, make_queue, records

ID = "ce-42"


def whole(ceiling_s: float) -> float:
    """No jitter: each wait is its backoff's ceiling."""
    return ceiling_s


def recorded(ceilings: list[float]) -> Jitter:
    """No jitter, and each ceiling noted."""

    def wait(ceiling_s: float) -> float:
        ceilings.append(ceiling_s)
        return ceiling_s

    return wait


def test_the_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first_s=0.5, cap_s=4.0)
    assert [backoff.ceiling(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff.ceiling(10_000) == 4.0


async def test_a_crash_after_a_long_run_starts_the_backoff_over() -> None:
    clock, stop = FakeClock(), asyncio.Event()
    ceilings: list[float] = []
    runs = 0

    async def work() -> None:
        nonlocal runs
        runs += 1
        if runs in (3, 4):  # the third run lasts 30 s (the cap) before it crashes
            await clock.sleep(30.0 if runs == 3 else 0.0)
            raise RuntimeError("after a long run")
        if runs < 5:
            raise RuntimeError("at once")

    supervision = Supervision(clock, stop, jitter=recorded(ceilings))
    await clock.run_until(asyncio.ensure_future(supervision.run("relay", work)), limit_s=120)
    assert ceilings == [0.5, 1.0, 0.5, 1.0]


def test_full_jitter_draws_each_wait_anywhere_below_its_ceiling() -> None:
    waits = [full_jitter(2.0) for _ in range(2000)]
    assert all(0.0 <= wait <= 2.0 for wait in waits)
    assert min(waits) < 0.1
    assert max(waits) > 1.9


async def test_a_step_that_fails_as_expected_is_retried_without_a_restart_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, stop = FakeClock(), asyncio.Event()
    restarts: list[str] = []
    ceilings: list[float] = []
    asks: list[float] = []

    async def provision() -> None:
        asks.append(clock.monotonic())
        if len(asks) <= 7:
            raise StoreUnavailable("down")

    supervision = Supervision(clock, stop, restarts.append, jitter=recorded(ceilings))
    with caplog.at_level(logging.INFO, logger="queue_core.services.supervision"):
        done = asyncio.ensure_future(
            supervision.run("provisioning", provision, retry=Backoff(1.0, 8.0))
        )
        await clock.run_until(done, limit_s=60)

    assert done.result() is True
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    assert asks == [0.0, 1.0, 3.0, 7.0, 15.0, 23.0, 31.0, 39.0]
    assert restarts == []
    assert [r.getMessage() for r in caplog.records] == [
        "provisioning: StoreUnavailable: down; again within 1.0s",
        "provisioning works again after 7 failures",
    ]


async def test_a_periodic_step_that_fails_is_retried_within_its_period() -> None:
    clock, stop = FakeClock(), asyncio.Event()
    ceilings: list[float] = []
    asks: list[float] = []

    async def renew() -> None:
        asks.append(clock.monotonic())
        if 2 <= len(asks) <= 5:
            raise StoreUnavailable("down")

    supervision = Supervision(clock, stop, jitter=recorded(ceilings))
    task = asyncio.ensure_future(supervision.run("lease renewal", renew, every_s=3.0))
    await clock.run_until(asyncio.ensure_future(clock.sleep(20.0)), limit_s=21)
    stop.set()
    await clock.run_until(task, limit_s=1)

    assert ceilings == [3.0] * 4  # never longer than the period, however long it fails
    assert asks[:7] == [0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0]


async def test_setting_stop_ends_a_wait_at_once() -> None:
    clock, stop = FakeClock(), asyncio.Event()
    steps: list[float] = []

    async def sweep() -> None:
        steps.append(clock.monotonic())

    task = asyncio.ensure_future(Supervision(clock, stop).run("sweep", sweep, every_s=3600.0))
    await clock.settle()
    stop.set()
    await clock.settle()

    assert task.done()
    assert task.result() is False
    assert (steps, clock.monotonic()) == ([0.0], 0.0)


async def test_a_loop_that_raises_is_counted_and_started_again_after_its_backoff() -> None:
    clock, stop = FakeClock(), asyncio.Event()
    restarts: list[str] = []
    starts: list[float] = []

    async def work() -> None:
        starts.append(clock.monotonic())
        if len(starts) < 4:
            raise RuntimeError("unforeseen")

    supervision = Supervision(clock, stop, restarts.append, jitter=whole)
    task = asyncio.create_task(supervision.run("control consumer", work))
    await clock.run_until(task, limit_s=60)

    assert restarts == ["control consumer"] * 3
    assert starts == [0.0, 0.5, 1.5, 3.5]


async def test_a_loop_that_raises_once_stop_is_set_is_not_started_again() -> None:
    clock, stop = FakeClock(), asyncio.Event()
    restarts: list[str] = []

    async def work() -> None:
        stop.set()
        raise RuntimeError("while stopping")

    await Supervision(clock, stop, restarts.append).run("reaper", work)
    assert restarts == []


def test_a_crashed_runner_waits_a_jittered_restart_backoff_until_it_ends_cleanly() -> None:
    clock = FakeClock()
    ceilings: list[float] = []
    restarts = Restarts(clock, recorded(ceilings))

    assert restarts.crashed(ID, ran_s=0.0) == 0.5
    assert restarts.waiting(ID)
    clock.advance(0.5)
    assert not restarts.waiting(ID)
    restarts.crashed(ID, ran_s=0.1)
    restarts.crashed(ID, ran_s=60.0)  # a long run: the first crash of a new row
    restarts.crashed(ID, ran_s=0.1)
    restarts.ended(ID)
    assert not restarts.waiting(ID)
    restarts.crashed(ID, ran_s=0.1)

    assert ceilings == [0.5, 1.0, 0.5, 1.0, 0.5]
    assert not Restarts(clock).waiting("ce-never-crashed")


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
    supervisor._restarts.jitter = whole
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
