"""The gauges of `/metrics`, made at scrape time from values already in memory (no I/O).

Two sources: `ExecutionGauges`, one per execution this instance runs (its runner's last
decision and counts), and `ServiceReadings`, what the service's readings task last read from
Redis (the cache left, the stats' age, the dead letters, the outbox's lag, the stored
executions). An execution's series are there while its runner is: they go with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["PREFIX", "ExecutionGauges", "GaugeCollector", "ServiceReadings"]

# Every metric of the service starts with this (ADR 0028); prometheus_client's process
# collector keeps its standard `process_` names.
PREFIX = "dialer_queue_"


@dataclass(frozen=True, slots=True)
class ExecutionGauges:
    """What a scrape reads of one running execution (the abandonment counts as its runner last
    read them: this run's, and its campaign's rate over 30 days when it names one)."""

    campaign_execution_id: str
    state: str
    launch_rate: float
    launch_budget: float
    dial_ratio: float
    active_calls: int
    human_answered: int = 0
    abandoned: int = 0
    campaign_id: str = ""
    campaign_abandon_rate_30d: float | None = None
    abandon_target: float = 0.03


@dataclass(frozen=True, slots=True)
class ServiceReadings:
    """What the readings task last read. `cache_remaining`: records left in the cache of each
    execution run here. `stats_age_s`: per task queue of those executions, seconds since its
    stats' `timestamp` (`math.inf` when its stats are missing or unparsable; a queue whose stats
    have no timestamp is left out). `dead_letters`: entries of the control dead letter stream.
    `outbox_lag_s`: age of the oldest disposition settled but not yet published (0.0: none).
    `stored`: executions with a stored state, by state. None or empty: not read yet."""

    cache_remaining: Mapping[str, int] = field(default_factory=dict)
    stats_age_s: Mapping[str, float] = field(default_factory=dict)
    dead_letters: int | None = None
    outbox_lag_s: float | None = None
    stored: Mapping[str, int] = field(default_factory=dict)


def _gauge(name: str, text: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, text, labels=list(labels))


class _Executions:
    """The per-execution gauges of the runners of this instance."""

    def __init__(self) -> None:
        ex = ["execution"]
        self.rate = _gauge("launch_rate_per_second", "Launches per second allowed now", ex)
        self.budget = _gauge("launch_budget_per_second", "Launch budget per second", ex)
        self.ratio = _gauge("dial_ratio", "Dial ratio in force", ex)
        self.active = _gauge("active_calls", "Calls in flight at the last pacing decision", ex)
        self.human = _gauge("human_answered_calls", "Person-answered calls of the run", ex)
        self.abandoned = _gauge(
            "abandoned_calls", "Abandoned calls of the run (no agent within 2 s)", ex
        )
        self.ratio_run = _gauge(
            "abandon_ratio", "Abandoned over person-answered calls of the run", ex
        )
        self.target = _gauge(
            "abandon_target_ratio", "The execution's abandon target (pacing.abandon_target)", ex
        )
        self.campaign = _gauge(
            "campaign_abandon_ratio_30d",
            "The campaign's abandoned over person-answered calls over 30 days",
            ["execution", "campaign"],
        )
        self.states = _gauge("executions", "Executions run by this instance, by state", ["state"])
        self.leases = _gauge("leases_held", "Execution leases this instance holds")

    def add(self, gauges: ExecutionGauges) -> None:
        execution = [gauges.campaign_execution_id]
        self.rate.add_metric(execution, gauges.launch_rate)
        self.budget.add_metric(execution, gauges.launch_budget)
        self.ratio.add_metric(execution, gauges.dial_ratio)
        self.active.add_metric(execution, gauges.active_calls)
        self.human.add_metric(execution, gauges.human_answered)
        self.abandoned.add_metric(execution, gauges.abandoned)
        answered = gauges.human_answered
        self.ratio_run.add_metric(execution, gauges.abandoned / answered if answered else 0.0)
        self.target.add_metric(execution, gauges.abandon_target)
        if gauges.campaign_abandon_rate_30d is not None:
            labels = [gauges.campaign_execution_id, gauges.campaign_id]
            self.campaign.add_metric(labels, gauges.campaign_abandon_rate_30d)

    def families(self, runners: list[ExecutionGauges]) -> list[Metric]:
        states: dict[str, int] = {}
        for gauges in runners:
            self.add(gauges)
            states[gauges.state] = states.get(gauges.state, 0) + 1
        for state, count in sorted(states.items()):
            self.states.add_metric([state], count)
        self.leases.add_metric([], len(runners))
        return [
            self.rate,
            self.budget,
            self.ratio,
            self.active,
            self.human,
            self.abandoned,
            self.ratio_run,
            self.target,
            self.campaign,
            self.states,
            self.leases,
        ]


def _readings(readings: ServiceReadings) -> list[Metric]:
    """The gauges of the readings task's last read."""
    remaining = _gauge(
        "cache_remaining_records", "Records left in the execution's cache", ["execution"]
    )
    for execution, count in sorted(readings.cache_remaining.items()):
        remaining.add_metric([execution], count)
    age = _gauge(
        "stats_age_seconds",
        "Seconds since the task queue's stats were written (+Inf: missing or unparsable)",
        ["task_queue"],
    )
    for task_queue, seconds in sorted(readings.stats_age_s.items()):
        age.add_metric([task_queue], seconds)
    dead = _gauge("control_dead_letters", "Entries of the control dead letter stream")
    if readings.dead_letters is not None:
        dead.add_metric([], readings.dead_letters)
    lag = _gauge(
        "outbox_lag_seconds", "Age of the oldest disposition settled but not yet published"
    )
    if readings.outbox_lag_s is not None:
        lag.add_metric([], readings.outbox_lag_s)
    stored = _gauge(
        "stored_executions", "Executions with a stored state, of every instance", ["state"]
    )
    for state, count in sorted(readings.stored.items()):
        stored.add_metric([state], count)
    return [remaining, age, dead, lag, stored]


class GaugeCollector(Collector):
    """Collects the gauges of `read_executions()` and `read_readings()` at each scrape."""

    def __init__(
        self,
        read_executions: Callable[[], Iterable[ExecutionGauges]],
        read_readings: Callable[[], ServiceReadings],
    ) -> None:
        self._read_executions = read_executions
        self._read_readings = read_readings

    def collect(self) -> Iterable[Metric]:
        executions = _Executions().families(list(self._read_executions()))
        return [*executions, *_readings(self._read_readings())]
