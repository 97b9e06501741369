"""A campaign as the other services see it: written to, and read from, the contract's Redis keys
and streams only (never the service's own `queue:` keys)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import redis

from tests.system.processes import wait_for

__all__ = ["FLOW_SID", "FROM", "TASK_QUEUE_SID", "Campaign", "phone"]

FLOW_SID = "FW" + "5a" * 16
TASK_QUEUE_SID = "WQ" + "5a" * 16
FROM = "+15005550006"


def phone(n: int) -> str:
    return f"+1415{5550000 + n:07d}"


@dataclass
class Campaign:
    redis: redis.Redis
    execution_id: str
    size: int
    # Record n dials phone(first_number + n): campaigns that run at once dial distinct numbers.
    first_number: int = 0

    @property
    def phones(self) -> list[str]:
        return [phone(self.first_number + n) for n in range(self.size)]

    @property
    def record_ids(self) -> list[str]:
        return [f"r-{n:04d}" for n in range(self.size)]

    @property
    def cache_key(self) -> str:
        return f"campaign_cache:{{{self.execution_id}}}"

    @property
    def active_key(self) -> str:
        return f"active_calls:{{{self.execution_id}}}"

    def write(self, pacing: dict[str, Any], **fields: Any) -> None:
        """The campaign manager's and the cache service's part: the execution (with `fields`
        added to its document) and its cache."""
        document = {
            "campaign_execution_id": self.execution_id,
            "studio_flow_sid": FLOW_SID,
            "from_number": FROM,
            "task_queue_sid": TASK_QUEUE_SID,
            "pacing": pacing,
            **fields,
        }
        self.redis.set(f"campaign_execution:{self.execution_id}", json.dumps(document))
        records = [
            json.dumps(
                {"record_id": rid, "phone_number": number, "attributes": {"first_name": rid}}
            )
            for rid, number in zip(self.record_ids, self.phones, strict=True)
        ]
        self.redis.rpush(self.cache_key, *records)

    def write_agents(self, available: int) -> None:
        """The stats service's part; no `timestamp`, so the stats never go stale."""
        stats = {
            "total_available_workers": available,
            "tasks_by_status": {"pending": 0, "reserved": 0},
            "longest_task_waiting_age": 0,
        }
        self.redis.hset("task_queue_stats", TASK_QUEUE_SID, json.dumps(stats))

    def start(self) -> None:
        self.redis.xadd(
            "queue_control_stream",
            {"action": "start", "campaign_execution_id": self.execution_id, "request_id": "t-1"},
        )

    def cached(self) -> list[str]:
        """Record ids left in the cache, head first."""
        raw: list[str] = self.redis.lrange(self.cache_key, 0, -1)  # type: ignore[assignment]
        return [json.loads(item)["record_id"] for item in raw]

    def active(self) -> int:
        return int(self.redis.scard(self.active_key))

    def dispositions(self) -> list[dict[str, str]]:
        entries: Any = self.redis.xrange("call_dispositions")
        return [f for _, f in entries if f["campaign_execution_id"] == self.execution_id]

    def events(self) -> list[dict[str, str]]:
        entries: Any = self.redis.xrange("queue_event_stream")
        return [f for _, f in entries if f["campaign_execution_id"] == self.execution_id]

    def lifecycle(self) -> list[str]:
        """The names of this execution's events in order, without `progress` (published every
        10 s while it runs, so how many depends on how long it ran)."""
        return [e["event"] for e in self.events() if e["event"] != "progress"]

    def wait_event(self, name: str, timeout_s: float = 45.0) -> dict[str, str]:
        """The first `name` event of this execution, waiting for it."""

        def found() -> dict[str, str] | None:
            return next((e for e in self.events() if e["event"] == name), None)

        return wait_for(found, f"event {name!r} of {self.execution_id}", timeout_s, 0.1)

    def disposed_once(self) -> set[str]:
        """The record ids with a disposition, checking that none has two."""
        counts = Counter(d["record_id"] for d in self.dispositions())
        twice = sorted(rid for rid, n in counts.items() if n > 1)
        assert not twice, f"records with more than one disposition: {twice}"
        return set(counts)
