"""The `progress` event of a running execution: at most every `PROGRESS_EVERY_S`, its counts,
its waiting records, what is left in its cache and the dial ratio in force (the contract's
"Version 2 additions")."""

from __future__ import annotations

from queue_core.domain.queue_events import QueueEvent, QueueEventType
from queue_core.services.dial_gate import DialGate
from queue_core.services.execution_run import ExecutionRun

__all__ = ["PROGRESS_EVERY_S", "ProgressReports"]

PROGRESS_EVERY_S = 10.0


class ProgressReports:
    """Publishes one execution's `progress` events (its runner calls `report` every round)."""

    def __init__(self, run: ExecutionRun, gate: DialGate) -> None:
        self._run = run
        self._gate = gate
        self._next = run.ports.clock.monotonic() + PROGRESS_EVERY_S

    async def report(self) -> None:
        """Publish a `progress` event when the last is `PROGRESS_EVERY_S` old (the first one
        `PROGRESS_EVERY_S` after the run began: `started` told the counts then)."""
        run = self._run
        ports = run.ports
        now = ports.clock.monotonic()
        if now < self._next:
            return
        self._next = now + PROGRESS_EVERY_S
        status = await ports.states.load(run.id)
        window, retry = await self._gate.counts()
        campaign = run.abandonment.campaign
        await ports.events.publish(
            QueueEvent(
                event=QueueEventType.PROGRESS,
                campaign_execution_id=run.id,
                at=ports.clock.now(),
                launched=status.launched if status else 0,
                dispositions=status.dispositions if status else 0,
                active=await ports.calls.count(run.id),
                human_answered=status.human_answered if status else 0,
                abandoned=status.abandoned if status else 0,
                campaign_abandon_rate_30d=None if campaign is None else campaign.reported_rate,
                waiting_for_window=window,
                waiting_for_retry=retry,
                cache_remaining=await ports.cache.remaining(run.id),
                dial_ratio=run.pacer.dial_ratio,
            )
        )
