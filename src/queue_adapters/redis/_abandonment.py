"""A disposition's abandonment counts in Redis (ADR 0025): what a settle or a publish counts,
and reading the counts back.

The settle scripts add a person-answered (and abandoned) disposition to its execution's
`human_answered` and `abandoned` (the state hash, in the execution's slot); the script that
publishes it adds it to its campaign's day (`RedisKeys.abandonment`, in the stream's slot).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from queue_adapters.redis._wire import text
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_core.domain.abandonment import (
    AbandonmentCounts,
    bucket_expires_at,
    utc_day,
    window_days,
)
from queue_core.domain.disposition import parse_iso_utc

__all__ = ["Counting", "campaign_counts", "counting", "execution_counts"]


@dataclass(frozen=True, slots=True)
class Counting:
    """What one disposition adds: `human` and `abandoned` (0 or 1) to its execution, and to
    its campaign's day `day_key` (None: it counts in no campaign) that expires at
    `expires_at` (unix s)."""

    human: int = 0
    abandoned: int = 0
    day_key: str | None = None
    expires_at: int = 0


def counting(keys: RedisKeys, fields: Mapping[str, str]) -> Counting:
    """From a disposition's stream fields (an entry written before schema_version 2 counts
    nowhere)."""
    if fields.get("human_answered") != "true":
        return Counting()
    abandoned = int(fields.get("abandoned") == "true")
    campaign = fields.get("campaign_id", "")
    if not campaign:
        return Counting(1, abandoned)
    day = utc_day(parse_iso_utc(fields["ended_at"]))
    return Counting(1, abandoned, keys.abandonment(campaign, day), bucket_expires_at(day))


async def execution_counts(
    client: RedisClient, keys: RedisKeys, execution_id: str
) -> AbandonmentCounts:
    state = keys.execution(execution_id).state
    human, abandoned = await client.hmget(state, ["human_answered", "abandoned"])
    return AbandonmentCounts(int(text(human or "0")), int(text(abandoned or "0")))


async def campaign_counts(
    client: RedisClient, keys: RedisKeys, campaign_id: str, now: float
) -> AbandonmentCounts:
    """The 30 days in one pipeline: every day's key is in the stream's slot, on one node."""
    pipe = client.pipeline(transaction=False)
    for day in window_days(now):
        pipe.hmget(keys.abandonment(campaign_id, day), ["human_answered", "abandoned"])
    total = AbandonmentCounts()
    for human, abandoned in await pipe.execute():
        total += AbandonmentCounts(int(text(human or "0")), int(text(abandoned or "0")))
    return total
