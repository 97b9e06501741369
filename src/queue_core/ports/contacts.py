"""The `ContactCache` port: an execution's contact records, claimed and settled exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from queue_core.domain.contacts import ClaimedRecord, ContactAttempt
from queue_core.domain.disposition import Disposition

__all__ = ["ContactCache"]


class ContactCache(Protocol):
    """The records the cache service queued for an execution, in order, and the claims of
    this service's instances on them.

    A claim moves a record out of the cache; from then on the record is in exactly one of:
    claimed (not launched), launched (in flight), waiting (`WaitingRecords`: for its calling
    window or a retry), or finished (its final disposition published). No record is ever
    claimed twice nor lost, whatever the interleaving of instances.

    A claim either came from the cache or was taken from the waiting set
    (`WaitingRecords.take_due`); given back, each goes where it came from.
    """

    async def claim(
        self, campaign_execution_id: str, owner: str, count: int, now: float
    ) -> list[ClaimedRecord]:
        """Atomically move up to `count` records from the head of the cache into claims of
        `owner` made at `now` (unix seconds), in cache order. Returns [] when the cache is
        empty. Not idempotent: a claim retried after `StoreUnavailable` may claim more
        records (those of the lost answer are found by `claimed` and `recover`)."""
        ...

    async def return_to_head(
        self, campaign_execution_id: str, records: Sequence[ClaimedRecord]
    ) -> int:
        """Atomically drop the claims of these not-launched records and put them back at the
        head of the cache, as the cache service wrote them and in their original order; a claim
        taken from the waiting set goes back to the waiting set instead, due when it was (so
        due at once), with its attempt number. Claims that no longer exist (settled, launched,
        deferred or already returned) are skipped, so a retry is harmless. Returns how many
        went back."""
        ...

    async def settle(
        self,
        campaign_execution_id: str,
        claim_id: str,
        disposition: Disposition,
        release: ContactAttempt | None = None,
    ) -> bool:
        """Finish a claim with its disposition, exactly once across all instances: drop the
        claim, take the contact out of the execution's contacts in flight
        (`ActiveCallRegistry.count`), drop its facts (`AssemblyStore`), count it
        (`ExecutionStatus.dispositions`, and `AbandonmentCounters` when a person answered),
        and publish the disposition on the dispositions stream (the contract's
        `call_dispositions`). Returns False (and does nothing of that) when the claim was
        already settled: a retry never publishes, nor counts, twice.

        A disposition that is not `final` asks for another attempt: in the same atomic step the
        record, as the cache held it, enters the waiting set (`WaitingRecords`) for a retry,
        due at the disposition's `retry_at`, its next attempt numbered `attempt` + 1 and its
        last status the disposition's (ValueError when `retry_at` is None). The campaign's
        abandonment counts move with the publication (see `AbandonmentCounters`).

        With `release`, the claim's launched attempt: then, settled now or before, the global
        indexes of its (to, from_) pair and execution SID (and of the disposition's call SID,
        for an attempt that expects task events) that still point at its contact are dropped
        too, as `ActiveCallRegistry.release` right after would (atomically with the settle
        where the store can)."""
        ...

    async def remaining(self, campaign_execution_id: str) -> int:
        """How many records are still in the cache (not claimed)."""
        ...

    async def claimed(self, campaign_execution_id: str) -> list[ClaimedRecord]:
        """Claims not yet launched nor settled, of every owner, in claim order, each with the
        attempt number and last status it was claimed with."""
        ...

    async def recover(self, campaign_execution_id: str, dead_owner: str) -> int:
        """Atomically return the not-launched claims of `dead_owner` to the head of the cache,
        or to the waiting set for those taken from it, as `return_to_head` does (a record
        whose launch may have happened is left for reconciliation: see
        `ActiveCallRegistry.launching`). Returns how many went back."""
        ...
