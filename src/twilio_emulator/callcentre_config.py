"""The call centre's settings (`EmulatorConfig.callcentre`): agents, callers, TaskRouter, stats.

With `enabled` on, a call that a person answers is handed to an agent, as Studio's Send to
Flex or Enqueue Call widget does: a TaskRouter task whose `task_attributes` is a JSON string
with the `call_sid`, in the flow's task queue. The person is answered when AMD says `human`, or
when the call is answered with AMD off (the flow cannot tell a machine then, and hands every
answered call over; a machine's call lasts its machine talk whatever happens, so an agent who
accepts it talks for what is left of it). A free agent reserves the task and accepts it after
`accept_s` (`reservation.accepted`), talks, wraps up, and is free again; a caller still waiting
when their patience runs out hangs up (`task.canceled`, reason `hangup`) and the call completes
then. Machines that AMD detects keep their machine talk and get no task. Off (the default), no
call gets a task and a person talks for `talk_human_s`, as before the call centre existed.

Durations of the simulated world are simulated seconds (scaled by `time_scale`); `stats_every_s`
and `taskrouter_delay_s` are real seconds, as the other delivery timings are.

- `enabled`: the call centre is on. Default off.
- `agents`: agents logged in when the call centre starts (the emulator starts, or `enabled` is
  turned on). Changing it while it runs logs agents in or out to reach it. Default 10.
- `schedule`: `[[at_s, change], ...]`: at `at_s` simulated seconds after the start, `change`
  agents log in (positive) or out (negative). Changing it while it runs arms the entries not
  yet due. `POST /_emulator/agents` does the same by hand. Default none.
- `accept_s`: (low, high) uniform delay from a reservation to its acceptance. Default (0.3, 1.0).
- `talk_mean_s`, `talk_log_sd`: an agent's talk with a person is lognormal with this mean and
  this standard deviation of its logarithm (0: always the mean). Default 180 s and 0.6.
- `wrapup_s`: (low, high) uniform wrap-up after each talk. Default (20, 40).
- `patience_mean_s`: how long a person waits for an agent before hanging up, exponential with
  this mean (0: nobody waits). Default 10 s.
- `available_workers`: what `total_available_workers` counts: `idle` (agents free to take a
  task now: a team whose activities make an agent unavailable while reserved, talking and
  wrapping up) or `activity` (every logged-in agent not wrapping up: workers who stay in an
  available activity while they talk, TaskRouter's wording of the field). Default `idle`.
- `workspace_sid`, `task_queue_sid`, `task_queue_sid_by_flow` (flow SID -> task queue SID):
  one task queue per flow, `task_queue_sid` for the flows not named. The agents serve every
  queue, oldest task first, the agent idle longest first.
- `task_payload`: where a TaskRouter event's fields are: `nested` (under `data.payload`, as
  Twilio's examples show) or `flat` (directly under `data`, as older payloads had them).
- `task_completed_at`: when `task.completed` is sent: `wrapup_end` (the agent completes the
  task after wrap-up) or `hangup` (completed when the talk ends). Default `wrapup_end`.
- `taskrouter_delay_s`: real seconds added to the delivery of TaskRouter events. Default 0.
- `stats_redis_url`: where `task_queue_stats` is written, as the stats service would (a hash:
  field = task queue SID, value = TaskQueue RealTimeStatistics JSON, plus `timestamp`); unset,
  nothing is written. `stats_key` names the hash (default `task_queue_stats`), `stats_every_s`
  the real seconds between writes (default 2), `stats_timestamp` the form of `timestamp`: `iso`
  (ISO-8601 UTC with milliseconds) or `unix` (epoch seconds). Task ages are simulated seconds.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from twilio_emulator._settings import coerce

__all__ = [
    "DEFAULT_TASK_QUEUE_SID",
    "DEFAULT_WORKSPACE_SID",
    "CallCentreConfig",
    "updated_callcentre",
]

DEFAULT_TASK_QUEUE_SID = "WQ" + "e0" * 16
DEFAULT_WORKSPACE_SID = "WS" + "e0" * 16

AvailableWorkers = Literal["idle", "activity"]
TaskPayload = Literal["nested", "flat"]
TaskCompletedAt = Literal["wrapup_end", "hangup"]
StatsTimestamp = Literal["iso", "unix"]

_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")


@dataclass(frozen=True, slots=True)
class CallCentreConfig:
    """Settings of the call centre; see the module docstring for what each means."""

    enabled: bool = False
    agents: int = 10
    schedule: tuple[tuple[float, int], ...] = ()
    accept_s: tuple[float, float] = (0.3, 1.0)
    talk_mean_s: float = 180.0
    talk_log_sd: float = 0.6
    wrapup_s: tuple[float, float] = (20.0, 40.0)
    patience_mean_s: float = 10.0
    available_workers: AvailableWorkers = "idle"
    workspace_sid: str = DEFAULT_WORKSPACE_SID
    task_queue_sid: str = DEFAULT_TASK_QUEUE_SID
    task_queue_sid_by_flow: Mapping[str, str] = field(default_factory=dict)
    task_payload: TaskPayload = "nested"
    task_completed_at: TaskCompletedAt = "wrapup_end"
    taskrouter_delay_s: float = 0.0
    stats_redis_url: str | None = None
    stats_key: str = "task_queue_stats"
    stats_every_s: float = 2.0
    stats_timestamp: StatsTimestamp = "iso"

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError("; ".join(f"callcentre: {p}" for p in problems))

    def queue_of(self, flow_sid: str) -> str:
        """The task queue of the flow `flow_sid`."""
        return self.task_queue_sid_by_flow.get(flow_sid, self.task_queue_sid)

    @property
    def queues(self) -> list[str]:
        """Every task queue the settings name, the default first."""
        named = dict.fromkeys([self.task_queue_sid, *self.task_queue_sid_by_flow.values()])
        return list(named)


def _problems(c: CallCentreConfig) -> list[str]:
    problems: list[str] = []
    if c.agents < 0:
        problems.append("agents must not be negative")
    if any(at < 0 for at, _ in c.schedule):
        problems.append("schedule: each at_s must not be negative")
    for name in ("accept_s", "wrapup_s"):
        low, high = getattr(c, name)
        if not 0 <= low <= high:
            problems.append(f"{name} must be (low, high) with 0 <= low <= high")
    if c.talk_mean_s <= 0 or c.talk_log_sd < 0 or c.patience_mean_s < 0:
        problems.append("talk_mean_s must be positive; talk_log_sd, patience_mean_s not negative")
    if c.taskrouter_delay_s < 0 or c.stats_every_s <= 0:
        problems.append("taskrouter_delay_s must not be negative, stats_every_s must be positive")
    sids = [("workspace_sid", c.workspace_sid, "WS"), ("task_queue_sid", c.task_queue_sid, "WQ")]
    sids += [(f"task_queue_sid_by_flow[{k}]", v, "WQ") for k, v in c.task_queue_sid_by_flow.items()]
    for name, sid, prefix in sids:
        if not (isinstance(sid, str) and _SID.match(sid) and sid.startswith(prefix)):
            problems.append(f"{name} must be {prefix} + 32 hex")
    if not c.stats_key:
        problems.append("stats_key must not be empty")
    if c.stats_redis_url is not None and not c.stats_redis_url.startswith(
        ("redis://", "rediss://", "unix://")
    ):
        problems.append("stats_redis_url must be a redis://, rediss:// or unix:// URL")
    return problems


def updated_callcentre(config: CallCentreConfig, changes: Any) -> CallCentreConfig:
    """`config` with `changes` (a mapping of its settings, or a whole `CallCentreConfig`)
    applied; raises `ValueError` for unknown or invalid ones."""
    if isinstance(changes, CallCentreConfig):
        return changes
    if not isinstance(changes, Mapping):
        raise ValueError("callcentre takes a JSON object of its settings")
    hints = typing.get_type_hints(CallCentreConfig)
    unknown = sorted(set(changes) - set(hints))
    if unknown:
        raise ValueError(f"unknown callcentre settings: {', '.join(unknown)}")
    normalised = {name: coerce(f"callcentre.{name}", hints[name], v) for name, v in changes.items()}
    try:
        return dataclasses.replace(config, **normalised)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc
