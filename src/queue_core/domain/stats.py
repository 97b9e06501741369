"""Agent availability from `task_queue_stats`, read tolerantly."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from queue_core.domain.bounds import MAX_STATS_CHARS, load_json
from queue_core.domain.errors import ContractViolation

__all__ = ["QueueStats"]

# Counts above this are not TaskRouter's: read as unparsable (a pacer fed 10**400 workers
# would overflow a float).
_MAX_COUNT = 10**9


@dataclass(frozen=True, slots=True)
class QueueStats:
    """The fields of TaskRouter's TaskQueue RealTimeStatistics the pacer uses.

    `timestamp` is unix seconds when the stats service wrote a `timestamp`, else None.
    """

    available_workers: int
    pending_tasks: int = 0
    reserved_tasks: int = 0
    longest_task_waiting_age_s: float = 0.0
    timestamp: float | None = None

    @classmethod
    def parse(cls, raw: str | bytes | None) -> QueueStats | None:
        """Parse one hash value; None when missing or unparsable (launch nothing, look again),
        never an error. Unparsable includes more than MAX_STATS_CHARS characters or
        MAX_JSON_DEPTH levels of nesting (`queue_core.domain.bounds`)."""
        if raw is None:
            return None
        try:
            doc = load_json(raw, max_chars=MAX_STATS_CHARS)
        except ContractViolation:
            return None
        if not isinstance(doc, dict):
            return None
        available = _count(doc.get("total_available_workers"))
        if available is None:
            return None
        by_status = doc.get("tasks_by_status")
        if not isinstance(by_status, dict):
            by_status = {}
        age = _seconds(doc.get("longest_task_waiting_age", 0))
        if age is None or age < 0:
            age = 0.0
        timestamp = _timestamp(doc.get("timestamp"))
        if "timestamp" in doc and timestamp is None:
            return None
        return cls(
            available_workers=available,
            pending_tasks=_count(by_status.get("pending")) or 0,
            reserved_tasks=_count(by_status.get("reserved")) or 0,
            longest_task_waiting_age_s=age,
            timestamp=timestamp,
        )

    def is_stale(self, now: float, max_age_s: float) -> bool:
        return self.timestamp is not None and now - self.timestamp > max_age_s


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_COUNT:
        return None
    return value


def _seconds(value: object) -> float | None:
    """A finite number as a float; None for anything else (an int too big for a float too)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return seconds if math.isfinite(seconds) else None


def _timestamp(value: object) -> float | None:
    if isinstance(value, int | float):
        return _seconds(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.timestamp()
        except (ValueError, OverflowError):
            return None
    return None
