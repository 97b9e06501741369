"""The queue runner: drives one campaign execution through the ports.

One round: read the stored state (commands change it), ask the pacer how many contacts to
launch, claim them, launch each when the launch budget allows, record each launch; when the
cache is empty and nothing is claimed, drain; when nothing is in flight, end. A claimed record
is never launched unless the execution is running: on pause or stop it goes back to the head
of the cache, and so does a rate-limited one.

The stored state is read when a command here changed it (`state_changed`), at most
`STATE_READ_S` before a launch, and every `IDLE_STATE_READ_S` otherwise. Under a supervisor,
that read is made for every runner of the instance in one request (`wants_state`,
`state_read`); a runner reads its own only when that falls behind (ADR 0010).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from queue_core.assembler import invalid_record_disposition, launch_failed_disposition
from queue_core.budget import LaunchRateController, late_allowance
from queue_core.campaign import CampaignExecution
from queue_core.contacts import ClaimedRecord, ContactAttempt, ContactRecord, ContactRef
from queue_core.errors import InvalidContactRecord, LeaseLost, StoreUnavailable
from queue_core.facts import ContactFact
from queue_core.launch import Ambiguous, Launched, LaunchOutcome, LaunchRequest, RateLimited
from queue_core.pacer import Pacer, PacingSnapshot
from queue_core.ports import (
    ActiveCallRegistry,
    CallLauncher,
    Clock,
    ContactCache,
    EventPublisher,
    LaunchLimiter,
    PacingReport,
    PacingStatsSource,
    QueueStateStore,
)
from queue_core.queue_events import QueueEvent, QueueEventType
from queue_core.slot_line import SlotLine
from queue_core.state import TERMINAL_STATES, QueueState, QueueStateMachine, Trigger
from queue_core.tokens import CallstatusTokens

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


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    owner: str
    callstatus_url: str
    stats_max_age_s: float = 60.0
    poll_interval_s: float = 0.5
    expect_voice_events: bool = True
    claim_lookahead_s: float = 1.0
    reconcile_margin_s: float = 5.0
    max_launch_attempts: int = 5
    # A launch reserved this long ago with no recorded outcome is over, whoever sent it: only
    # then is it reconciled with Studio's list (and sent again when Studio has none).
    reconcile_after_s: float = 60.0
    store_retry_cap_s: float = 5.0
    # A launch slot of the account's schedule woken up to this late is used (or as late as the
    # schedule itself allows, `late_allowance`, whichever is more); a later one is let go and
    # another reserved, so that a stalled loop never sends its slots in a bunch.
    slot_lateness_s: float = 0.0025


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
        lease_token: int | None = None,
        account_rate: float = 0.0,
        slots: SlotLine | None = None,
    ) -> None:
        """`lease_token` fences every launch (see `ExecutionLeases`); `account_rate` is the
        rate the shared `LaunchLimiter` holds every instance of the account to; `slots` is
        the line the runners of this instance ask it in (else a line of its own)."""
        self.execution = execution
        self.lease_token = lease_token
        self.account_rate = account_rate
        self.budget = budget
        self.pacer = pacer or Pacer(execution.pacing)
        self._id = execution.campaign_execution_id
        # Every record names the execution (a field of its own in JSON logs).
        self._log = logging.LoggerAdapter(log, {"campaign_execution_id": self._id})
        self._ports = ports
        self._settings = settings
        self._tokens = tokens
        self._pending: deque[ClaimedRecord] = deque()
        self._deferred: list[ClaimedRecord] = []
        self._launches: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._state = QueueState.IDLE
        self._cache_maybe_empty = False
        self._next_decision = -math.inf
        self._store_failures = 0
        self._awaiting_slot = 0  # launch tasks waiting for their slot of the account's schedule
        self._slot_dues: list[float] = []  # when the slots reserved for them are due
        limiter = ports.limiter
        self._slots = slots or (None if limiter is None else SlotLine(limiter, ports.clock))
        self._leaving = False
        self._recent_launches: deque[float] = deque()
        self._state_dirty = True
        self._state_read_at = -math.inf
        # Changes whenever this runner reads, moves or is told of a command: a state read by
        # someone else (`state_read`) from before such a change is not applied.
        self._state_version = 0
        self.in_flight = 0  # calls in flight at the last pacing decision (for metrics)
        self._reported_at = -math.inf
        self._reported: PacingReport | None = None
        self._reason = ""  # the last pacing decision's
        # Hands facts parked before a launch was recorded to the tracker (set by the supervisor).
        self.on_recorded: (
            Callable[[ContactAttempt, Sequence[ContactFact]], Awaitable[None]] | None
        ) = None

    @property
    def state(self) -> QueueState:
        return self._state

    def leave(self) -> None:
        """Stop claiming and launching, put local claims back, and return from `run` once the
        launches already sent are recorded. The stored state is left as it is, so the next
        instance (or this one, restarted) carries on with the execution."""
        self._leaving = True
        self.wake()

    def state_changed(self) -> None:
        """A command changed the stored state: read it before launching anything more."""
        self._state_dirty = True
        self._state_version += 1
        self.wake()

    def wants_state(self, now: float, ahead_s: float) -> bool:
        """Whether the stored state, read now, falls due before `now + ahead_s` (the next
        read for all runners at once: the supervisor reads it then and hands it over with
        `state_read`). A launch is never more than `ahead_s` away from such a read once it
        is soon. False when a command here changed it: this runner reads that one itself."""
        due = self._state_read_at + self._state_read_every(now)
        return not self._state_dirty and due <= now + ahead_s

    def state_version(self) -> int:
        """Pass it back to `state_read` with a state read after this call."""
        return self._state_version

    def state_read(self, state: QueueState, read_at: float, version: int) -> None:
        """The stored state, as read (for this runner and others) from `read_at` on. Ignored
        when this runner read, moved or heard of a command since `version` was taken: the
        read may predate that."""
        if version != self._state_version:
            return
        self._state_version += 1
        self._state_read_at = max(self._state_read_at, read_at)
        if state is not self._state:
            self._state = state
            self.wake()

    def wake(self) -> None:
        """Look again now: a contact finished or a command changed the state."""
        self._wake.set()

    async def run(self) -> QueueState:
        """Run until the execution ends (completed, stopped or failed); return that state."""
        await self._with_retry(self._recover)
        while True:
            try:
                ended = await self._round()
                self._store_failures = 0
            except StoreUnavailable as exc:
                self._store_failures += 1
                await self._back_off(self._store_failures, exc)
                continue
            if ended is not None:
                return ended
            await self._wait()

    async def _round(self) -> QueueState | None:
        now = self._ports.clock.monotonic()
        if self._state_dirty or now - self._state_read_at >= self._state_read_every(now):
            # Commands change the stored state: read it when told (a command here), and often
            # enough that a command handled by another instance stops the next launch.
            await self._read_state()
        if self._leaving or self._state in TERMINAL_STATES or self._state is QueueState.IDLE:
            await self._return_local()
            await self._settle_launches()
            return self._state
        if self._state is QueueState.RUNNING:
            await self._launch_round()
        else:
            await self._return_local()
        if self._state is not QueueState.RUNNING or self._cache_maybe_empty:
            return await self._check_progress()
        return None

    async def _read_state(self) -> None:
        now = self._ports.clock.monotonic()
        self._state_dirty = False
        self._state_version += 1
        version = self._state_version
        status = await self._ports.states.load(self._id)
        if version == self._state_version:  # else a later read or a command came meanwhile
            self._state_read_at = now
            self._state = QueueState.IDLE if status is None else status.state

    def _state_read_every(self, now: float) -> float:
        """STATE_READ_S while a launch may go soon (or anything but running); an execution
        that launches every few seconds reads it every IDLE_STATE_READ_S meanwhile, and again
        just before its next launch (a thousand such runners would otherwise poll the store
        thousands of times a second for nothing). A launch waiting in line for its slot is
        not soon: it is checked when its slot is reserved (`_account_slot`)."""
        if self._state is not QueueState.RUNNING or self._launching_soon(now):
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
        for it, right before the send, so that little time passes between the slot and Twilio
        seeing the launch. False when the execution stopped running, the store became
        unavailable or this instance is leaving meanwhile: do not launch (the slot goes
        unused). A slot this loop wakes up for too late is let go, and another one reserved.
        The stored state it launches on was read at most about STATE_READ_S before."""
        slots, clock = self._slots, self._ports.clock
        if slots is None:
            return True
        while self._running():
            try:
                due = await slots.reserve(self.account_rate, self._running)
            except StoreUnavailable as exc:
                self._log.warning("launch schedule unavailable, asking again: %s", exc)
                await clock.sleep(0.5)
                continue
            if due is None:
                return False
            self._slot_dues.append(due)
            try:
                await clock.sleep(max(0.0, due - clock.monotonic()))
                if clock.monotonic() - self._state_read_at > STATE_READ_S:
                    # Reserved due (nearly) at once, after waiting in line: not read since.
                    await self._read_state()
            except StoreUnavailable:
                return False  # no launch while the store cannot say the execution runs
            finally:
                self._slot_dues.remove(due)
            if clock.monotonic() - due <= self._slot_lateness():
                return self._running()
        return False

    def _slot_lateness(self) -> float:
        """How late a slot may still be used: the setting (half the guard), but at least as
        late as the account's schedule keeps its pace for (`late_allowance`: a busy loop is
        always a little late, and letting every slot go would stop launching, not pace it)."""
        return max(self._settings.slot_lateness_s, late_allowance(self.account_rate))

    async def _first_slot(self) -> bool:
        """`_account_slot` for a launch `_start_launch` counted as waiting for its slot."""
        try:
            return await self._account_slot()
        finally:
            self._awaiting_slot -= 1
            self.wake()  # the next launch may start

    def _running(self) -> bool:
        """Launching is allowed: the execution runs, the store answers, this instance stays."""
        return not self._leaving and self._state is QueueState.RUNNING and self._store_failures == 0

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
        self._recent_launches.append(now)

    async def _top_up(self) -> None:
        ports = self._ports
        lookahead = self._lookahead()
        if len(self._pending) >= lookahead:
            # Nothing could be claimed: spare the store the pacing reads (a slow execution
            # waits seconds between launches). The report keeps the last decision's reason.
            await self._report_pacing(self._reason)
            return
        stats = await ports.stats.read(self.execution.task_queue_sid)
        if stats is not None and stats.is_stale(ports.clock.now(), self._settings.stats_max_age_s):
            stats = None
        in_flight = await ports.calls.count(self._id)
        self.in_flight = in_flight
        snapshot = PacingSnapshot(
            now=ports.clock.monotonic(),
            stats=stats,
            in_flight=in_flight + len(self._launches),
            answered_in_flight=await ports.calls.answered(self._id),
            claimed=len(self._pending),
        )
        decision = self.pacer.decide(snapshot, self._state)
        self._reason = decision.reason
        await self._report_pacing(decision.reason)
        want = min(decision.count, lookahead - len(self._pending))
        if want <= 0:
            # Nothing to claim now: look whether the campaign is over instead.
            self._cache_maybe_empty = not self._pending
            return
        records = await ports.cache.claim(self._id, self._settings.owner, want, ports.clock.now())
        self._pending.extend(records)
        self._cache_maybe_empty = len(records) < want

    async def _report_pacing(self, reason: str) -> None:
        """Store how this execution paces now when that changed, at most every
        `PACING_REPORT_S` (its `at` says since when)."""
        now = self._ports.clock.monotonic()
        while self._recent_launches and now - self._recent_launches[0] > RATE_WINDOW_S:
            self._recent_launches.popleft()
        if now - self._reported_at < PACING_REPORT_S:
            return
        report = PacingReport(
            launch_rate=len(self._recent_launches) / RATE_WINDOW_S,
            launch_budget=self.budget.budget,
            dial_ratio=self.pacer.dial_ratio,
            reason=reason,
            at=self._ports.clock.now(),
        )
        if self._reported is not None and replace(self._reported, at=report.at) == report:
            return
        await self._ports.states.save_pacing(self._id, report)
        self._reported_at = now
        self._reported = report

    async def _start_launch(self, record: ClaimedRecord) -> None:
        ports = self._ports
        try:
            contact = ContactRecord.parse(record.raw)
        except InvalidContactRecord as exc:
            disposition = invalid_record_disposition(
                self._id, record, str(exc), ports.clock.now(), self.execution.from_number
            )
            await ports.cache.settle(self._id, record.claim_id, disposition)
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
        ports, execution = self._ports, self.execution
        request = LaunchRequest(
            flow_sid=execution.studio_flow_sid,
            to=contact.phone_number,
            from_=execution.from_number,
            parameters={
                "campaign_execution_id": self._id,
                "record_id": contact.record_id,
                "callstatus_url": self._settings.callstatus_url,
                "callstatus_token": self._tokens.issue(self._id, contact.record_id),
                "attributes": dict(contact.attributes),
            },
        )
        if not await self._first_slot():
            await self._with_retry(lambda: self._release(ref, contact.phone_number))
            await self._with_retry(lambda: ports.cache.return_to_head(self._id, [record]))
            return
        if not counted:
            self._count_launch()
        outcome = await self._launch_reconciled(request, ref, reserved_at)
        if isinstance(outcome, Launched):
            self.budget.succeeded(ports.clock.monotonic())
            await self._with_retry(lambda: self._record(ref, contact, outcome, request))
        elif isinstance(outcome, RateLimited):
            self.budget.rate_limited(ports.clock.monotonic(), outcome.retry_after_s)
            back = [record, *self._pending]
            self._pending.clear()
            await self._with_retry(lambda: self._release(ref, contact.phone_number))
            await self._with_retry(lambda: ports.cache.return_to_head(self._id, back))
        elif isinstance(outcome, Ambiguous):
            self._log.error("launch of %s still ambiguous, left for reconciliation", ref)
        else:
            disposition = launch_failed_disposition(
                self._id, contact, execution.from_number, outcome, ports.clock.now()
            )
            await self._with_retry(
                lambda: ports.cache.settle(self._id, record.claim_id, disposition)
            )
            await self._with_retry(lambda: self._release(ref, contact.phone_number))

    async def _launch_reconciled(
        self, request: LaunchRequest, ref: ContactRef, reserved_at: float
    ) -> LaunchOutcome:
        """Launch; when the answer is lost, adopt the execution Studio may have created rather
        than create a second one (which would place a second call). A launch is sent again
        only when it never left (the launcher raised `StoreUnavailable`) or when Studio's list
        shows it made nothing; while the list cannot be read, it is asked again, never sent."""
        outcome: LaunchOutcome = Ambiguous("not tried")
        unsure = False  # a create may have reached Studio and lost its answer
        for attempt in range(self._settings.max_launch_attempts):
            if attempt:
                await self._ports.clock.sleep(min(5.0, 0.5 * 2**attempt))
            if not unsure:
                if attempt and not (
                    await self._still_ours(ref, request) and await self._account_slot()
                ):
                    return outcome
                try:
                    outcome = await self._ports.launcher.launch(request)
                except StoreUnavailable as exc:
                    self._log.warning("launch of %s not sent, sending it again: %s", ref, exc)
                    outcome = Ambiguous(f"not sent: {exc}")
                    continue
                if not isinstance(outcome, Ambiguous):
                    return outcome
                unsure = True
            try:
                sid = await self._ports.launcher.find_execution(
                    request.flow_sid, request.to, reserved_at - self._settings.reconcile_margin_s
                )
            except StoreUnavailable:
                continue
            if sid is not None:
                return Launched(sid, adopted=True)
            unsure = False
        return outcome

    async def _still_ours(self, ref: ContactRef, request: LaunchRequest) -> bool:
        """Before sending a launch again: is the lease still ours? (Reserving again is
        idempotent for the same contact and checks the fencing token.)"""
        if self._leaving:
            return False
        if self.lease_token is None:
            return True
        token = self.lease_token
        try:
            await self._with_retry(
                lambda: self._ports.calls.reserve(
                    ref, request.to, request.from_, self._ports.clock.now(), token
                )
            )
        except LeaseLost:
            self._leaving = True
            return False
        return not self._leaving

    async def _record(
        self, ref: ContactRef, contact: ContactRecord, launched: Launched, request: LaunchRequest
    ) -> None:
        attempt = ContactAttempt(
            ref=ref,
            record_id=contact.record_id,
            to=request.to,
            from_=request.from_,
            flow_sid=request.flow_sid,
            execution_sid=launched.execution_sid,
            launched_at=self._ports.clock.now(),
            expect_voice_events=self._settings.expect_voice_events,
        )
        parked = await self._ports.calls.record_launch(attempt)
        if parked and self.on_recorded is not None:
            await self.on_recorded(attempt, parked)

    async def _release(self, ref: ContactRef, to: str) -> None:
        await self._ports.calls.release(ref, to, self.execution.from_number, "")

    async def _release_pair(self, ref: ContactRef, record: ClaimedRecord) -> None:
        """Let go of the pair index of a claim going back unlaunched, if it holds it."""
        try:
            contact = ContactRecord.parse(record.raw)
        except InvalidContactRecord:
            return  # never reserved: an invalid record is settled, not dialed
        await self._release(ref, contact.phone_number)

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
            await self._recover()
            return None
        if self._state is QueueState.RUNNING:
            if await ports.cache.remaining(self._id):
                self._cache_maybe_empty = False
                return None
            await self._move(Trigger.CACHE_EMPTY)
        if self._state in (QueueState.DRAINING, QueueState.STOPPING):
            if await ports.calls.count(self._id):
                return None
            if self._state is QueueState.DRAINING and await ports.cache.remaining(self._id):
                return None
            await self._move(Trigger.DRAINED)
            return self._state
        return None

    async def _move(self, trigger: Trigger) -> None:
        # A state the supervisor reads for this runner meanwhile may predate the move.
        self._state_version += 1
        try:
            await self._move_stored(trigger)
        finally:
            self._state_version += 1

    async def _move_stored(self, trigger: Trigger) -> None:
        ports = self._ports
        before = await ports.states.load(self._id)
        # From the stored state, not the one read a moment ago: a command may have come since.
        self._state = QueueState.IDLE if before is None else before.state
        if not QueueStateMachine.allows(self._state, trigger):
            return
        new = QueueStateMachine.next(self._state, trigger)
        # `stopped` answers the stop command: it echoes that command's request id and reason.
        reason = before.reason if before and new is QueueState.STOPPED else ""
        request_id = before.request_id if before and new is QueueState.STOPPED else ""
        await ports.states.save_state(self._id, new, ports.clock.now(), reason, request_id)
        self._state = new
        event = {
            QueueState.COMPLETED: QueueEventType.COMPLETED,
            QueueState.STOPPED: QueueEventType.STOPPED,
        }
        if new in event:
            status = await ports.states.load(self._id)
            await ports.events.publish(
                QueueEvent(
                    event=event[new],
                    campaign_execution_id=self._id,
                    at=ports.clock.now(),
                    launched=status.launched if status else 0,
                    dispositions=status.dispositions if status else 0,
                    active=await ports.calls.count(self._id),
                    request_id=request_id or None,
                    reason=reason or None,
                )
            )

    async def _recover(self) -> None:
        """After a crash: adopt or re-queue launches whose outcome was never recorded, and put
        back every claim no launch was started for."""
        ports = self._ports
        launching = dict(await ports.calls.launching(self._id))
        back: list[ClaimedRecord] = []
        for record in await ports.cache.claimed(self._id):
            ref = ContactRef(self._id, record.claim_id)
            if ref not in launching:
                # Its reservation may have held the (To, From) pair and died before marking the
                # claim (a crash or an outage between the two steps): let the pair go, or the
                # record, claimed again under a new id, would find it held until its TTL.
                await self._release_pair(ref, record)
                back.append(record)
                continue
            if ports.clock.now() - launching[ref] < self._settings.reconcile_after_s:
                continue  # its launch may still be under way (here or at a previous owner)
            try:
                contact = ContactRecord.parse(record.raw)
            except InvalidContactRecord:
                back.append(record)
                continue
            sid = await ports.launcher.find_execution(
                self.execution.studio_flow_sid,
                contact.phone_number,
                launching[ref] - self._settings.reconcile_margin_s,
            )
            if sid is None:
                await self._release(ref, contact.phone_number)
                back.append(record)
            else:
                request = LaunchRequest(
                    self.execution.studio_flow_sid,
                    contact.phone_number,
                    self.execution.from_number,
                    {},
                )
                await self._record(ref, contact, Launched(sid, adopted=True), request)
        if back:
            await ports.cache.return_to_head(self._id, back)

    async def _back_off(self, failures: int, exc: StoreUnavailable) -> None:
        """Wait before asking the store again: doubling from 0.2 s, capped."""
        delay = min(self._settings.store_retry_cap_s, 0.1 * 2**failures)
        self._log.warning("store unavailable, retrying in %.1fs: %s", delay, exc)
        await self._ports.clock.sleep(delay)

    async def _with_retry(self, step: Callable[[], Awaitable[object]]) -> None:
        """Run a store step until the store answers (capped backoff): nothing is dropped."""
        failures = 0
        while True:
            try:
                await step()
                return
            except StoreUnavailable as exc:
                failures += 1
                await self._back_off(failures, exc)

    async def _wait(self) -> None:
        clock = self._ports.clock
        delay = self._settings.poll_interval_s
        if self._state is QueueState.RUNNING and self._pending:
            now = clock.monotonic()
            # A launch may start when the budget allows, unless enough wait for their slot
            # (the one whose slot comes wakes this loop).
            ready = math.inf
            if self._awaiting_slot < self._waiters():
                ready = max(0.0, self.budget.delay(now))
            if len(self._pending) >= self._lookahead() and not self._deferred:
                # Nothing to claim or decide before then: sleep until it (a contact that ends,
                # a command, a changed state or a new budget wakes it). The supervisor reads
                # the stored state for all its runners; this runner reads its own when that
                # falls well behind.
                overdue = self._state_read_at + 2 * self._state_read_every(now) - now
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
