"""A runner's launches in progress: each one reserves its (to, from) pair, waits in the
instance's line for its slot of the account's schedule, is sent, and is recorded, given back or
settled (ADR 0017). The runner starts them (`start`) while its budget allows and fewer than
`waiters` wait for their slot; the one whose slot comes lets the next one start.
"""

from __future__ import annotations

import asyncio
import math
from functools import partial

from queue_core.domain.contacts import ClaimedRecord, ContactRecord, ContactRef
from queue_core.domain.errors import InvalidContactRecord, LeaseLost
from queue_core.domain.launch import Ambiguous, Launched, LaunchRequest, RateLimited
from queue_core.services.claims import Claims
from queue_core.services.execution_run import ExecutionRun

__all__ = ["SLOT_WAIT_S", "STATE_READ_S", "Launches"]

STATE_READ_S = 0.25  # the stored state is read again at least this often near a launch
SLOT_WAIT_S = 0.02  # launches waiting for their account slot: this many seconds' worth, >= 1


class Launches:
    """The launch tasks of one runner, and the account slots they wait for."""

    def __init__(self, run: ExecutionRun, claims: Claims) -> None:
        self._run = run
        self._claims = claims
        self.tasks: set[asyncio.Task[None]] = set()
        self.awaiting_slot = 0  # launch tasks waiting for their slot of the account's schedule
        self.slot_dues: list[float] = []  # when the slots they wait for are due

    def __len__(self) -> int:
        return len(self.tasks)

    def waiters(self) -> int:
        """How many launches may wait for their slot of the account's schedule at once: one at
        the usual rates, `SLOT_WAIT_S` worth at high ones. The next one is started when a slot
        comes, so launches never queue up behind a slower schedule, and a pause puts the
        records back in their order."""
        return max(1, math.floor(self._run.budget.rate * SLOT_WAIT_S))

    def may_start(self) -> bool:
        """Fewer launches wait for their slot than may."""
        return self.awaiting_slot < self.waiters()

    def soon(self, now: float) -> bool:
        """A reserved slot is due, or a launch may start, within STATE_READ_S."""
        if any(due - now <= STATE_READ_S for due in self.slot_dues):
            return True
        return self.may_start() and self._run.budget.delay(now) <= STATE_READ_S

    async def settle(self) -> None:
        """Wait for every launch in progress to be recorded, given back or settled."""
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def start(self, record: ClaimedRecord) -> None:
        """Reserve the record's pair and start its launch task; an invalid record settles at
        once, one whose pair is in flight waits for the next decision."""
        run = self._run
        try:
            contact = ContactRecord.parse(record.raw)
        except InvalidContactRecord as exc:
            await run.reconciler.settle_invalid(record, exc)
            return
        ref = ContactRef(run.id, record.claim_id)
        reserved_at = run.ports.clock.now()
        try:
            reserved = await run.ports.calls.reserve(
                ref, contact.phone_number, run.execution.from_number, reserved_at, run.lease_token
            )
        except LeaseLost:
            run.log.warning("lease on %s lost: leaving it to its new owner", run.id)
            self._claims.put_first(record)
            run.leaving = True
            return
        if not reserved:
            self._claims.defer(record)
            return
        # With one launch waiting for its slot at a time (the usual rates), the budget counts
        # it when its slot comes, so that this execution's schedule follows the slots it gets:
        # executions that asked at once are spread over the account's schedule, and ask again
        # spread out (ADR 0010). Several waiting at once count now, spacing their asks.
        counted = self.waiters() > 1
        if counted:
            self._count()
        self.awaiting_slot += 1  # until `_first_slot` returns
        task = asyncio.create_task(self._launch(record, contact, ref, reserved_at, counted))
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        failed = not task.cancelled() and task.exception() is not None
        if failed:
            self._run.log.error("launch task failed", exc_info=task.exception())
        if failed or not self.tasks:
            self._run.wake()  # the last launch in flight is done: look at the progress again

    def _count(self) -> None:
        """Take the launch from this execution's budget (and count it for `status`)."""
        now = self._run.ports.clock.monotonic()
        self._run.budget.take(now)
        self._run.reports.launched(now)

    async def _launch(
        self,
        record: ClaimedRecord,
        contact: ContactRecord,
        ref: ContactRef,
        reserved_at: float,
        counted: bool,
    ) -> None:
        run, reconciler = self._run, self._run.reconciler
        request = reconciler.request(contact, ref)
        if not await self._first_slot():
            await reconciler.give_back(ref, contact, [record])
            return
        if not counted:
            self._count()
        outcome = await reconciler.send(
            request, ref, reserved_at, lambda: self._may_send_again(ref, request)
        )
        now = run.ports.clock.monotonic()
        if isinstance(outcome, Launched):
            run.budget.succeeded(now)
            await run.retry.until_done(lambda: reconciler.record(record, contact, outcome, request))
        elif isinstance(outcome, RateLimited):
            run.budget.rate_limited(now, outcome.retry_after_s)
            await reconciler.give_back(ref, contact, self._claims.take_all(record))
        elif isinstance(outcome, Ambiguous):
            run.log.error("launch of %s still ambiguous, left for reconciliation", ref)
        else:
            await reconciler.settle_failed(record, contact, ref, outcome)

    async def _account_slot(self) -> bool:
        """Reserve a slot of the account's shared schedule (in this instance's line) and wait
        for it, right before the send (`LaunchLine.slot`). False when the execution stopped
        running, the store became unavailable or this instance is leaving meanwhile: do not
        launch. The stored state it launches on was read at most about STATE_READ_S before
        (a slot reserved due at once, after waiting in line, has it read again)."""
        run = self._run
        refresh = partial(run.stored.read_if_older, STATE_READ_S)
        return await run.line.slot(run.running, refresh, self.slot_dues, run.log)

    async def _first_slot(self) -> bool:
        """`_account_slot` for a launch `start` counted as waiting for its slot."""
        try:
            return await self._account_slot()
        finally:
            self.awaiting_slot -= 1
            self._run.wake()  # the next launch may start

    async def _may_send_again(self, ref: ContactRef, request: LaunchRequest) -> bool:
        """Before sending a launch again: still ours, and its slot of the account has come."""
        return await self._still_ours(ref, request) and await self._account_slot()

    async def _still_ours(self, ref: ContactRef, request: LaunchRequest) -> bool:
        """Before sending a launch again: is the lease still ours? (Reserving again is
        idempotent for the same contact and checks the fencing token.)"""
        run = self._run
        if run.leaving:
            return False
        if run.lease_token is None:
            return True
        try:
            await run.reconciler.reserve_again(ref, request, run.lease_token)
        except LeaseLost:
            run.leaving = True
            return False
        return not run.leaving
