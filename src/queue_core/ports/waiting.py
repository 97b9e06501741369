"""The `WaitingRecords` port: records that wait for their calling window or for a retry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from queue_core.domain.contacts import ClaimedRecord
from queue_core.domain.disposition import Disposition
from queue_core.domain.waiting import WaitingRecord

__all__ = ["WaitingRecords"]


class WaitingRecords(Protocol):
    """An execution's waiting set: records that were claimed and not dialed (their calling
    window is closed), or dialed and due for another attempt (the retry policy).

    A record is in exactly one of: the cache, claimed, in flight, waiting, finished (its final
    disposition published). Each step below moves records between these atomically: another
    instance sees all of a step or none of it, a record is never in two places nor in none.
    Each waiting record keeps its raw form byte for byte, the number of its next attempt and
    how its last one ended, and is due at an instant (unix seconds).

    A record enters the set three ways: `defer` (a claim whose window is closed),
    `ContactCache.settle` of a disposition that is not final (a retry, due at its `retry_at`),
    and a claim taken from the set that is given back (`ContactCache.return_to_head` or
    `recover`: it waits again, due when it was, so due at once, its attempt kept). It leaves
    by `take_due` (a claim again) or `finish` (its final disposition).
    """

    async def defer(
        self, campaign_execution_id: str, deferred: Sequence[tuple[ClaimedRecord, float]]
    ) -> int:
        """Move each not-launched claim into the waiting set, due at its paired instant (unix
        s), waiting for its calling window; its attempt number and last status are kept. A
        claim that no longer exists (settled, given back, deferred, or launched) is skipped,
        so a retry after `StoreUnavailable` is harmless. Call it before the claim is reserved
        for a launch. Returns how many were moved."""
        ...

    async def take_due(
        self, campaign_execution_id: str, owner: str, now: float, limit: int
    ) -> list[ClaimedRecord]:
        """Move up to `limit` records due at `now` (due at or before it), earliest due first,
        into claims of `owner` made at `now`, each with a new claim id and with the attempt
        number and last status it waited with. Returns [] when none is due. Not idempotent,
        as `ContactCache.claim`: a retry after `StoreUnavailable` may take more (those of the
        lost answer are found by `ContactCache.claimed` and `recover`, and go back to the
        waiting set)."""
        ...

    async def counts(self, campaign_execution_id: str) -> tuple[int, int]:
        """How many records wait: (for their calling window, for a retry). (0, 0) for an
        execution with none."""
        ...

    async def next_due(self, campaign_execution_id: str) -> float | None:
        """When the earliest waiting record is due (unix s; possibly already past), or None
        when none waits."""
        ...

    async def finish(
        self,
        campaign_execution_id: str,
        limit: int,
        final: Callable[[WaitingRecord], Disposition],
    ) -> int:
        """Give up to `limit` waiting records, earliest due first, their final disposition:
        `final` builds it from the waiting record (for a `stop`, or a completion that leaves
        records whose window never opens). Each is removed from the set and its disposition
        published on the dispositions stream in one step, exactly once across instances (as
        `ContactCache.settle` publishes): a record taken, or finished, by someone else
        meanwhile is skipped, so a retry never publishes twice. Each counts in
        `ExecutionStatus.dispositions`; it ends no call, so `final` must not say a person
        answered (ValueError). Returns how many this call finished: 0 when none waited, or
        when others took what it read (`counts` says whether any is left)."""
        ...
