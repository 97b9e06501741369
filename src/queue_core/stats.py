"""Agent availability from `task_queue_stats`, read tolerantly."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["QueueStats"]


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
        """Parse one hash value; None when missing or unparsable (launch nothing, look again)."""
        if raw is None:
            return None
        try:
            doc = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(doc, dict):
            return None
        available = _count(doc.get("total_available_workers"))
        if available is None:
            return None
        by_status = doc.get("tasks_by_status")
        if not isinstance(by_status, dict):
            by_status = {}
        age = doc.get("longest_task_waiting_age", 0)
        if isinstance(age, bool) or not isinstance(age, int | float) or age < 0:
            age = 0
        timestamp = _timestamp(doc.get("timestamp"))
        if "timestamp" in doc and timestamp is None:
            return None
        return cls(
            available_workers=available,
            pending_tasks=_count(by_status.get("pending")) or 0,
            reserved_tasks=_count(by_status.get("reserved")) or 0,
            longest_task_waiting_age_s=float(age),
            timestamp=timestamp,
        )

    def is_stale(self, now: float, max_age_s: float) -> bool:
        return self.timestamp is not None and now - self.timestamp > max_age_s


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _timestamp(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    return None
