"""The dialing rules applied to a runner's claims right before they are launched (ADR 0027).

A claimed batch is screened once: its numbers are looked up on the execution's do-not-call
lists in one request (`DoNotCallLists.listed`), and each record gets its verdict
(`queue_core.domain.dial_rules.verdict`) at that instant: dial now, wait in the execution's
waiting set until its calling window opens (`WaitingRecords.defer`), or settle now with its
final disposition (`dnc`, `outside_window`, `invalid_record`). The runner takes records back
from the waiting set when they are due (`take_due`), a retry's as well as a window's. An
execution with no window, no do-not-call list and one attempt per record passes through
untouched, at no cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from queue_core.domain.contacts import ClaimedRecord, ContactRecord
from queue_core.domain.dial_rules import NotDialed, WaitUntil, verdict
from queue_core.domain.disposition import Disposition, DispositionStatus
from queue_core.domain.errors import InvalidContactRecord
from queue_core.domain.record_dispositions import not_dialed_disposition
from queue_core.domain.waiting import WaitingRecord, WaitReason
from queue_core.services.execution_run import ExecutionRun

__all__ = ["NEXT_DUE_READ_S", "DialGate"]

# How often the runner reads when its waiting set's next record is due, beyond what its own
# steps tell it (a retry that another instance's webhook settled lands there too).
NEXT_DUE_READ_S = 2.0
FINISH_BATCH = 500  # waiting records given their final disposition per request
FINISH_AGAIN_S = 0.05  # another caller finishes what this one read: look again this soon


class DialGate:
    """Screens one execution's claims, and brings its waiting records back when due."""

    def __init__(self, run: ExecutionRun) -> None:
        self._run = run
        self._ports = ports = run.ports
        execution = run.execution
        self._window = execution.calling_window
        self._lists = execution.dnc_sets
        self.on = bool(
            ports.waiting is not None
            and (self._window is not None or self._lists or execution.retry.max_attempts > 1)
        )
        self._next_due = -math.inf  # when the earliest waiting record is due, as last known
        self._read_due_at = -math.inf  # when to read it again (monotonic)

    async def take_due(self, limit: int) -> list[ClaimedRecord]:
        """Claim up to `limit` waiting records that are due now (none when none can be)."""
        waiting, run = self._ports.waiting, self._run
        if not self.on or waiting is None or limit <= 0:
            return []
        now, clock = run.ports.clock.now(), run.ports.clock
        if now < self._next_due and clock.monotonic() < self._read_due_at:
            return []
        taken = await waiting.take_due(run.id, run.settings.owner, now, limit)
        due = await waiting.next_due(run.id)
        self._next_due = math.inf if due is None else due
        self._read_due_at = clock.monotonic() + NEXT_DUE_READ_S
        return taken

    def waited_until(self) -> float:
        """When the earliest waiting record is due, as last known (inf: none waits)."""
        return self._next_due

    async def screen(self, records: Sequence[ClaimedRecord]) -> list[ClaimedRecord]:
        """The records that may be dialed now, in their order; the others are deferred or
        settled (module docstring). Invalid records pass: the launch settles them."""
        if not self.on or not records or (self._window is None and not self._lists):
            return list(records)
        parsed = [(record, _parse(record)) for record in records]
        numbers = [contact.phone_number for _, contact in parsed if contact is not None]
        listed = await self._listed(numbers)
        now = self._run.ports.clock.now()
        dial: list[ClaimedRecord] = []
        deferred: list[tuple[ClaimedRecord, float]] = []
        for record, contact in parsed:
            if contact is None:
                dial.append(record)
                continue
            found = verdict(
                self._window, contact, self._zones(contact), contact.phone_number in listed, now
            )
            if isinstance(found, WaitUntil):
                deferred.append((record, found.at))
            elif isinstance(found, NotDialed):
                await self._settle(record, contact, found, now)
            else:
                dial.append(record)
        if deferred:
            await self._defer(deferred)
        return dial

    async def _listed(self, numbers: Sequence[str]) -> set[str]:
        dnc = self._ports.dnc
        if not self._lists or dnc is None or not numbers:
            return set()
        return await dnc.listed(self._lists, numbers)

    def _zones(self, contact: ContactRecord) -> tuple[str, ...]:
        zones = self._ports.zones
        if self._window is None or contact.timezone is not None or zones is None:
            return ()
        return zones.zones_of(contact.phone_number)

    async def _defer(self, deferred: list[tuple[ClaimedRecord, float]]) -> None:
        waiting, run = self._ports.waiting, self._run
        assert waiting is not None
        await waiting.defer(run.id, deferred)
        self._next_due = min(self._next_due, min(at for _, at in deferred))

    async def _settle(
        self, record: ClaimedRecord, contact: ContactRecord, found: NotDialed, now: float
    ) -> None:
        run = self._run
        disposition = not_dialed_disposition(
            run.id,
            contact,
            found.status,
            found.reason,
            now,
            run.execution.from_number,
            run.execution.campaign_id or "",
            record.attempt,
        )
        await run.ports.cache.settle(run.id, record.claim_id, disposition)

    async def counts(self) -> tuple[int, int]:
        """How many records wait: (for their window, for a retry)."""
        waiting = self._ports.waiting
        if not self.on or waiting is None:
            return 0, 0
        return await waiting.counts(self._run.id)

    async def finish(self) -> None:
        """Give every waiting record its final disposition: the execution ends (module
        docstring of ADR 0027: `outside_window` for a window's, the last status again for a
        retry's)."""
        waiting, run = self._ports.waiting, self._run
        if not self.on or waiting is None:
            return
        while True:
            if await waiting.finish(run.id, FINISH_BATCH, self._final):
                continue
            if not any(await waiting.counts(run.id)):
                break
            await run.ports.clock.sleep(FINISH_AGAIN_S)  # another caller finishes the rest
        self._next_due = math.inf

    def _final(self, record: WaitingRecord) -> Disposition:
        run = self._run
        now = run.ports.clock.now()
        try:
            contact = ContactRecord.parse(record.raw)
        except InvalidContactRecord:  # never deferred: it settles at its launch
            contact = ContactRecord(ContactRecord.best_record_id(record.raw), "")
        if record.reason is WaitReason.RETRY and record.last_status is not None:
            status, attempt = record.last_status, record.attempt - 1
            reason = "the execution ended before the next attempt"
        else:
            status, attempt = DispositionStatus.OUTSIDE_WINDOW, record.attempt
            reason = "the execution ended while it waited for its calling window"
        return not_dialed_disposition(
            run.id,
            contact,
            status,
            reason,
            now,
            run.execution.from_number,
            run.execution.campaign_id or "",
            attempt,
        )


def _parse(record: ClaimedRecord) -> ContactRecord | None:
    try:
        return ContactRecord.parse(record.raw)
    except InvalidContactRecord:
        return None
