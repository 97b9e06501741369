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

The runner owns the loop and its claims; the rest it hands to parts of its own: the stored
state (`stored_state`), the instance's line for the account's slots and the send turns
(`launch_line`), sending and reconciling launches and crash recovery (`reconciler`), the
pacing report, and store retries. When a launch may go is its `LaunchSchedule`'s to say
(ADR 0017).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from dataclasses import dataclass
from functools import partial

from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.contacts import ClaimedRecord, ContactRecord, ContactRef
from queue_core.domain.errors import InvalidContactRecord, LeaseLost, StoreUnavailable
from queue_core.domain.launch import Ambiguous, Launched, LaunchRequest, RateLimited
from queue_core.domain.launch_schedule import LaunchRateController
from queue_core.domain.pacer import Pacer, PacingSnapshot
from queue_core.domain.state import TERMINAL_STATES, QueueState, Trigger
from queue_core.domain.tokens import CallstatusTokens
from queue_core.ports import (
    AbandonmentCounters,
    ActiveCallRegistry,
    CallLauncher,
    Clock,
    ContactCache,
    EventPublisher,
    LaunchLimiter,
    PacingStatsSource,
    QueueStateStore,
)
from queue_core.services.abandonment_view import AbandonmentView
from queue_core.services.launch_line import LaunchLine
from queue_core.services.pacing_report import PacingReports
from queue_core.services.reconciler import OnRecorded, Reconciler
from queue_core.services.store_retry import StoreRetry
from queue_core.services.stored_state import StoredState

__all__ = ["QueueRunner", "RunnerPorts", "RunnerSettings"]

log = logging.getLogger(__name__)

STATE_READ_S = 0.25  # the stored state is read again at least this often near a launch
IDLE_STATE_READ_S = 2.0  # and this often while the next launch is further away (or none)
RATE_WINDOW_S = 10.0  # the launch rate reported for `status` is over this window
PACING_REPORT_S = 2.0  # and reported at most this often
SLOT_WAIT_S = 0.02  # launches waiting for their account slot: this many seconds' worth, >= 1


@dataclass(frozen=True, slots=True)
class RunnerPorts:
    cache: ContactCache
    calls: ActiveCallRegistry
    stats: PacingStatsSource
    launcher: CallLauncher
    states: QueueStateStore
    events: EventPublisher
    clock: Clock
    limiter: LaunchLimiter | None = None
    abandonment: AbandonmentCounters | None = None


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    owner: str
    callstatus_url: str
    stats_max_age_s: float = 60.0
    poll_interval_s: float = 0.5
    expect_voice_events: bool = True
    expect_task_events: bool = False  # a person's call waits for its task (ADR 0025)
    claim_lookahead_s: float = 1.0
    reconcile_margin_s: float = 5.0
    max_launch_attempts: int = 5
    # A launch reserved this long ago with no recorded outcome is over, whoever sent it: only
    # then is it reconciled with Studio's list (and sent again when Studio has none).
    reconcile_after_s: float = 60.0
    store_retry_cap_s: float = 5.0


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
        self.execution = execution
        self.lease_token = lease_token
        self.budget = budget
        self.pacer = pacer or Pacer(execution.pacing)
        self._id = execution.campaign_execution_id
        # Every record names the execution (a field of its own in JSON logs).
        self._log = logging.LoggerAdapter(log, {"campaign_execution_id": self._id})
        self._ports = ports
        self._settings = settings
        self._pending: deque[ClaimedRecord] = deque()
        self._deferred: list[ClaimedRecord] = []
        self._launches: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stored = StoredState(self._id, ports.states, ports.clock)
        self._cache_maybe_empty = False
        self._next_decision = -math.inf
        self._store_failures = 0
        self._awaiting_slot = 0  # launch tasks waiting for their slot of the account's schedule
        self._line = line
        self._slot_dues: list[float] = []  # when the slots its launches wait for are due
        self._leaving = False
        self.in_flight = 0  # calls in flight at the last pacing decision (for metrics)
        self._reports = PacingReports(
            self._id, ports.states, ports.clock, window_s=RATE_WINDOW_S, every_s=PACING_REPORT_S
        )
        self._retry = StoreRetry(ports.clock, settings.store_retry_cap_s, self._log)
        self._reconciler = Reconciler(
            execution,
            cache=ports.cache,
            calls=ports.calls,
            launcher=ports.launcher,
            send_turn=line.send_turn,
            clock=ports.clock,
            tokens=tokens,
            callstatus_url=settings.callstatus_url,
            expect_voice_events=settings.expect_voice_events,
            max_launch_attempts=settings.max_launch_attempts,
            reconcile_margin_s=settings.reconcile_margin_s,
            reconcile_after_s=settings.reconcile_after_s,
            retry=self._retry,
            log=self._log,
            expect_task_events=settings.expect_task_events,
        )
        self.abandonment = AbandonmentView(
            ports.abandonment, self._id, execution.campaign_id, ports.clock
        )

    @property
    def on_recorded(self) -> OnRecorded | None:
        """Hands facts parked before a launch was recorded to the tracker (set by the
        supervisor)."""
        return self._reconciler.on_recorded

    @on_recorded.setter
    def on_recorded(self, hand_over: OnRecorded | None) -> None:
        self._reconciler.on_recorded = hand_over

    @property
    def state(self) -> QueueState:
        return self._stored.state

    def leave(self) -> None:
        """Stop claiming and launching, put local claims back, and return from `run` once the
        launches already sent are recorded. The stored state is left as it is, so the next
        instance (or this one, restarted) carries on with the execution."""
        self._leaving = True
        self.wake()

    def state_changed(self) -> None:
        """A command changed the stored state: read it before launching anything more."""
        self._stored.changed()
        self.wake()

    def wants_state(self, now: float, ahead_s: float) -> bool:
        """Whether the stored state, read now, falls due before `now + ahead_s` (the next
        read for all runners at once: a state sweep reads it then and hands it over with
        `state_read`). A launch is never more than `ahead_s` away from such a read once it
        is soon. False when a command here changed it: this runner reads that one itself."""
        return self._stored.wanted(now, ahead_s, self._state_read_every(now))

    def state_version(self) -> int:
        """Pass it back to `state_read` with a state read after this call."""
        return self._stored.version

    def state_read(self, state: QueueState, read_at: float, version: int) -> None:
        """The stored state, as read (for this runner and others) from `read_at` on. Ignored
        when this runner read, moved or heard of a command since `version` was taken: the
        read may predate that."""
        if self._stored.read_elsewhere(state, read_at, version):
            self.wake()

    def wake(self) -> None:
        """Look again now: a contact finished or a command changed the state."""
        self._wake.set()

    async def run(self) -> QueueState:
        """Run until the execution ends (completed, stopped or failed); return that state."""
        await self._retry.until_done(self._reconciler.recover)
        while True:
            try:
                ended = await self._round()
                self._store_failures = 0
            except StoreUnavailable as exc:
                self._store_failures += 1
                await self._retry.back_off(self._store_failures, exc)
                continue
            if ended is not None:
                return ended
            await self._wait()

    async def _round(self) -> QueueState | None:
        now = self._ports.clock.monotonic()
        stored = self._stored
        if stored.dirty or now - stored.read_at >= self._state_read_every(now):
            # Commands change the stored state: read it when told (a command here), and often
            # enough that a command handled by another instance stops the next launch.
            await stored.read()
        if self._leaving or self.state in TERMINAL_STATES or self.state is QueueState.IDLE:
            await self._return_local()
            await self._settle_launches()
            return self.state
        if self.state is QueueState.RUNNING:
            await self._launch_round()
        else:
            await self._return_local()
        if self.state is not QueueState.RUNNING or self._cache_maybe_empty:
            return await self._check_progress()
        return None

    def _state_read_every(self, now: float) -> float:
        """STATE_READ_S while a launch may go soon (or anything but running); an execution
        that launches every few seconds reads it every IDLE_STATE_READ_S meanwhile, and again
        just before its next launch (a thousand such runners would otherwise poll the store
        thousands of times a second for nothing). A launch waiting in line for its slot is
        not soon: it is checked when its slot is reserved (`_account_slot`)."""
        if self.state is not QueueState.RUNNING or self._launching_soon(now):
            return STATE_READ_S
        return IDLE_STATE_READ_S

    def _launching_soon(self, now: float) -> bool:
        """A reserved slot is due, or a launch may start, within STATE_READ_S."""
        if any(due - now <= STATE_READ_S for due in self._slot_dues):
            return True
        return self._awaiting_slot < self._waiters() and self.budget.delay(now) <= STATE_READ_S

    async def _launch_round(self) -> None:
        clock = self._ports.clock
        if clock.monotonic() >= self._next_decision:
            self._next_decision = clock.monotonic() + self._settings.poll_interval_s
            self._pending.extendleft(reversed(self._deferred))
            self._deferred.clear()
            await self._top_up()
        waiters = self._waiters()
        while (
            self._pending
            and self._awaiting_slot < waiters
            and self.budget.delay(clock.monotonic()) <= 0
        ):
            record = self._pending.popleft()
            await self._start_launch(record)
            if self._leaving:
                break

    async def _account_slot(self) -> bool:
        """Reserve a slot of the account's shared schedule (in this instance's line) and wait
        for it, right before the send (`LaunchLine.slot`). False when the execution stopped
        running, the store became unavailable or this instance is leaving meanwhile: do not
        launch. The stored state it launches on was read at most about STATE_READ_S before
        (a slot reserved due at once, after waiting in line, has it read again)."""
        refresh = partial(self._stored.read_if_older, STATE_READ_S)
        return await self._line.slot(self._running, refresh, self._slot_dues, self._log)

    async def _first_slot(self) -> bool:
        """`_account_slot` for a launch `_start_launch` counted as waiting for its slot."""
        try:
            return await self._account_slot()
        finally:
            self._awaiting_slot -= 1
            self.wake()  # the next launch may start

    def _running(self) -> bool:
        """Launching is allowed: the execution runs, the store answers, this instance stays."""
        return not self._leaving and self.state is QueueState.RUNNING and self._store_failures == 0

    def _waiters(self) -> int:
        """How many launches may wait for their slot of the account's schedule at once: one at
        the usual rates, `SLOT_WAIT_S` worth at high ones. The next one is started when a slot
        comes, so launches never queue up behind a slower schedule, and a pause puts the
        records back in their order."""
        return max(1, math.floor(self.budget.rate * SLOT_WAIT_S))

    def _lookahead(self) -> int:
        """How many claims this runner holds ahead of its launches."""
        return max(1, math.ceil(self.budget.rate * self._settings.claim_lookahead_s))

    def _count_launch(self) -> None:
        """Take the launch from this execution's budget (and count it for `status`)."""
        now = self._ports.clock.monotonic()
        self.budget.take(now)
        self._reports.launched(now)

    async def _top_up(self) -> None:
        ports = self._ports
        lookahead = self._lookahead()
        if len(self._pending) >= lookahead:
            # Nothing could be claimed: spare the store the pacing reads (a slow execution
            # waits seconds between launches). The report keeps the last decision's reason.
            await self._reports.report(self.budget.budget, self.pacer.dial_ratio)
            return
        stats = await ports.stats.read(self.execution.task_queue_sid)
        if stats is not None and stats.is_stale(ports.clock.now(), self._settings.stats_max_age_s):
            stats = None
        in_flight = await ports.calls.count(self._id)
        self.in_flight = in_flight
        counts = await self.abandonment.refresh()
        snapshot = PacingSnapshot(
            now=ports.clock.monotonic(),
            stats=stats,
            in_flight=in_flight + len(self._launches),
            answered_in_flight=await ports.calls.answered(self._id),
            claimed=len(self._pending),
            human_answered_total=counts.human_answered,
            abandoned_total=counts.abandoned,
        )
        decision = self.pacer.decide(snapshot, self.state)
        await self._reports.report(self.budget.budget, self.pacer.dial_ratio, decision.reason)
        want = min(decision.count, lookahead - len(self._pending))
        if want <= 0:
            # Nothing to claim now: look whether the campaign is over instead.
            self._cache_maybe_empty = not self._pending
            return
        records = await ports.cache.claim(self._id, self._settings.owner, want, ports.clock.now())
        self._pending.extend(records)
        self._cache_maybe_empty = len(records) < want

    async def _start_launch(self, record: ClaimedRecord) -> None:
        ports = self._ports
        try:
            contact = ContactRecord.parse(record.raw)
        except InvalidContactRecord as exc:
            await self._reconciler.settle_invalid(record, exc)
            return
        ref = ContactRef(self._id, record.claim_id)
        reserved_at = ports.clock.now()
        try:
            reserved = await ports.calls.reserve(
                ref, contact.phone_number, self.execution.from_number, reserved_at, self.lease_token
            )
        except LeaseLost:
            self._log.warning("lease on %s lost: leaving it to its new owner", self._id)
            self._pending.appendleft(record)
            self._leaving = True
            return
        if not reserved:
            self._deferred.append(record)  # the pair is in flight: try again next decision
            return
        # With one launch waiting for its slot at a time (the usual rates), the budget counts
        # it when its slot comes, so that this execution's schedule follows the slots it gets:
        # executions that asked at once are spread over the account's schedule, and ask again
        # spread out (ADR 0010). Several waiting at once count now, spacing their asks.
        counted = self._waiters() > 1
        if counted:
            self._count_launch()
        self._awaiting_slot += 1  # until `_first_slot` returns
        task = asyncio.create_task(self._launch(record, contact, ref, reserved_at, counted))
        self._launches.add(task)
        task.add_done_callback(self._launch_done)

    def _launch_done(self, task: asyncio.Task[None]) -> None:
        self._launches.discard(task)
        failed = not task.cancelled() and task.exception() is not None
        if failed:
            self._log.error("launch task failed", exc_info=task.exception())
        if failed or not self._launches:
            self.wake()  # the last launch in flight is done: look at the progress again

    async def _launch(
        self,
        record: ClaimedRecord,
        contact: ContactRecord,
        ref: ContactRef,
        reserved_at: float,
        counted: bool,
    ) -> None:
        ports, reconciler = self._ports, self._reconciler
        request = reconciler.request(contact, ref)
        if not await self._first_slot():
            await reconciler.give_back(ref, contact, [record])
            return
        if not counted:
            self._count_launch()
        outcome = await reconciler.send(
            request, ref, reserved_at, lambda: self._may_send_again(ref, request)
        )
        if isinstance(outcome, Launched):
            self.budget.succeeded(ports.clock.monotonic())
            await self._retry.until_done(lambda: reconciler.record(ref, contact, outcome, request))
        elif isinstance(outcome, RateLimited):
            self.budget.rate_limited(ports.clock.monotonic(), outcome.retry_after_s)
            back = [record, *self._pending]
            self._pending.clear()
            await reconciler.give_back(ref, contact, back)
        elif isinstance(outcome, Ambiguous):
            self._log.error("launch of %s still ambiguous, left for reconciliation", ref)
        else:
            await reconciler.settle_failed(record, contact, ref, outcome)

    async def _may_send_again(self, ref: ContactRef, request: LaunchRequest) -> bool:
        """Before sending a launch again: still ours, and its slot of the account has come."""
        return await self._still_ours(ref, request) and await self._account_slot()

    async def _still_ours(self, ref: ContactRef, request: LaunchRequest) -> bool:
        """Before sending a launch again: is the lease still ours? (Reserving again is
        idempotent for the same contact and checks the fencing token.)"""
        if self._leaving:
            return False
        if self.lease_token is None:
            return True
        try:
            await self._reconciler.reserve_again(ref, request, self.lease_token)
        except LeaseLost:
            self._leaving = True
            return False
        return not self._leaving

    async def _return_local(self) -> None:
        back = [*self._pending, *self._deferred]
        self._pending.clear()
        self._deferred.clear()
        if back:
            await self._ports.cache.return_to_head(self._id, back)

    async def _settle_launches(self) -> None:
        if self._launches:
            await asyncio.gather(*self._launches, return_exceptions=True)

    async def _check_progress(self) -> QueueState | None:
        ports = self._ports
        if self._launches or self._pending or self._deferred:
            return None
        if await ports.cache.claimed(self._id) or await ports.calls.launching(self._id):
            # Claims with no launch task of ours: left by a crash, or a launch whose answer
            # stayed ambiguous. Reconcile them now.
            await self._reconciler.recover()
            return None
        if self.state is QueueState.RUNNING:
            if await ports.cache.remaining(self._id):
                self._cache_maybe_empty = False
                return None
            await self._stored.move(Trigger.CACHE_EMPTY)
        if self.state in (QueueState.DRAINING, QueueState.STOPPING):
            if await ports.calls.count(self._id):
                return None
            if self.state is QueueState.DRAINING and await ports.cache.remaining(self._id):
                return None
            await self._stored.move(Trigger.DRAINED)
            return self.state
        return None

    async def _wait(self) -> None:
        clock = self._ports.clock
        delay = self._settings.poll_interval_s
        if self.state is QueueState.RUNNING and self._pending:
            now = clock.monotonic()
            # A launch may start when the budget allows, unless enough wait for their slot
            # (the one whose slot comes wakes this loop).
            ready = math.inf
            if self._awaiting_slot < self._waiters():
                ready = max(0.0, self.budget.delay(now))
            if len(self._pending) >= self._lookahead() and not self._deferred:
                # Nothing to claim or decide before then: sleep until it (a contact that ends,
                # a command, a changed state or a new budget wakes it). A state sweep reads
                # the stored state for all the runners; this runner reads its own when that
                # falls well behind.
                overdue = self._stored.read_at + 2 * self._state_read_every(now) - now
                delay = min(ready, max(0.0, overdue))
            else:
                delay = min(delay, ready)
        if self._wake.is_set():
            self._wake.clear()
            return
        sleeper = asyncio.create_task(clock.sleep(delay))
        waker = asyncio.create_task(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
        self._wake.clear()
