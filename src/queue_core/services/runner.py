"""The queue runner: drives one campaign execution through the ports.

One round: read the stored state (commands change it), ask the pacer how many contacts to
launch, claim them, launch each when the launch budget allows, record each launch; when the
cache is empty and nothing is claimed, drain; when nothing is in flight, end. A claimed record
is never launched unless the execution is running: on pause or stop it goes back to the head
of the cache, and so does a rate-limited one.

The stored state is read when a command here changed it (`state_changed`), at most
`STATE_READ_S` before a launch, and every `IDLE_STATE_READ_S` otherwise. A state sweep may
make that read for every runner of the instance in one request (`wants_state`, `state_read`;
`queue_app.shared_reads`); a runner reads its own only when that falls behind (ADR 0010).

The runner owns the loop; the rest it hands to parts of its own (`ExecutionRun`): its claims
and the pacing decision (`claims`), its launches in progress (`launches`), the stored state
(`stored_state`), the instance's line for the account's slots and the send turns
(`launch_line`), sending and reconciling launches and crash recovery (`reconciler`), the
pacing report, and store retries. When a launch may go is its `LaunchSchedule`'s to say
(ADR 0017).
"""

from __future__ import annotations

import asyncio

from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.errors import StoreUnavailable
from queue_core.domain.launch_schedule import LaunchRateController
from queue_core.domain.pacer import Pacer
from queue_core.domain.state import TERMINAL_STATES, QueueState, Trigger
from queue_core.domain.tokens import CallstatusTokens
from queue_core.services.abandonment_view import AbandonmentView
from queue_core.services.claims import Claims
from queue_core.services.execution_run import ExecutionRun
from queue_core.services.launch_line import LaunchLine
from queue_core.services.launches import STATE_READ_S, Launches
from queue_core.services.progress import ProgressReports
from queue_core.services.reconciler import OnRecorded
from queue_core.services.runner_config import RunnerPorts, RunnerSettings

__all__ = ["STATE_READ_S", "QueueRunner", "RunnerPorts", "RunnerSettings"]

IDLE_STATE_READ_S = 2.0  # the stored state is read this often while no launch is near


class QueueRunner:
    """Drives one campaign execution until it completes, stops or fails (module docstring)."""

    def __init__(
        self,
        execution: CampaignExecution,
        ports: RunnerPorts,
        settings: RunnerSettings,
        tokens: CallstatusTokens,
        budget: LaunchRateController,
        pacer: Pacer | None = None,
        *,
        line: LaunchLine,
        lease_token: int | None = None,
    ) -> None:
        """`budget`: this execution's schedule (`LaunchSchedule.controller`); `line`: the
        instance's line its launches wait in for their slot and send turn; `lease_token`
        fences every launch (see `ExecutionLeases`)."""
        self._wake = asyncio.Event()
        parts = (budget, pacer or Pacer(execution.pacing), line, lease_token)
        self._run = ExecutionRun.open(execution, ports, settings, tokens, parts, self.wake)
        self._claims = Claims(self._run)
        self._launches = Launches(self._run, self._claims)
        self._progress = ProgressReports(self._run, self._claims.gate)
        self._next_decision = -float("inf")
        self._only_waiting = False  # the cache is empty; records wait, or calls may retry

    @property
    def execution(self) -> CampaignExecution:
        return self._run.execution

    @property
    def lease_token(self) -> int | None:
        return self._run.lease_token

    @property
    def budget(self) -> LaunchRateController:
        return self._run.budget

    @property
    def pacer(self) -> Pacer:
        return self._run.pacer

    @property
    def abandonment(self) -> AbandonmentView:
        return self._run.abandonment

    @property
    def in_flight(self) -> int:
        """Calls in flight at the last pacing decision (for metrics)."""
        return self._claims.in_flight

    @property
    def launch_tasks(self) -> set[asyncio.Task[None]]:
        """The launches in progress (a test's crash cancels them)."""
        return self._launches.tasks

    @property
    def on_recorded(self) -> OnRecorded | None:
        """Hands facts parked before a launch was recorded to the tracker (set by the
        supervisor)."""
        return self._run.reconciler.on_recorded

    @on_recorded.setter
    def on_recorded(self, hand_over: OnRecorded | None) -> None:
        self._run.reconciler.on_recorded = hand_over

    @property
    def state(self) -> QueueState:
        return self._run.state

    def leave(self) -> None:
        """Stop claiming and launching, put local claims back, and return from `run` once the
        launches already sent are recorded. The stored state is left as it is, so the next
        instance (or this one, restarted) carries on with the execution."""
        self._run.leaving = True
        self.wake()

    def state_changed(self) -> None:
        """A command changed the stored state: read it before launching anything more."""
        self._run.stored.changed()
        self.wake()

    def wants_state(self, now: float, ahead_s: float) -> bool:
        """Whether the stored state, read now, falls due before `now + ahead_s` (the next
        read for all runners at once: a state sweep reads it then and hands it over with
        `state_read`). A launch is never more than `ahead_s` away from such a read once it
        is soon. False when a command here changed it: this runner reads that one itself."""
        return self._run.stored.wanted(now, ahead_s, self._state_read_every(now))

    def state_version(self) -> int:
        """Pass it back to `state_read` with a state read after this call."""
        return self._run.stored.version

    def state_read(self, state: QueueState, read_at: float, version: int) -> None:
        """The stored state, as read (for this runner and others) from `read_at` on. Ignored
        when this runner read, moved or heard of a command since `version` was taken: the
        read may predate that."""
        if self._run.stored.read_elsewhere(state, read_at, version):
            self.wake()

    def wake(self) -> None:
        """Look again now: a contact finished or a command changed the state."""
        self._wake.set()

    async def run(self) -> QueueState:
        """Run until the execution ends (completed, stopped or failed); return that state."""
        run = self._run
        await run.retry.until_done(run.reconciler.recover)
        while True:
            try:
                ended = await self._round()
                run.store_failures = 0
            except StoreUnavailable as exc:
                run.store_failures += 1
                await run.retry.back_off(run.store_failures, exc)
                continue
            if ended is not None:
                return ended
            await self._wait()

    async def _round(self) -> QueueState | None:
        run = self._run
        now = run.ports.clock.monotonic()
        stored = run.stored
        if stored.dirty or now - stored.read_at >= self._state_read_every(now):
            # Commands change the stored state: read it when told (a command here), and often
            # enough that a command handled by another instance stops the next launch.
            await stored.read()
        if run.leaving or self.state in TERMINAL_STATES or self.state is QueueState.IDLE:
            await self._claims.give_back()
            await self._launches.settle()
            return self.state
        if self.state is QueueState.RUNNING:
            await self._launch_round()
            await self._progress.report()
        else:
            await self._claims.give_back()
        if self.state is not QueueState.RUNNING or self._claims.cache_maybe_empty:
            return await self._check_progress()
        return None

    def _state_read_every(self, now: float) -> float:
        """STATE_READ_S while a launch may go soon (or anything but running); an execution
        that launches every few seconds reads it every IDLE_STATE_READ_S meanwhile, and again
        just before its next launch (a thousand such runners would otherwise poll the store
        thousands of times a second for nothing). A launch waiting in line for its slot is
        not soon: it is checked when its slot is reserved (`Launches._account_slot`)."""
        if self.state is not QueueState.RUNNING or self._launches.soon(now):
            return STATE_READ_S
        return IDLE_STATE_READ_S

    async def _launch_round(self) -> None:
        run, claims, launches = self._run, self._claims, self._launches
        clock = run.ports.clock
        if clock.monotonic() >= self._next_decision:
            self._next_decision = clock.monotonic() + run.settings.poll_interval_s
            await claims.top_up(len(launches))
        while claims and launches.may_start() and run.budget.delay(clock.monotonic()) <= 0:
            await launches.start(claims.take())
            if run.leaving:
                break

    async def _check_progress(self) -> QueueState | None:
        """Move the execution on when its work is done: to draining when the cache is empty
        and no record waits (nor may come to wait: a retry of a call in flight), and out of
        draining or stopping when nothing is in flight; records still waiting then get their
        final disposition (`DialGate.finish`)."""
        run, gate = self._run, self._claims.gate
        ports, execution_id = run.ports, run.id
        if self._launches or self._claims.held:
            return None
        if await ports.cache.claimed(execution_id) or await ports.calls.launching(execution_id):
            # Claims with no launch task of ours: left by a crash, or a launch whose answer
            # stayed ambiguous. Reconcile them now.
            await run.reconciler.recover()
            return None
        if self.state is QueueState.RUNNING:
            if await ports.cache.remaining(execution_id):
                self._claims.cache_maybe_empty = False
                return None
            if await self._may_wait():
                self._only_waiting = True  # until a record is due: see `_sleep_for`
                return None
            await run.stored.move(Trigger.CACHE_EMPTY)
        if self.state in (QueueState.DRAINING, QueueState.STOPPING):
            if await ports.calls.count(execution_id):
                return None
            if self.state is QueueState.DRAINING and await ports.cache.remaining(execution_id):
                return None
            await gate.finish()
            await run.stored.move(Trigger.DRAINED)
            return self.state
        return None

    async def _may_wait(self) -> bool:
        """A record waits, or a call in flight may end in a retry (dialing rules on)."""
        gate, run = self._claims.gate, self._run
        if not gate.on:
            return False
        if any(await gate.counts()):
            return True
        return run.execution.retry.max_attempts > 1 and bool(await run.ports.calls.count(run.id))

    async def _wait(self) -> None:
        """Sleep until the next thing to do, or until woken (`wake`)."""
        delay = self._sleep_for(self._run.ports.clock.monotonic())
        if self._wake.is_set():
            self._wake.clear()
            return
        sleeper = asyncio.create_task(self._run.ports.clock.sleep(delay))
        waker = asyncio.create_task(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
        self._wake.clear()

    def _sleep_for(self, now: float) -> float:
        """How long the loop may sleep: the poll interval, or until a launch may start."""
        run, claims = self._run, self._claims
        delay = run.settings.poll_interval_s
        if self._only_waiting and not claims:
            # Nothing to claim until a waiting record is due (a finished call, a command or a
            # retry settled here wakes the loop): look again then, or every IDLE_STATE_READ_S.
            self._only_waiting = False
            due = self._claims.gate.waited_until() - run.ports.clock.now()
            return max(delay, min(IDLE_STATE_READ_S, due))
        if self.state is not QueueState.RUNNING or not claims:
            return delay
        # A launch may start when the budget allows, unless enough wait for their slot
        # (the one whose slot comes wakes this loop).
        ready = max(0.0, run.budget.delay(now)) if self._launches.may_start() else float("inf")
        if len(claims) >= claims.lookahead() and not claims.deferred:
            # Nothing to claim or decide before then: sleep until it (a contact that ends, a
            # command, a changed state or a new budget wakes it). A state sweep reads the
            # stored state for all the runners; this runner reads its own when that falls
            # well behind.
            overdue = run.stored.read_at + 2 * self._state_read_every(now) - now
            return min(ready, max(0.0, overdue))
        return min(delay, ready)
