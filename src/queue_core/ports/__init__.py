"""The ports: what the core needs from the world, as `typing.Protocol`s.

Every method is a coroutine unless noted. Adapters raise `StoreUnavailable` when their backing
store cannot be reached (the caller retries with backoff) and `ContractViolation` subclasses
when what they read breaks the contract. Times are unix seconds (float) unless a name says
otherwise. `None` results are documented per method.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.contacts import ClaimedRecord, ContactAttempt, ContactRef
from queue_core.domain.disposition import Disposition
from queue_core.domain.facts import ContactFact
from queue_core.domain.launch import LaunchOutcome, LaunchRequest
from queue_core.domain.launch_schedule import SendTurn, SlotTerms
from queue_core.domain.queue_events import QueueEvent
from queue_core.domain.state import QueueState
from queue_core.domain.stats import QueueStats

# What `AssemblyStore.add_many` and `correlate_and_add` take: facts per contact, per
# (to, from) pair and per execution SID.
FactsByContact = Sequence[tuple[ContactRef, Sequence[ContactFact]]]
FactsByPair = Sequence[tuple[tuple[str, str], Sequence[ContactFact]]]
FactsBySid = Sequence[tuple[str, Sequence[ContactFact]]]

__all__ = [
    "ActiveCallRegistry",
    "AssemblySnapshot",
    "AssemblyStore",
    "CallLauncher",
    "CampaignExecutionStore",
    "Clock",
    "ContactCache",
    "ControlEntry",
    "ControlStream",
    "Correlation",
    "EventPublisher",
    "ExecutionLeases",
    "ExecutionStatus",
    "FactsByContact",
    "FactsByPair",
    "FactsBySid",
    "LaunchLimiter",
    "LaunchSlot",
    "PacingReport",
    "PacingStatsSource",
    "QueueStateStore",
]


class Clock(Protocol):
    """Time, injected so the core never reads it. Not a coroutine except `sleep`."""

    def now(self) -> float:
        """Wall-clock unix seconds: timestamps of events and dispositions."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back: pacing and timeouts."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time (a fake clock advances virtually)."""
        ...


@dataclass(frozen=True, slots=True)
class ControlEntry:
    """One raw entry of the control stream, not yet validated."""

    entry_id: str
    fields: Mapping[str, str]

    def dead_letter_fields(self, error: str) -> dict[str, str]:
        """The entry's fields as `queue_control_dead_letter` keeps them: all of them, and
        `error` saying why it was refused. A field of the entry that has the name `error`
        is kept as `original_error` (and one of that name as `original_original_error`...):
        nothing the sender wrote is overwritten."""
        kept = dict(self.fields)
        moved = {"error": error}
        name = "error"
        while name in kept:  # each one moves up a name, into the place of the next
            value = kept.pop(name)
            name = f"original_{name}"
            moved[name] = value
        return {**kept, **moved}


class ControlStream(Protocol):
    """`queue_control_stream`, read as a member of `queue_control_group`.

    Delivery is at least once: an entry read but not acked is delivered again (to this or
    another consumer, after the stream's claim timeout). Ack only after the command's effect is
    stored.
    """

    async def read(self, count: int, block_ms: int) -> list[ControlEntry]:
        """Entries for this consumer: pending ones abandoned by a dead consumer first, then new
        ones. Waits at most `block_ms` for new entries; returns [] when none came."""
        ...

    async def ack(self, entry_id: str) -> None:
        """Acknowledge an entry whose effect is durable. Acking twice is harmless."""
        ...

    async def dead_letter(self, entry: ControlEntry, error: str) -> None:
        """Copy the entry to `queue_control_dead_letter` as `entry.dead_letter_fields(error)`
        (its fields and `error`, none of its own overwritten), then ack it."""
        ...


class CampaignExecutionStore(Protocol):
    async def load(self, campaign_execution_id: str) -> CampaignExecution:
        """Read and validate `campaign_execution:{id}` (`CampaignExecution.parse`: within the
        bounds of `queue_core.domain.bounds`).

        Raises `InvalidCampaignExecution` (naming the key and field), and no other error but
        `StoreUnavailable`, when the document is missing, of another type, too large or too
        deeply nested, invalid, or names another execution than `campaign_execution_id`."""
        ...


class PacingStatsSource(Protocol):
    async def read(self, task_queue_sid: str) -> QueueStats | None:
        """The stats service's latest value for the task queue; None when missing or
        unparsable (`QueueStats.parse`: too large or too deeply nested included), never an
        error but `StoreUnavailable`. Staleness is the caller's to judge
        (`QueueStats.is_stale`)."""
        ...


class ContactCache(Protocol):
    """`campaign_cache:{id}` and this service's claims on its records.

    A claim moves a record out of the cache; from then on the record is in exactly one of:
    claimed (not launched), launched (in flight), or settled (its one disposition published).
    No record is ever claimed twice nor lost, whatever the interleaving of instances.
    """

    async def claim(
        self, campaign_execution_id: str, owner: str, count: int, now: float
    ) -> list[ClaimedRecord]:
        """Atomically move up to `count` records from the head of the cache into claims of
        `owner`, in cache order. Returns [] when the cache is empty."""
        ...

    async def return_to_head(
        self, campaign_execution_id: str, records: Sequence[ClaimedRecord]
    ) -> int:
        """Atomically drop the claims of these not-launched records and push their raw entries
        back to the head of the cache in their original order. Claims that no longer exist
        (settled, launched or already returned) are skipped. Returns how many went back."""
        ...

    async def settle(
        self,
        campaign_execution_id: str,
        claim_id: str,
        disposition: Disposition,
        release: ContactAttempt | None = None,
    ) -> bool:
        """Finish a claim with its disposition, exactly once across all instances: drop the
        claim, remove its execution SID from `active_calls:{id}`, drop its assembly state, count
        it, and publish the disposition on `call_dispositions`. Returns False (and does nothing
        of that) when the claim was already settled.

        With `release`, the claim's launched attempt: then, settled now or before, the global
        indexes of its (to, from_) pair and execution SID that still point at its contact are
        dropped too, as `ActiveCallRegistry.release` right after would (in the same request
        where the store can: then atomically with the settle)."""
        ...

    async def remaining(self, campaign_execution_id: str) -> int:
        """Records still in the cache (not claimed)."""
        ...

    async def claimed(self, campaign_execution_id: str) -> list[ClaimedRecord]:
        """Claims not yet launched nor settled, of every owner, in claim order."""
        ...

    async def recover(self, campaign_execution_id: str, dead_owner: str) -> int:
        """Return the not-launched claims of `dead_owner` to the head of the cache (a record
        whose launch may have happened is left for reconciliation: see `launching`).
        Returns how many went back."""
        ...


class ActiveCallRegistry(Protocol):
    """Contacts in flight: `active_calls:{id}` and the indexes that correlate webhooks.

    Order keeps the global indexes right: `reserve` before the launch, `record_launch` after it,
    `release` only after the disposition is published.
    """

    async def reserve(
        self, ref: ContactRef, to: str, from_: str, now: float, lease_token: int | None = None
    ) -> bool:
        """Point the (to, from) index at `ref` and mark the claim as launching. False when the
        pair is already held by another contact in flight (Studio allows one active execution
        per pair): the caller must not launch now.

        With `lease_token`, the claim is marked only while that token is the execution's current
        lease (see `ExecutionLeases`): otherwise `LeaseLost` is raised, so an instance that lost
        its lease can never start a launch, and the pair is let go, unless an earlier
        reservation already marked the claim (its launch may have happened: the pair keeps
        matching its webhooks until the new owner reconciles it)."""
        ...

    async def record_launch(self, attempt: ContactAttempt) -> list[ContactFact]:
        """The launch succeeded: SADD the execution SID to `active_calls:{id}`, store the
        attempt, count the launch, index the SID. Idempotent. Returns the facts that came before
        the launch was recorded, when it is recorded now: those kept for the reserved claim
        (`AssemblyStore.add`) and those parked for the SID (`park`); the caller folds them in."""
        ...

    async def park(self, execution_sid: str, facts: Sequence[ContactFact]) -> ContactRef | None:
        """Atomically: when the SID is indexed, return its contact and park nothing; else keep
        the facts (deduplicated on `fact.key`) for `record_launch` to hand over. Studio can
        report on an execution before its creation's answer reaches us; parking keeps those
        facts instead of dropping them. Parked facts expire after the contact timeout."""
        ...

    async def attempt(self, ref: ContactRef) -> ContactAttempt | None:
        """The stored attempt, or None when not launched or already settled."""
        ...

    async def by_pair(self, to: str, from_: str) -> ContactRef | None:
        """The contact holding (to, from), or None."""
        ...

    async def by_execution_sid(self, execution_sid: str) -> ContactRef | None:
        """The contact of a Studio execution, or None (not ours, not yet recorded, or done)."""
        ...

    async def holders(
        self, pairs: Sequence[tuple[str, str]], execution_sids: Sequence[str]
    ) -> tuple[list[ContactRef | None], list[ContactRef | None]]:
        """`by_pair` of every (to, from) and `by_execution_sid` of every SID, in the order
        given, in one request (one per node of a cluster). Not atomic across keys: each answer
        is what its index held at some moment of the call."""
        ...

    async def release(self, ref: ContactRef, to: str, from_: str, execution_sid: str) -> None:
        """Drop the global indexes that still point at `ref` (never another contact's); an
        empty `execution_sid` leaves the SID index alone. One request. (`ContactCache.settle`
        can do this as it settles.)"""
        ...

    async def count(self, campaign_execution_id: str) -> int:
        """SCARD of `active_calls:{id}`."""
        ...

    async def mark_answered(self, ref: ContactRef, execution_sid: str) -> None:
        """A person answered this contact's call: it no longer counts as unanswered for the
        pacer. Idempotent; forgotten when the contact settles. `AssemblySnapshot.answered`
        tells whether a contact is marked already."""
        ...

    async def answered(self, campaign_execution_id: str) -> int:
        """How many contacts in flight a person has answered."""
        ...

    async def launching(self, campaign_execution_id: str) -> list[tuple[ContactRef, float]]:
        """Claims reserved for launch but with no recorded launch, with the reservation time:
        after a crash these are reconciled against Studio's executions list."""
        ...

    async def in_flight(self, campaign_execution_id: str) -> list[ContactAttempt]:
        """Every recorded, unsettled attempt of the execution (for the timeout reaper)."""
        ...

    async def start_grace(self, ref: ContactRef, due_at: float) -> None:
        """Start the contact's settle grace (ADR 0011), due at `due_at` (unix seconds).
        Idempotent: a grace already started keeps its first due time. Shared by every
        instance, so that any of them ends it, after a crash or a takeover too."""
        ...

    async def graces_due(self, now: float, limit: int) -> list[ContactRef]:
        """At most `limit` contacts, of every execution, whose grace is due at `now`
        (unix seconds), earliest first. They stay listed until `end_graces`: a caller that
        dies before ending them leaves them for the next one."""
        ...

    async def end_graces(self, refs: Sequence[ContactRef]) -> None:
        """Forget the graces of `refs` (done, or their contacts already settled)."""
        ...


@dataclass(frozen=True, slots=True)
class AssemblySnapshot:
    """All facts known about one contact, after adding new ones, one per `fact.key` (in no
    particular order), and whether the contact already counts as answered
    (`ActiveCallRegistry.mark_answered`), read in the same atomic step."""

    attempt: ContactAttempt
    facts: tuple[ContactFact, ...] = field(default_factory=tuple)
    answered: bool = False


@dataclass(frozen=True, slots=True)
class Correlation:
    """What `AssemblyStore.correlate_and_add` found and did: the contact holding each pair and
    each execution SID asked (None: no contact), in the order asked, and the snapshot of every
    contact facts went to (None as `AssemblyStore.add` answers it)."""

    by_pair: tuple[ContactRef | None, ...]
    by_sid: tuple[ContactRef | None, ...]
    snapshots: Mapping[ContactRef, AssemblySnapshot | None]


class AssemblyStore(Protocol):
    """Per-contact assembly state, shared by every instance; expires after the contact timeout."""

    async def add(self, ref: ContactRef, facts: Sequence[ContactFact]) -> AssemblySnapshot | None:
        """Atomically add facts (deduplicated on `fact.key`: the first delivery stored wins)
        and return every fact now known. None when the contact has no stored attempt (unknown,
        already settled, or reserved for a launch not recorded yet: then the facts are kept,
        and `record_launch` hands them over)."""
        ...

    async def add_many(self, additions: FactsByContact) -> list[AssemblySnapshot | None]:
        """`add` for several contacts (each at most once), answers in the same order: one
        request per execution, run concurrently. Atomic per contact, not across contacts."""
        ...

    async def correlate_and_add(
        self,
        known: FactsByContact,
        by_pair: FactsByPair,
        by_sid: FactsBySid,
    ) -> Correlation:
        """`ActiveCallRegistry.holders` of the (to, from) pairs and execution SIDs, then
        `add_many` for the `known` contacts (each at most once) and the contacts those indexes
        hold. A contact gets one add with all its facts: its `known` ones first, then those of
        its pairs, then of its SIDs, in the order given. Facts of an index that no contact holds
        are not added (the caller may park them). One request where the store allows it (the
        lookup and the adds are then atomic together); else one lookup (none when no index is
        asked), then one request per execution, as `holders` then `add_many` would."""
        ...


class EventPublisher(Protocol):
    async def publish(self, event: QueueEvent) -> str:
        """XADD the event to `queue_event_stream`; returns the entry id."""
        ...


@dataclass(frozen=True, slots=True)
class ExecutionStatus:
    """The stored state of one execution. Counts are maintained by the stores that change them
    (`record_launch` counts launches, `settle` counts dispositions)."""

    campaign_execution_id: str
    state: QueueState
    launched: int = 0
    dispositions: int = 0
    owner: str = ""
    updated_at: float = 0.0
    reason: str = ""
    request_id: str = ""
    pacing: PacingReport | None = None


@dataclass(frozen=True, slots=True)
class PacingReport:
    """How an execution paces now, as its runner last reported it (for `status`)."""

    launch_rate: float  # launches/s over the last 10 s
    launch_budget: float  # launches/s this execution may use
    dial_ratio: float
    reason: str  # the pacer's last reason
    at: float  # when reported (unix s)


class QueueStateStore(Protocol):
    async def load(self, campaign_execution_id: str) -> ExecutionStatus | None:
        """None for an execution never started."""
        ...

    async def load_states(self, campaign_execution_ids: Sequence[str]) -> list[QueueState]:
        """The stored state of each execution, in the order asked, in one request: IDLE for
        one never started, or whose hash holds counts only (as `load` reads it). Not atomic
        across executions: each is its state at some moment of the request."""
        ...

    async def save_state(
        self,
        campaign_execution_id: str,
        state: QueueState,
        now: float,
        reason: str = "",
        request_id: str = "",
    ) -> None:
        """Store the state, with the reason and request id of the command that changed it
        (echoed on the event that ends the change, such as `stopped`); counts untouched."""
        ...

    async def save_pacing(self, campaign_execution_id: str, report: PacingReport) -> None:
        """Store the runner's latest pacing report (state and counts untouched)."""
        ...

    async def reset_counts(self, campaign_execution_id: str) -> None:
        """Zero the counts: a new `start` after an ended run."""
        ...

    async def executions(self) -> list[str]:
        """Every execution with a stored state."""
        ...


class ExecutionLeases(Protocol):
    """One instance drives an execution at a time: a lease with a fencing token.

    A grant gets a token larger than every earlier token of that execution. Leases expire
    after `ttl_s` unless renewed; an expired lease can be taken by any instance.
    """

    async def acquire(self, campaign_execution_id: str, owner: str, ttl_s: float) -> int | None:
        """The fencing token when `owner` now holds the lease (newly, or already: then it is
        extended and keeps its token); None while another owner holds it."""
        ...

    async def renew(self, campaign_execution_id: str, owner: str, token: int, ttl_s: float) -> bool:
        """Extend the lease; False when `token` is no longer the current one (lost)."""
        ...

    async def renew_many(
        self, leases: Sequence[tuple[str, int]], owner: str, ttl_s: float
    ) -> list[bool]:
        """`renew` of each (execution id, token), answers in the same order, in as few
        requests as the store allows (one on a single server): an instance driving a thousand
        executions renews them all well within the lease time."""
        ...

    async def release(self, campaign_execution_id: str, owner: str, token: int) -> None:
        """Give the lease up, if `token` is still the current one."""
        ...

    async def holder(self, campaign_execution_id: str) -> str | None:
        """The owner holding the lease now, or None."""
        ...


@dataclass(frozen=True, slots=True)
class LaunchSlot:
    """An answer of `LaunchLimiter.acquire`. `reserved`: a launch slot is the caller's, due in
    `wait_s` seconds (0.0: now). Not reserved: nothing was taken, ask again in `wait_s`."""

    wait_s: float
    reserved: bool


class LaunchLimiter(Protocol):
    """The account's launch slots, shared by every instance: one schedule of slots on the
    store's own clock, so instances with skewed clocks still agree. The terms are the core's
    (`LaunchSchedule.slot_terms`); the store keeps them atomically across its callers."""

    async def acquire(self, terms: SlotTerms) -> LaunchSlot:
        """Reserve the account's next slot. Slots follow one schedule, `terms.spacing_s`
        apart: a caller on time or early gets the schedule's next slot; one up to
        `terms.late_s` late gets "now" and the schedule keeps its pace; one later starts the
        schedule again from now (idle time never becomes a burst). Whatever the schedule says,
        at most `terms.capacity` slots lie in any window of `terms.window_s`. A slot further
        ahead than the store's horizon is not reserved. Terms of capacity 0 reserve nothing
        (ask again in 1 s)."""
        ...


class CallLauncher(Protocol):
    async def launch(self, request: LaunchRequest, turn: SendTurn | None = None) -> LaunchOutcome:
        """Create one Studio execution. Never retries on its own a request that may have been
        received (that is `Ambiguous`); never raises for an HTTP answer.

        `turn` is the create's place among the process's sends. Right before the request's
        bytes leave, the launcher waits until `turn.delay(now)` is 0 and calls
        `turn.leave(now)`, once (`now` on the monotonic clock: `time.monotonic()` under the
        system clock); a launcher that cannot tell when its bytes leave may ignore it.
        `Launched.sent_at` says when they left (None: not known)."""
        ...

    async def find_execution(self, flow_sid: str, to: str, created_after: float) -> str | None:
        """The SID of an execution of `flow_sid` to `to` created at or after `created_after`
        (Studio's executions list, every page), or None. Raises `StoreUnavailable` when Twilio
        cannot be asked now."""
        ...
