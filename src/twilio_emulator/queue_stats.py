"""The task queues' real-time statistics, and their writer: `task_queue_stats` in Redis, on a
cadence, as the stats service writes it.

Each value is TaskRouter's TaskQueue RealTimeStatistics (`taskrouter.v1.workspace.task_queue.
task_queue_real_time_statistics`) as JSON, plus a `timestamp` of when it was written. Counts
are integers; task ages whole simulated seconds; `tasks_by_status` counts `pending`,
`reserved`, `assigned` and `wrapping` tasks. Every agent serves every queue, so the worker
counts are the team's. The writer is a drift-corrected loop every `stats_every_s` real
seconds; a failed write is counted (`stats_write_errors`) and the next one is tried on time.
The loop ends once it is stopped or cancelled, even if a write swallowed the cancellation.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import redis.asyncio as redis

from twilio_emulator._wire import iso_millis
from twilio_emulator.callcentre_config import CallCentreConfig

if TYPE_CHECKING:
    from twilio_emulator.callcentre import CallCentre
    from twilio_emulator.state import EmulatorState

__all__ = ["QueueStatsWriter", "queue_statistics"]

_STATUSES = ("pending", "reserved", "assigned", "wrapping")
_WAITING = ("pending", "reserved")
# Activities as a team configures them: one SID each, the emulator's own.
_ACTIVITIES = {
    "Available": "WA" + "a0" * 16,
    "Busy": "WA" + "b0" * 16,
    "WrapUp": "WA" + "c0" * 16,
    "Offline": "WA" + "d0" * 16,
}


def _activities(centre: CallCentre) -> dict[str, int]:
    """Workers by activity; in `activity` mode, agents stay Available while they talk."""
    states = centre.team.states()
    busy = states["reserved"] + states["talking"]
    idle = centre.config.available_workers == "idle"
    return {
        "Available": states["available"] + (0 if idle else busy),
        "Busy": busy if idle else 0,
        "WrapUp": states["wrapping"],
        "Offline": states["offline"],
    }


def queue_statistics(centre: CallCentre, account_sid: str, now: float) -> dict[str, Any]:
    """Task queue SID -> its statistics at monotonic `now`, for every queue the settings name
    or a task is in."""
    config = centre.config
    queues = dict.fromkeys([*config.queues, *(t.queue_sid for t in centre.tasks.values())])
    activities = _activities(centre)
    scale = centre.scale
    found: dict[str, Any] = {}
    for queue in queues:
        tasks = [t for t in centre.tasks.values() if t.queue_sid == queue]
        by_status = {s: sum(1 for t in tasks if t.status == s) for s in _STATUSES}
        waiting = [t for t in tasks if t.status in _WAITING]
        oldest = min(waiting, key=lambda t: t.created, default=None)
        age = 0 if oldest is None else round(max(0.0, now - oldest.created) / scale)
        oldest_sid = None if oldest is None else oldest.sid
        base = f"https://taskrouter.twilio.com/v1/Workspaces/{config.workspace_sid}"
        found[queue] = {
            "account_sid": account_sid,
            "workspace_sid": config.workspace_sid,
            "task_queue_sid": queue,
            "total_available_workers": activities["Available"],
            "total_eligible_workers": len(centre.team.agents),
            "total_tasks": sum(by_status.values()),
            "tasks_by_status": by_status,
            "tasks_by_priority": {"0": sum(by_status.values())},
            "longest_task_waiting_age": age,
            "longest_task_waiting_sid": oldest_sid,
            "longest_relative_task_age_in_queue": age,
            "longest_relative_task_sid_in_queue": oldest_sid,
            "activity_statistics": [
                {"sid": _ACTIVITIES[name], "friendly_name": name, "workers": count}
                for name, count in activities.items()
            ],
            "url": f"{base}/TaskQueues/{queue}/RealTimeStatistics",
        }
    return found


class QueueStatsWriter:
    """Writes `queue_statistics` to `stats_redis_url` while the call centre is on."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state
        self._task: asyncio.Task[None] | None = None
        self.written: deque[float] = deque(maxlen=1000)  # monotonic times of the writes

    def reconfigure(self, old: CallCentreConfig | None) -> None:
        """(Re)start or stop the writer after the settings changed (`old` None: at start)."""
        new = self._state.config.callcentre
        wanted = new.enabled and new.stats_redis_url is not None
        same = old is not None and (old.stats_redis_url, old.stats_key, old.enabled) == (
            new.stats_redis_url,
            new.stats_key,
            new.enabled,
        )
        running = self._task is not None and not self._task.done()
        if running and same:
            return
        self.close()
        if wanted:
            self._task = asyncio.get_running_loop().create_task(self._run())
            self._state.track(self._task)

    def close(self) -> None:
        """Stop writing (the task in hand ends at its next step, at the latest)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        config = self._state.config.callcentre
        assert config.stats_redis_url is not None
        client = redis.Redis.from_url(config.stats_redis_url, decode_responses=True)
        me = asyncio.current_task()
        try:
            due = time.monotonic()
            # Not on cancellation alone: redis-py may finish a command it was cancelled in,
            # and return as if nothing happened.
            while self._task is me and not (me is not None and me.cancelling()):
                await self._write(client, config.stats_key)
                every = self._state.config.callcentre.stats_every_s
                due = max(due + every, time.monotonic())
                await asyncio.sleep(due - time.monotonic())
        finally:
            await client.aclose()

    async def _write(self, client: redis.Redis, key: str) -> None:
        state = self._state
        stamp = time.time()
        stats = queue_statistics(state.callcentre, state.config.account_sid, time.monotonic())
        when: str | float = stamp
        if state.config.callcentre.stats_timestamp == "iso":
            when = iso_millis(stamp)
        values = {queue: json.dumps({**value, "timestamp": when}) for queue, value in stats.items()}
        try:
            await client.hset(key, mapping=values)  # type: ignore[arg-type]
        except (redis.RedisError, OSError):
            state.counters["stats_write_errors"] += 1
            return
        state.counters["stats_writes"] += 1
        self.written.append(time.monotonic())
