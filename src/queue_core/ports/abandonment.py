"""The `AbandonmentCounters` port: person-answered and abandoned calls, per execution and per
campaign over 30 days (ADR 0025), for the pacer, the queue events and the metrics."""

from __future__ import annotations

from typing import Protocol

from queue_core.domain.abandonment import AbandonmentCounts

__all__ = ["AbandonmentCounters"]


class AbandonmentCounters(Protocol):
    """What settling has counted: a disposition with `human_answered` counts one person-answered
    call, and one abandoned call too when it is `abandoned`.

    A contact counts exactly once, whatever is retried, repeated or taken over and wherever an
    instance dies: the execution's counts move in the atomic step that settles the claim
    (`ContactCache.settle`), the campaign's in the atomic step that publishes its disposition
    (the same step where the store can). So the campaign's counts are those of the
    dispositions on the stream: one settled but not yet published counts for its execution
    only, until it is published. A campaign is counted per UTC day of the disposition's
    `ended_at`; a day's counts are kept 31 days, so what a campaign costs does not grow
    with its calls."""

    async def of_execution(self, campaign_execution_id: str) -> AbandonmentCounts:
        """The execution's counts over its current run: a transition that resets its launch
        and disposition counts (`start` of a new run) resets these. Zero for an execution
        never started."""
        ...

    async def of_campaign(self, campaign_id: str, now: float) -> AbandonmentCounts:
        """The campaign's counts over the 30 UTC days ending with the day of `now` (unix
        seconds), across its executions and every instance. Zero for a campaign never
        counted."""
        ...
