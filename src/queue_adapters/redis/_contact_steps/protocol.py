"""What running a contact's steps on Redis offers the adapters, whichever way it runs them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from queue_adapters.redis._assembly_adds import AssemblyAdds
from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.ports import Correlation, FactsByCall, FactsByContact, FactsByPair, FactsBySid

__all__ = ["ContactSteps", "FinalOfWaiting", "Reserved", "RetryWait"]

# A final disposition of a waiting record: its waiting id and the disposition's fields.
FinalOfWaiting = tuple[str, Mapping[str, str]]


class Reserved(IntEnum):
    """How a reservation ended: the codes `reserve.lua` answers (`mark_launching.lua` answers
    the last three)."""

    HELD_ELSEWHERE = 0  # another contact holds the pair: nothing changed
    MARKED = 1  # the pair is held; the claim marked launching unless gone or launched
    LEASE_LOST = 2  # the lease token is stale and the claim was never marked: the pair let go
    LEASE_LOST_AFTER_LAUNCHING = 3  # stale token, claim marked before: the pair stays held


@dataclass(frozen=True, slots=True)
class RetryWait:
    """What a settle that asks for a retry adds to the waiting set: the record, due at
    `due_at` (unix s), for attempt number `attempt`, its last one having ended `last_status`."""

    due_at: float
    attempt: int
    last_status: str

    @staticmethod
    def args(wait: RetryWait | None) -> list[str | int | float]:
        """The three script arguments of a settle: due ("" for none), attempt, last status."""
        return ["", 0, ""] if wait is None else [wait.due_at, wait.attempt, wait.last_status]


class ContactSteps(Protocol):
    """The steps of a contact that touch an execution's keys and the global indexes, which lie
    in other slots. Each gives the same answers and leaves the same state whichever way it
    runs; only the number of scripts, and where a crash may fall between them, differ. Redis
    errors are raised as the client raises them (the adapters translate them)."""

    async def reserve(
        self, ref: ContactRef, pair: str, now: float, lease_token: int | None
    ) -> Reserved:
        """Hold the (To, From) index `pair` for `ref`, then mark the claim launching at `now`
        (fenced by `lease_token` when given); the pair is let go when the lease is lost before
        any mark."""
        ...

    async def record_launch(self, attempt: ContactAttempt) -> list[str | bytes]:
        """Record the launch (in flight, stored, counted), then index its SID. The encoded
        facts kept for the claim and parked for the SID, handed over once; none when the claim
        is gone or holds another attempt."""
        ...

    async def settle(
        self,
        execution_id: str,
        claim_id: str,
        fields: Mapping[str, str],
        release: ContactAttempt | None,
        retry: RetryWait | None = None,
    ) -> bool:
        """Drop the claim and publish its disposition `fields` once (True), or do nothing when
        it is settled already (False); then let `release`'s indexes go either way. With
        `retry`, the record enters the waiting set in the step that drops the claim."""
        ...

    async def finish_waiting(self, execution_id: str, finals: Sequence[FinalOfWaiting]) -> int:
        """Take each waiting record out of the waiting set and publish its final disposition
        once, skipping those no longer waiting. Returns how many were taken out now."""
        ...

    async def release(self, ref: ContactRef, index_keys: list[str]) -> None:
        """Delete each of `index_keys` that still names `ref`."""
        ...

    async def correlate_and_add(
        self,
        adds: AssemblyAdds,
        known: FactsByContact,
        by_pair: FactsByPair,
        by_sid: FactsBySid,
        by_call: FactsByCall = (),
    ) -> Correlation:
        """`AssemblyStore.correlate_and_add`: look the index keys up and add every contact's
        facts through `adds`."""
        ...
