"""A runner's claims: the records it took from the cache and has not launched yet.

Each pacing decision (`top_up`) reads the pacing stats, the calls in flight and the abandonment
counts, asks the pacer how many contacts to launch, and claims that many (up to the lookahead):
the waiting records that are due first, then from the head of the cache; the dialing rules
screen them (`DialGate`). The launches take them in order (`take`); a record whose (to, from)
pair is still in flight waits for the next decision (`defer`); on pause, stop or leaving they all
go back to the head of the cache in their order (`give_back`).
"""

from __future__ import annotations

import math
from collections import deque

from queue_core.domain.contacts import ClaimedRecord
from queue_core.domain.pacer import PacingSnapshot
from queue_core.services.dial_gate import DialGate
from queue_core.services.execution_run import ExecutionRun

__all__ = ["Claims"]


class Claims:
    """The claims of one runner, in launch order."""

    def __init__(self, run: ExecutionRun) -> None:
        self._run = run
        self.gate = DialGate(run)
        self._pending: deque[ClaimedRecord] = deque()
        self._deferred: list[ClaimedRecord] = []
        self.cache_maybe_empty = False  # the last claim got fewer records than it asked for
        self.in_flight = 0  # calls in flight at the last pacing decision (for metrics)

    def __len__(self) -> int:
        return len(self._pending)

    @property
    def held(self) -> bool:
        """Any claim not launched yet, deferred ones included."""
        return bool(self._pending or self._deferred)

    @property
    def deferred(self) -> bool:
        return bool(self._deferred)

    def lookahead(self) -> int:
        """How many claims this runner holds ahead of its launches."""
        run = self._run
        return max(1, math.ceil(run.budget.rate * run.settings.claim_lookahead_s))

    def take(self) -> ClaimedRecord:
        """The next record to launch."""
        return self._pending.popleft()

    def put_first(self, record: ClaimedRecord) -> None:
        """A record taken but not launched goes first again."""
        self._pending.appendleft(record)

    def defer(self, record: ClaimedRecord) -> None:
        """Its (to, from) pair is in flight: try it again at the next decision."""
        self._deferred.append(record)

    def take_all(self, first: ClaimedRecord) -> list[ClaimedRecord]:
        """`first` and every pending claim after it, which this runner no longer holds."""
        back = [first, *self._pending]
        self._pending.clear()
        return back

    async def give_back(self) -> None:
        """Put every claim not launched back at the head of the cache, in order."""
        back = [*self._pending, *self._deferred]
        self._pending.clear()
        self._deferred.clear()
        if back:
            await self._run.ports.cache.return_to_head(self._run.id, back)

    async def top_up(self, launching: int) -> None:
        """Decide how many contacts to launch now and claim them (`launching`: this runner's
        launches not yet recorded). Deferred claims go first again."""
        self._pending.extendleft(reversed(self._deferred))
        self._deferred.clear()
        run = self._run
        lookahead = self.lookahead()
        if len(self._pending) >= lookahead:
            # Nothing could be claimed: spare the store the pacing reads (a slow execution
            # waits seconds between launches). The report keeps the last decision's reason.
            await run.reports.report(run.budget.budget, run.pacer.dial_ratio)
            return
        decision = run.pacer.decide(await self._snapshot(launching), run.state)
        await run.reports.report(run.budget.budget, run.pacer.dial_ratio, decision.reason)
        want = min(decision.count, lookahead - len(self._pending))
        if want <= 0:
            # Nothing to claim now: look whether the campaign is over instead.
            self.cache_maybe_empty = not self._pending
            return
        # Records due again (their window opened, or their retry came) go before the cache's.
        taken = await self.gate.take_due(want)
        ports, rest = run.ports, want - len(taken)
        records = []
        if rest > 0:
            records = await ports.cache.claim(run.id, run.settings.owner, rest, ports.clock.now())
        self.cache_maybe_empty = len(records) < rest
        self._pending.extend(await self.gate.screen([*taken, *records]))

    async def _snapshot(self, launching: int) -> PacingSnapshot:
        """What the pacer decides on: fresh stats (stale ones are none), the calls in flight
        and answered, the claims held, and the abandonment counts."""
        run, ports = self._run, self._run.ports
        stats = await ports.stats.read(run.execution.task_queue_sid)
        if stats is not None and stats.is_stale(ports.clock.now(), run.settings.stats_max_age_s):
            stats = None
        in_flight = await ports.calls.count(run.id)
        self.in_flight = in_flight
        counts = await run.abandonment.refresh()
        campaign = run.abandonment.campaign
        return PacingSnapshot(
            now=ports.clock.monotonic(),
            stats=stats,
            in_flight=in_flight + launching,
            answered_in_flight=await ports.calls.answered(run.id),
            claimed=len(self._pending),
            human_answered_total=counts.human_answered,
            abandoned_total=counts.abandoned,
            campaign_abandon_rate_30d=None if campaign is None else campaign.rate,
        )
