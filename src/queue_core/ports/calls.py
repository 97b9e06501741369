"""The `ActiveCallRegistry` port: the contacts in flight, and how a webhook finds its contact."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.facts import ContactFact

__all__ = ["ActiveCallRegistry"]


class ActiveCallRegistry(Protocol):
    """The contacts in flight of every execution, with their launch attempts, and the indexes
    that tie a webhook to its contact: by (to, from) pair, by Studio execution SID, and by
    call SID (for TaskRouter's events, which name only the call: ADR 0025). The indexes are
    global, across executions (Studio allows one active execution per pair), and each names
    at most one contact.

    Order keeps the indexes right: `reserve` before the launch, `record_launch` after it,
    `release` only after the disposition is published: a store that cannot change an index
    and the execution's contacts in one atomic step stays right by making its steps in that
    order.
    """

    async def reserve(
        self, ref: ContactRef, to: str, from_: str, now: float, lease_token: int | None = None
    ) -> bool:
        """Point the (to, from) index at `ref` and mark the claim as launching at `now`. False
        when the pair is already held by another contact in flight: the caller must not
        launch now. Reserving again for the same contact is harmless.

        With `lease_token`, the claim is marked only while that token is the execution's current
        lease (see `ExecutionLeases`): otherwise `LeaseLost` is raised, so an instance that lost
        its lease can never start a launch, and the pair is let go, unless an earlier
        reservation already marked the claim (its launch may have happened: the pair keeps
        matching its webhooks until the new owner reconciles it)."""
        ...

    async def record_launch(self, attempt: ContactAttempt) -> list[ContactFact]:
        """The launch succeeded: add the contact to the execution's contacts in flight (under
        its execution SID), store the attempt, count the launch (`ExecutionStatus.launched`),
        and point the SID index at the contact. Idempotent. Returns the facts that came before
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
        given, in as few round trips as the store allows. Not atomic across indexes: each
        answer is what its index held at some moment of the call."""
        ...

    async def index_call(self, ref: ContactRef, call_sid: str) -> bool:
        """Point the call SID index at `ref`, once the contact's call is known. False (and
        nothing changes) when another contact holds it. Idempotent; the index lives as long
        as the others and is let go with them."""
        ...

    async def release(
        self, ref: ContactRef, to: str, from_: str, execution_sid: str, call_sid: str = ""
    ) -> None:
        """Drop the global indexes that still point at `ref` (never another contact's); an
        empty `execution_sid` or `call_sid` leaves that index alone. Idempotent.
        (`ContactCache.settle` can do this as it settles.)"""
        ...

    async def count(self, campaign_execution_id: str) -> int:
        """How many contacts of the execution are in flight: launch recorded, not settled."""
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
        """Start the contact's settle grace (ADR 0011), due at `due_at`.
        Idempotent: a grace already started keeps its first due time. Shared by every
        instance, so that any of them ends it, after a crash or a takeover too."""
        ...

    async def graces_due(self, now: float, limit: int) -> list[ContactRef]:
        """At most `limit` contacts, of every execution, whose grace is due at `now`,
        earliest first. They stay listed until `end_graces`: a caller that dies before ending
        them leaves them for the next one."""
        ...

    async def end_graces(self, refs: Sequence[ContactRef]) -> None:
        """Forget the graces of `refs` (done, or their contacts already settled)."""
        ...
