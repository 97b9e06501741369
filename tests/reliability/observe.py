"""What the reliability tests watch from outside the service: lease holders over time, the
service log's errors, and when dispositions reached `call_dispositions`."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Self

import redis

__all__ = [
    "LaunchWindowWatcher",
    "LeaseWatcher",
    "disposition_times",
    "seconds_between",
    "unhandled_errors",
]

# What a task that died of an error leaves in the log: asyncio's complaint about an exception
# nobody retrieved, the app's guard around its background tasks, a crashed runner or launch
# task, or any traceback at all.
_UNHANDLED = re.compile(
    r"Task exception was never retrieved|stopped on an error|runner of \S+ crashed"
    r"|launch task failed|Traceback \(most recent call last\)"
)


def unhandled_errors(log: Path) -> list[str]:
    """The lines of a service log that show an error no code handled."""
    lines = log.read_text(errors="replace").splitlines()
    return [line for line in lines if _UNHANDLED.search(line)]


def seconds_between(start_iso: str, end_iso: str) -> float:
    """`end - start`, two ISO-8601 times of a disposition."""
    return (datetime.fromisoformat(end_iso) - datetime.fromisoformat(start_iso)).total_seconds()


def disposition_times(store: redis.Redis, execution_id: str) -> dict[str, float]:
    """record_id -> wall time (s) its disposition entered `call_dispositions` (entry id)."""
    entries: Any = store.xrange("call_dispositions")
    return {
        fields["record_id"]: int(entry_id.split("-")[0]) / 1000
        for entry_id, fields in entries
        if fields["campaign_execution_id"] == execution_id
    }


class _Polling:
    """Calls `_poll` in a daemon thread every `every_s` from `__enter__` to `__exit__` (and once
    more on exit when `POLL_ON_EXIT`), then closes the store's client."""

    POLL_ON_EXIT: ClassVar[bool] = False
    store: redis.Redis
    every_s: float

    def __enter__(self) -> Self:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if self.POLL_ON_EXIT:
            self._poll()
        self.store.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._poll()
            self._stop.wait(self.every_s)

    def _poll(self) -> None:
        raise NotImplementedError


@dataclass
class LeaseWatcher(_Polling):
    """Polls `queue:lease:{<id>}` of some executions in a thread; keeps each change of holder
    as (monotonic time, holder or None). Closes its client on exit."""

    store: redis.Redis
    execution_ids: list[str]
    every_s: float = 0.05
    changes: dict[str, list[tuple[float, str | None]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.changes = {e: [] for e in self.execution_ids}

    def holder(self, execution_id: str) -> str | None:
        seen = self.changes[execution_id]
        return seen[-1][1] if seen else None

    def holders(self, execution_id: str) -> list[str]:
        """Every instance that held the lease, in order, with no repeat in a row."""
        owners = [owner for _, owner in self.changes[execution_id] if owner is not None]
        return [o for i, o in enumerate(owners) if i == 0 or owners[i - 1] != o]

    def _poll(self) -> None:
        pipe = self.store.pipeline(transaction=False)
        for execution_id in self.execution_ids:
            pipe.hget(f"queue:lease:{{{execution_id}}}", "owner")
        try:
            owners: list[str | None] = pipe.execute()
        except redis.ConnectionError:
            owners = []  # the store is down: nothing to see
        now = time.monotonic()
        for execution_id, owner in zip(self.execution_ids, owners, strict=False):
            if self.holder(execution_id) != owner or not self.changes[execution_id]:
                self.changes[execution_id].append((now, owner))


@dataclass
class LaunchWindowWatcher(_Polling):
    """Polls the account's shared launch schedule (`queue:launch_window:{launch_limiter}`) in a
    thread and keeps every slot it ever held, as Redis `TIME` seconds. A slot stays in the set
    for a whole window (1 s and more) after its time, so polling every 0.1 s misses none; the
    last ones are read on exit."""

    POLL_ON_EXIT: ClassVar[bool] = True
    store: redis.Redis
    every_s: float = 0.1
    slots: dict[str, float] = field(default_factory=dict)

    def times(self) -> list[float]:
        return sorted(self.slots.values())

    def _poll(self) -> None:
        try:
            found: Any = self.store.zrange(
                "queue:launch_window:{launch_limiter}", 0, -1, withscores=True
            )
        except redis.ConnectionError:
            return
        for member, score_us in found:
            self.slots[member] = score_us / 1_000_000
