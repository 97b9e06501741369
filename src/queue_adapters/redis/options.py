"""Timing and retention settings of the Redis adapters (key names are in `keys.RedisKeys`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["RedisOptions"]

WEEK_S = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class RedisOptions:
    """How long things live and when work of a dead instance is taken over.

    `control_min_idle_ms`: a control entry read but not acked for this long is taken over
    (XAUTOCLAIM) by the next reader. `contact_timeout_s` + `ttl_margin_s`: TTL of a contact's
    assembly facts and of the (To, From) and execution SID indexes, a safety net for contacts
    that no instance settles. `published_marker_ttl_s`: how long a published disposition is
    remembered; the outbox relay is exactly-once within this window. `stream_maxlen`: when set,
    `call_dispositions` and `queue_event_stream` are trimmed to about this many entries
    (XADD MAXLEN ~); off by default because the consumers own their retention.
    `cross_slot_scripts`: on one server (a `Redis` client, not a `RedisCluster`), run each step
    as one script even when its keys lie in several slots (ADR 0009, 0015); set it False behind
    a proxy that reports `cluster_enabled:0` but shards the keys: every script then keeps to one
    slot, as on a cluster.
    """

    control_min_idle_ms: int = 60_000
    contact_timeout_s: float = 7200.0
    ttl_margin_s: float = 3600.0
    published_marker_ttl_s: int = WEEK_S
    stream_maxlen: int | None = None
    cross_slot_scripts: bool = True

    def __post_init__(self) -> None:
        if self.control_min_idle_ms < 0:
            raise ValueError("control_min_idle_ms must be >= 0")
        if self.contact_timeout_s <= 0 or self.ttl_margin_s < 0:
            raise ValueError("contact_timeout_s must be > 0 and ttl_margin_s >= 0")
        if self.published_marker_ttl_s <= 0:
            raise ValueError("published_marker_ttl_s must be > 0")
        if self.stream_maxlen is not None and self.stream_maxlen <= 0:
            raise ValueError("stream_maxlen must be > 0 when set")

    @property
    def contact_ttl_s(self) -> int:
        """TTL of the per-contact keys, whole seconds (EXPIRE takes an integer)."""
        return max(1, math.ceil(self.contact_timeout_s + self.ttl_margin_s))
