"""In-memory fakes of the storage ports, sharing one `InMemoryBackend` as the Redis adapters
share one server. The contract suite runs the same tests against these and the Redis adapters."""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import json
import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from queue_core.domain.abandonment import (
    AbandonmentCounts,
    bucket_expires_at,
    utc_day,
    window_days,
)
from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.contacts import ClaimedRecord, ContactAttempt, ContactRef
from queue_core.domain.disposition import Disposition
from queue_core.domain.errors import InvalidCampaignExecution, LeaseLost
from queue_core.domain.facts import ContactFact
from queue_core.domain.launch_schedule import SlotTerms
from queue_core.domain.queue_events import QueueEvent, QueueEventType
from queue_core.domain.state import QueueState, Transition
from queue_core.domain.stats import QueueStats
from queue_core.domain.waiting import WaitingRecord, WaitReason
from queue_core.ports import (
    AssemblySnapshot,
    Clock,
    ControlEntry,
    Correlation,
    ExecutionStatus,
    FactsByCall,
    FactsByContact,
    FactsByPair,
    FactsBySid,
    LaunchSlot,
    PacingReport,
)


@dataclass
class _Claim:
    record: ClaimedRecord
    owner: str
    claimed_at: float
    launching_since: float | None = None
    attempt: ContactAttempt | None = None
    facts: dict[str, ContactFact] = field(default_factory=dict)
    waited: WaitingRecord | None = None  # what it was while it waited, taken from the set


@dataclass
class _Lease:
    owner: str
    token: int
    expires_at: float
    clock: Clock  # the lease expires on this clock's monotonic time, as Redis keys on its own

    def alive(self) -> bool:
        return self.clock.monotonic() < self.expires_at


@dataclass
class InMemoryBackend:
    """The state a Redis server would hold, as plain Python."""

    caches: dict[str, deque[str]] = field(default_factory=dict)
    claims: dict[str, dict[str, _Claim]] = field(default_factory=dict)
    active: dict[str, set[str]] = field(default_factory=dict)
    answered: dict[str, set[str]] = field(default_factory=dict)
    by_pair: dict[tuple[str, str], ContactRef] = field(default_factory=dict)
    by_sid: dict[str, ContactRef] = field(default_factory=dict)
    by_call: dict[str, ContactRef] = field(default_factory=dict)
    # (campaign id, UTC day) -> counts of its published dispositions (ADR 0025)
    campaign_days: dict[tuple[str, str], AbandonmentCounts] = field(default_factory=dict)
    parked: dict[str, dict[str, ContactFact]] = field(default_factory=dict)
    settled: set[tuple[str, str]] = field(default_factory=set)
    dispositions: list[Disposition] = field(default_factory=list)
    events: list[QueueEvent] = field(default_factory=list)
    states: dict[str, ExecutionStatus] = field(default_factory=dict)
    documents: dict[str, object] = field(default_factory=dict)
    stats: dict[str, str] = field(default_factory=dict)
    claim_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    leases: dict[str, _Lease] = field(default_factory=dict)
    lease_seq: dict[str, int] = field(default_factory=dict)
    graces: dict[ContactRef, float] = field(default_factory=dict)
    waiting: dict[str, dict[str, WaitingRecord]] = field(default_factory=dict)
    # do-not-call lists: a set of numbers, or the name of another type the key holds
    dnc_lists: dict[str, set[str] | str] = field(default_factory=dict)

    def wait(self, execution_id: str, record: WaitingRecord) -> None:
        self.waiting.setdefault(execution_id, {})[record.waiting_id] = record

    def give_back(self, execution_id: str, claim: _Claim) -> None:
        """A not-launched claim, dropped: back to the cache's head, or to the waiting set, due
        when it was, for one taken from it."""
        del self.claims[execution_id][claim.record.claim_id]
        if claim.waited is None:
            self.caches.setdefault(execution_id, deque()).appendleft(claim.record.raw)
        else:
            self.wait(execution_id, replace(claim.waited, waiting_id=claim.record.claim_id))

    def push_records(
        self, execution_id: str, records: Sequence[Mapping[str, object] | str]
    ) -> None:
        cache = self.caches.setdefault(execution_id, deque())
        for record in records:
            cache.append(record if isinstance(record, str) else json.dumps(record))

    def current_lease(self, execution_id: str) -> _Lease | None:
        """The execution's lease unless it has expired (then it is forgotten, as PEXPIRE does)."""
        lease = self.leases.get(execution_id)
        if lease is not None and not lease.alive():
            del self.leases[execution_id]
            return None
        return lease

    def release(
        self, ref: ContactRef, to: str, from_: str, execution_sid: str, call_sid: str = ""
    ) -> None:
        """Drop the indexes that still point at `ref`."""
        if self.by_pair.get((to, from_)) == ref:
            del self.by_pair[(to, from_)]
        if execution_sid and self.by_sid.get(execution_sid) == ref:
            del self.by_sid[execution_sid]
        if call_sid and self.by_call.get(call_sid) == ref:
            del self.by_call[call_sid]

    def campaign_counts(self, campaign_id: str, now: float) -> AbandonmentCounts:
        """A campaign's counts over the 30 UTC days ending with the day of `now`."""
        total = AbandonmentCounts()
        for day in window_days(now):
            total += self.campaign_days.get((campaign_id, day), AbandonmentCounts())
        return total

    def count_abandonment(self, disposition: Disposition) -> None:
        """A settled disposition in its execution's and its campaign day's counts; days past
        their lifetime go, as their keys expire in Redis."""
        if not disposition.human_answered:
            return
        counted = AbandonmentCounts(1, int(disposition.abandoned))
        status = self._status(disposition.campaign_execution_id)
        self.states[disposition.campaign_execution_id] = dataclasses.replace(
            status,
            human_answered=status.human_answered + counted.human_answered,
            abandoned=status.abandoned + counted.abandoned,
        )
        if not disposition.campaign_id:
            return
        day = (disposition.campaign_id, utc_day(disposition.ended_at))
        self.campaign_days[day] = self.campaign_days.get(day, AbandonmentCounts()) + counted
        for key in [
            k for k in self.campaign_days if bucket_expires_at(k[1]) <= disposition.ended_at
        ]:
            del self.campaign_days[key]

    def put_state(
        self,
        execution_id: str,
        state: QueueState,
        now: float = 0.0,
        reason: str = "",
        request_id: str = "",
    ) -> None:
        """Seed a stored state, counts kept (what a test finds already there)."""
        status = self._status(execution_id)
        self.states[execution_id] = dataclasses.replace(
            status, state=state, updated_at=now, reason=reason, request_id=request_id
        )

    def _status(self, execution_id: str) -> ExecutionStatus:
        return self.states.setdefault(execution_id, ExecutionStatus(execution_id, QueueState.IDLE))

    def _count(self, execution_id: str, *, launched: int = 0, dispositions: int = 0) -> None:
        status = self._status(execution_id)
        self.states[execution_id] = dataclasses.replace(
            status,
            launched=status.launched + launched,
            dispositions=status.dispositions + dispositions,
        )


class FakeContactCache:
    def __init__(self, backend: InMemoryBackend) -> None:
        self.backend = backend

    async def claim(
        self, campaign_execution_id: str, owner: str, count: int, now: float
    ) -> list[ClaimedRecord]:
        cache = self.backend.caches.get(campaign_execution_id, deque())
        claims = self.backend.claims.setdefault(campaign_execution_id, {})
        taken = []
        while cache and len(taken) < count:
            record = ClaimedRecord(str(next(self.backend.claim_ids)), cache.popleft())
            claims[record.claim_id] = _Claim(record, owner, now)
            taken.append(record)
        return taken

    async def return_to_head(
        self, campaign_execution_id: str, records: Sequence[ClaimedRecord]
    ) -> int:
        claims = self.backend.claims.get(campaign_execution_id, {})
        back = [r for r in records if r.claim_id in claims and claims[r.claim_id].attempt is None]
        for record in reversed(back):
            self.backend.give_back(campaign_execution_id, claims[record.claim_id])
        return len(back)

    async def settle(
        self,
        campaign_execution_id: str,
        claim_id: str,
        disposition: Disposition,
        release: ContactAttempt | None = None,
    ) -> bool:
        if not disposition.final and disposition.retry_at is None:
            raise ValueError("a disposition that is not final needs its retry_at")
        if release is not None:
            call_sid = disposition.call_sid if release.expect_task_events else ""
            self.backend.release(
                release.ref, release.to, release.from_, release.execution_sid, call_sid
            )
        claims = self.backend.claims.get(campaign_execution_id, {})
        claim = claims.pop(claim_id, None)
        if claim is None:
            return False
        if claim.attempt is not None:
            sid = claim.attempt.execution_sid
            self.backend.active.get(campaign_execution_id, set()).discard(sid)
            self.backend.answered.get(campaign_execution_id, set()).discard(sid)
        self.backend.settled.add((campaign_execution_id, claim_id))
        self.backend.dispositions.append(disposition)
        if disposition.retry_at is not None and not disposition.final:
            again = WaitingRecord(
                claim_id,
                claim.record.raw,
                disposition.attempt + 1,
                WaitReason.RETRY,
                disposition.status,
                disposition.retry_at,
            )
            self.backend.wait(campaign_execution_id, again)
        self.backend._count(campaign_execution_id, dispositions=1)
        self.backend.count_abandonment(disposition)
        return True

    async def remaining(self, campaign_execution_id: str) -> int:
        return len(self.backend.caches.get(campaign_execution_id, ()))

    async def claimed(self, campaign_execution_id: str) -> list[ClaimedRecord]:
        claims = self.backend.claims.get(campaign_execution_id, {})
        return [c.record for c in claims.values() if c.attempt is None]

    async def recover(self, campaign_execution_id: str, dead_owner: str) -> int:
        claims = self.backend.claims.get(campaign_execution_id, {})
        records = [
            c.record
            for c in claims.values()
            if c.owner == dead_owner and c.attempt is None and c.launching_since is None
        ]
        return await self.return_to_head(campaign_execution_id, records)


class FakeActiveCallRegistry:
    def __init__(self, backend: InMemoryBackend) -> None:
        self.backend = backend

    def _claim(self, ref: ContactRef) -> _Claim | None:
        return self.backend.claims.get(ref.campaign_execution_id, {}).get(ref.claim_id)

    async def reserve(
        self, ref: ContactRef, to: str, from_: str, now: float, lease_token: int | None = None
    ) -> bool:
        holder = self.backend.by_pair.get((to, from_))
        if holder is not None and holder != ref:
            return False
        self.backend.by_pair[(to, from_)] = ref
        if lease_token is not None:
            lease = self.backend.current_lease(ref.campaign_execution_id)
            if lease is None or lease.token != lease_token:
                claim = self._claim(ref)
                if claim is None or claim.launching_since is None:
                    del self.backend.by_pair[(to, from_)]  # else its launch may have happened
                raise LeaseLost(f"token {lease_token} is no longer the current lease")
        claim = self._claim(ref)
        if claim is not None and claim.launching_since is None:
            claim.launching_since = now
        return True

    async def record_launch(self, attempt: ContactAttempt) -> list[ContactFact]:
        claim = self._claim(attempt.ref)
        if claim is None or (claim.attempt is not None and claim.attempt != attempt):
            return []
        recorded_now = claim.attempt is None
        if claim.attempt is None:
            claim.attempt = attempt
            execution_id = attempt.ref.campaign_execution_id
            self.backend.active.setdefault(execution_id, set()).add(attempt.execution_sid)
            self.backend._count(execution_id, launched=1)
        holder = self.backend.by_sid.get(attempt.execution_sid)
        if holder is not None and holder != attempt.ref:
            return []
        self.backend.by_sid[attempt.execution_sid] = attempt.ref
        early = list(claim.facts.values()) if recorded_now else []
        return early + list(self.backend.parked.pop(attempt.execution_sid, {}).values())

    async def park(self, execution_sid: str, facts: Sequence[ContactFact]) -> ContactRef | None:
        holder = self.backend.by_sid.get(execution_sid)
        if holder is not None:
            return holder
        parked = self.backend.parked.setdefault(execution_sid, {})
        for fact in facts:
            parked.setdefault(fact.key, fact)
        return None

    async def attempt(self, ref: ContactRef) -> ContactAttempt | None:
        claim = self._claim(ref)
        return None if claim is None else claim.attempt

    async def by_pair(self, to: str, from_: str) -> ContactRef | None:
        return self.backend.by_pair.get((to, from_))

    async def by_execution_sid(self, execution_sid: str) -> ContactRef | None:
        return self.backend.by_sid.get(execution_sid)

    async def holders(
        self, pairs: Sequence[tuple[str, str]], execution_sids: Sequence[str]
    ) -> tuple[list[ContactRef | None], list[ContactRef | None]]:
        return (
            [self.backend.by_pair.get(pair) for pair in pairs],
            [self.backend.by_sid.get(sid) for sid in execution_sids],
        )

    async def index_call(self, ref: ContactRef, call_sid: str) -> bool:
        holder = self.backend.by_call.setdefault(call_sid, ref)
        return holder == ref

    async def release(
        self, ref: ContactRef, to: str, from_: str, execution_sid: str, call_sid: str = ""
    ) -> None:
        self.backend.release(ref, to, from_, execution_sid, call_sid)

    async def count(self, campaign_execution_id: str) -> int:
        return len(self.backend.active.get(campaign_execution_id, ()))

    async def mark_answered(self, ref: ContactRef, execution_sid: str) -> None:
        if execution_sid in self.backend.active.get(ref.campaign_execution_id, ()):
            self.backend.answered.setdefault(ref.campaign_execution_id, set()).add(execution_sid)

    async def answered(self, campaign_execution_id: str) -> int:
        return len(self.backend.answered.get(campaign_execution_id, ()))

    async def launching(self, campaign_execution_id: str) -> list[tuple[ContactRef, float]]:
        claims = self.backend.claims.get(campaign_execution_id, {})
        return [
            (ContactRef(campaign_execution_id, cid), c.launching_since)
            for cid, c in claims.items()
            if c.launching_since is not None and c.attempt is None
        ]

    async def in_flight(self, campaign_execution_id: str) -> list[ContactAttempt]:
        claims = self.backend.claims.get(campaign_execution_id, {})
        return [c.attempt for c in claims.values() if c.attempt is not None]

    async def start_grace(self, ref: ContactRef, due_at: float) -> None:
        self.backend.graces.setdefault(ref, due_at)

    async def graces_due(self, now: float, limit: int) -> list[ContactRef]:
        due = sorted(
            (at, ref.campaign_execution_id, ref.claim_id, ref)
            for ref, at in self.backend.graces.items()
            if at <= now
        )
        return [ref for *_, ref in due[:limit]]

    async def end_graces(self, refs: Sequence[ContactRef]) -> None:
        for ref in refs:
            self.backend.graces.pop(ref, None)


def _lease_ttl(ttl_s: float) -> float:
    if not ttl_s > 0 or math.isinf(ttl_s):
        raise ValueError(f"ttl_s must be a finite number > 0, not {ttl_s!r}")
    return ttl_s


class FakeExecutionLeases:
    """Leases in the backend (so `FakeActiveCallRegistry.reserve` sees them), expiring on
    `clock.monotonic()`."""

    def __init__(self, backend: InMemoryBackend, clock: Clock) -> None:
        self.backend = backend
        self.clock = clock

    async def acquire(self, campaign_execution_id: str, owner: str, ttl_s: float) -> int | None:
        expires_at = self.clock.monotonic() + _lease_ttl(ttl_s)
        lease = self.backend.current_lease(campaign_execution_id)
        if lease is not None:
            if lease.owner != owner:
                return None
            lease.expires_at = expires_at
            return lease.token
        token = self.backend.lease_seq.get(campaign_execution_id, 0) + 1
        self.backend.lease_seq[campaign_execution_id] = token
        self.backend.leases[campaign_execution_id] = _Lease(owner, token, expires_at, self.clock)
        return token

    def _ours(self, campaign_execution_id: str, owner: str, token: int) -> _Lease | None:
        lease = self.backend.current_lease(campaign_execution_id)
        if lease is None or lease.owner != owner or lease.token != token:
            return None
        return lease

    async def renew(self, campaign_execution_id: str, owner: str, token: int, ttl_s: float) -> bool:
        ttl = _lease_ttl(ttl_s)
        lease = self._ours(campaign_execution_id, owner, token)
        if lease is None:
            return False
        lease.expires_at = self.clock.monotonic() + ttl
        return True

    async def renew_many(
        self, leases: Sequence[tuple[str, int]], owner: str, ttl_s: float
    ) -> list[bool]:
        return [await self.renew(e, owner, token, ttl_s) for e, token in leases]

    async def release(self, campaign_execution_id: str, owner: str, token: int) -> None:
        if self._ours(campaign_execution_id, owner, token) is not None:
            del self.backend.leases[campaign_execution_id]

    async def holder(self, campaign_execution_id: str) -> str | None:
        lease = self.backend.current_lease(campaign_execution_id)
        return None if lease is None else lease.owner


class FakeLaunchLimiter:
    """The account's launch slots: the Redis limiter's schedule, on `clock.monotonic()`."""

    def __init__(self, clock: Clock, *, horizon_s: float = 2.0) -> None:
        self.clock = clock
        self.horizon_s = horizon_s
        self.slots: list[float] = []  # reserved slots still in the window, oldest first
        self.due = -math.inf  # when the schedule's next slot is due

    async def acquire(self, terms: SlotTerms) -> LaunchSlot:
        if terms.capacity == 0:
            return LaunchSlot(1.0, reserved=False)  # no rate never reserves: ask again later
        capacity, window = terms.capacity, terms.window_s
        now = self.clock.monotonic()
        # A slot a whole window before now can bind no slot from now on.
        del self.slots[: bisect.bisect_right(self.slots, now - window)]
        restart = now > self.due + terms.late_s  # idle: a new schedule, no burst
        base = max(now, self.due)
        slot = base
        if len(self.slots) >= capacity:
            slot = max(slot, self.slots[-capacity] + window)
        if slot - now > self.horizon_s:
            return LaunchSlot(slot - now - self.horizon_s, reserved=False)
        spacing = terms.spacing_s
        self.due = slot + spacing if restart or slot > base else self.due + spacing
        self.slots.append(slot)
        return LaunchSlot(slot - now, reserved=True)


class FakeAssemblyStore:
    def __init__(self, backend: InMemoryBackend) -> None:
        self.backend = backend

    async def add(self, ref: ContactRef, facts: Sequence[ContactFact]) -> AssemblySnapshot | None:
        claim = self.backend.claims.get(ref.campaign_execution_id, {}).get(ref.claim_id)
        if claim is None or (claim.attempt is None and claim.launching_since is None):
            return None
        for fact in facts:
            claim.facts.setdefault(fact.key, fact)
        if claim.attempt is None:
            return None  # kept for `record_launch` to hand over
        answered = self.backend.answered.get(ref.campaign_execution_id, set())
        return AssemblySnapshot(
            claim.attempt, tuple(claim.facts.values()), claim.attempt.execution_sid in answered
        )

    async def add_many(self, additions: FactsByContact) -> list[AssemblySnapshot | None]:
        return [await self.add(ref, facts) for ref, facts in additions]

    async def correlate_and_add(
        self,
        known: FactsByContact,
        by_pair: FactsByPair,
        by_sid: FactsBySid,
        by_call: FactsByCall = (),
    ) -> Correlation:
        pairs = tuple(self.backend.by_pair.get(pair) for pair, _ in by_pair)
        sids = tuple(self.backend.by_sid.get(sid) for sid, _ in by_sid)
        calls = tuple(self.backend.by_call.get(sid) for sid, _ in by_call)
        merged = {ref: list(facts) for ref, facts in known}
        found = [*pairs, *sids, *calls]
        for ref, (_, facts) in zip(found, [*by_pair, *by_sid, *by_call], strict=True):
            if ref is not None:
                merged.setdefault(ref, []).extend(facts)
        snapshots = {ref: await self.add(ref, facts) for ref, facts in merged.items()}
        return Correlation(pairs, sids, snapshots, calls)


class FakeEventPublisher:
    def __init__(self, backend: InMemoryBackend) -> None:
        self.backend = backend

    async def publish(self, event: QueueEvent) -> str:
        self.backend.events.append(event)
        return f"{len(self.backend.events)}-0"


class FakeQueueStateStore:
    def __init__(self, backend: InMemoryBackend) -> None:
        self.backend = backend

    async def load(self, campaign_execution_id: str) -> ExecutionStatus | None:
        return self.backend.states.get(campaign_execution_id)

    async def load_states(self, campaign_execution_ids: Sequence[str]) -> list[QueueState]:
        stored = [self.backend.states.get(e) for e in campaign_execution_ids]
        return [QueueState.IDLE if s is None else s.state for s in stored]

    async def transition(
        self,
        campaign_execution_id: str,
        expected: QueueState,
        move: Transition,
        now: float,
        reason: str = "",
        request_id: str = "",
        campaign_id: str | None = None,
    ) -> bool:
        before = self.backend.states.get(campaign_execution_id)
        if (QueueState.IDLE if before is None else before.state) is not expected:
            return False
        after = before or ExecutionStatus(campaign_execution_id, QueueState.IDLE)
        if move.keeps_cause:
            reason, request_id = after.reason, after.request_id
        if move.stores:
            after = dataclasses.replace(
                after, state=move.new, updated_at=now, reason=reason, request_id=request_id
            )
            if move.resets_counts:
                zero = {"launched": 0, "dispositions": 0, "human_answered": 0, "abandoned": 0}
                after = dataclasses.replace(after, **zero)
            if campaign_id is not None:
                after = dataclasses.replace(after, campaign_id=campaign_id)
            self.backend.states[campaign_execution_id] = after
        if move.announces is not None:
            campaign = after.campaign_id if campaign_id is None else campaign_id
            event = self._event(move.announces, after, campaign, now, (reason, request_id))
            self.backend.events.append(event)
        return True

    def _event(
        self,
        event: QueueEventType,
        after: ExecutionStatus,
        campaign: str,
        now: float,
        cause: tuple[str, str],
    ) -> QueueEvent:
        reason, request = cause
        counts = self.backend.campaign_counts(campaign, now) if campaign else None
        return QueueEvent(
            event,
            after.campaign_execution_id,
            now,
            launched=after.launched,
            dispositions=after.dispositions,
            active=len(self.backend.active.get(after.campaign_execution_id, ())),
            request_id=request or None,
            reason=reason or None,
            human_answered=after.human_answered,
            abandoned=after.abandoned,
            campaign_abandon_rate_30d=None if counts is None else counts.reported_rate,
        )

    async def save_pacing(self, campaign_execution_id: str, report: PacingReport) -> None:
        status = self.backend._status(campaign_execution_id)
        self.backend.states[campaign_execution_id] = dataclasses.replace(status, pacing=report)

    async def executions(self) -> list[str]:
        return sorted(self.backend.states)


class FakeCampaignExecutionStore:
    def __init__(self, backend: InMemoryBackend) -> None:
        self.backend = backend

    async def load(self, campaign_execution_id: str) -> CampaignExecution:
        key = f"campaign_execution:{campaign_execution_id}"
        doc = self.backend.documents.get(campaign_execution_id)
        if doc is None:
            raise InvalidCampaignExecution(f"{key}: no such key")
        if isinstance(doc, str):
            return CampaignExecution.parse(
                doc, key=key, campaign_execution_id=campaign_execution_id
            )
        return CampaignExecution.from_document(
            doc, key=key, campaign_execution_id=campaign_execution_id
        )


class FakePacingStatsSource:
    def __init__(self, backend: InMemoryBackend) -> None:
        self.backend = backend

    async def read(self, task_queue_sid: str) -> QueueStats | None:
        return QueueStats.parse(self.backend.stats.get(task_queue_sid))


class FakeControlStream:
    """Entries are delivered once to `read`; unacked ones can be redelivered with `redeliver`."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock
        self._ids = itertools.count(1)
        self.new: deque[ControlEntry] = deque()
        self.pending: dict[str, ControlEntry] = {}
        self.acked: list[str] = []
        self.dead_letters: list[tuple[ControlEntry, str]] = []
        self.dead_letter_stream: list[dict[str, str]] = []  # what the real one copies

    def add(self, fields: Mapping[str, str]) -> str:
        entry = ControlEntry(f"{next(self._ids)}-0", dict(fields))
        self.new.append(entry)
        return entry.entry_id

    def redeliver(self) -> None:
        """What XAUTOCLAIM does for a dead consumer's pending entries."""
        self.new.extendleft(reversed(list(self.pending.values())))
        self.pending.clear()

    async def read(self, count: int, block_ms: int) -> list[ControlEntry]:
        if not self.new and self._clock is not None and block_ms > 0:
            await self._clock.sleep(block_ms / 1000)  # XREADGROUP BLOCK, in the clock's time
        out = []
        while self.new and len(out) < count:
            entry = self.new.popleft()
            self.pending[entry.entry_id] = entry
            out.append(entry)
        return out

    async def ack(self, entry_id: str) -> None:
        if self.pending.pop(entry_id, None) is not None:
            self.acked.append(entry_id)

    async def dead_letter(self, entry: ControlEntry, error: str) -> None:
        self.dead_letters.append((entry, error))
        self.dead_letter_stream.append(entry.dead_letter_fields(error))
        await self.ack(entry.entry_id)
