"""In-memory `WaitingRecords` and `DoNotCallLists`, on the `InMemoryBackend` the other fakes
share: the waiting set lives beside the claims, as Redis keeps it in the execution's slot."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from queue_core.domain.contacts import ClaimedRecord
from queue_core.domain.disposition import Disposition
from queue_core.domain.errors import InvalidDoNotCallList
from queue_core.domain.waiting import WaitingRecord, WaitReason
from tests.fakes.stores import InMemoryBackend, _Claim

__all__ = ["FakeDoNotCallLists", "FakeWaitingRecords"]


class FakeWaitingRecords:
    def __init__(self, backend: InMemoryBackend) -> None:
        self.backend = backend

    def _in_order(self, execution_id: str) -> list[WaitingRecord]:
        waiting = self.backend.waiting.get(execution_id, {})
        # Ties in due time go by waiting id as text, as a Redis sorted set orders its members.
        return sorted(waiting.values(), key=lambda w: (w.due_at, w.waiting_id))

    async def defer(
        self, campaign_execution_id: str, deferred: Sequence[tuple[ClaimedRecord, float]]
    ) -> int:
        claims = self.backend.claims.get(campaign_execution_id, {})
        moved = 0
        for record, due_at in deferred:
            claim = claims.get(record.claim_id)
            if claim is None or claim.attempt is not None:
                continue
            del claims[record.claim_id]
            kept = claim.record
            waiting = WaitingRecord(
                kept.claim_id, kept.raw, kept.attempt, WaitReason.WINDOW, kept.last_status, due_at
            )
            self.backend.wait(campaign_execution_id, waiting)
            moved += 1
        return moved

    async def take_due(
        self, campaign_execution_id: str, owner: str, now: float, limit: int
    ) -> list[ClaimedRecord]:
        due = [w for w in self._in_order(campaign_execution_id) if w.due_at <= now][:limit]
        claims = self.backend.claims.setdefault(campaign_execution_id, {})
        taken = []
        for waiting in due:
            del self.backend.waiting[campaign_execution_id][waiting.waiting_id]
            claim_id = str(next(self.backend.claim_ids))
            record = ClaimedRecord(claim_id, waiting.raw, waiting.attempt, waiting.last_status)
            claims[claim_id] = _Claim(record, owner, now, waited=waiting)
            taken.append(record)
        return taken

    async def counts(self, campaign_execution_id: str) -> tuple[int, int]:
        reasons = [w.reason for w in self.backend.waiting.get(campaign_execution_id, {}).values()]
        return reasons.count(WaitReason.WINDOW), reasons.count(WaitReason.RETRY)

    async def next_due(self, campaign_execution_id: str) -> float | None:
        waiting = self._in_order(campaign_execution_id)
        return waiting[0].due_at if waiting else None

    async def finish(
        self,
        campaign_execution_id: str,
        limit: int,
        final: Callable[[WaitingRecord], Disposition],
    ) -> int:
        head = self._in_order(campaign_execution_id)[: max(limit, 0)]
        finals = [(w, final(w)) for w in head]
        if any(d.human_answered for _, d in finals):
            raise ValueError("the final disposition of a waiting record ends no call")
        for waiting, disposition in finals:
            del self.backend.waiting[campaign_execution_id][waiting.waiting_id]
            self.backend.dispositions.append(disposition)
            self.backend._count(campaign_execution_id, dispositions=1)
        return len(finals)


class FakeDoNotCallLists:
    def __init__(self, backend: InMemoryBackend) -> None:
        self.backend = backend

    def _list(self, name: str) -> set[str] | str:
        return self.backend.dnc_lists.get(name, set())

    async def listed(self, list_names: Sequence[str], numbers: Sequence[str]) -> set[str]:
        found: set[str] = set()
        if not numbers:
            return found
        for name in list_names:
            members = self._list(name)
            if isinstance(members, str):
                raise InvalidDoNotCallList(name, "value of another type")
            found |= members & set(numbers)
        return found

    async def check(self, list_names: Sequence[str]) -> None:
        for name in list_names:
            members = self._list(name)
            if isinstance(members, str):
                raise InvalidDoNotCallList(name, members)
