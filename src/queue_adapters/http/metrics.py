"""Prometheus metrics of one service instance, on a registry of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

__all__ = ["ExecutionGauges", "QueueMetrics"]


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


class _GaugeCollector(Collector):
    def __init__(self, read: Callable[[], Iterable[ExecutionGauges]]) -> None:
        self._read = read

    def collect(self) -> Iterable[Metric]:
        rate = GaugeMetricFamily(
            "queue_launch_rate", "Allowed launches per second now", labels=["execution"]
        )
        budget = GaugeMetricFamily(
            "queue_launch_budget", "Launch budget per second", labels=["execution"]
        )
        ratio = GaugeMetricFamily("queue_dial_ratio", "Dial ratio in force", labels=["execution"])
        active = GaugeMetricFamily(
            "queue_active_calls",
            "Calls in flight at the last pacing decision",
            labels=["execution"],
        )
        running = GaugeMetricFamily(
            "queue_executions", "Executions run by this instance", labels=["state"]
        )
        abandonment = _Abandonment()
        states: dict[str, int] = {}
        for gauges in self._read():
            execution = gauges.campaign_execution_id
            rate.add_metric([execution], gauges.launch_rate)
            budget.add_metric([execution], gauges.launch_budget)
            ratio.add_metric([execution], gauges.dial_ratio)
            active.add_metric([execution], gauges.active_calls)
            abandonment.add(gauges)
            states[gauges.state] = states.get(gauges.state, 0) + 1
        for state, count in states.items():
            running.add_metric([state], count)
        return [rate, budget, ratio, active, running, *abandonment.families()]


class _Abandonment:
    """The abandonment gauges (ADR 0025): each execution's run, and its campaign's 30 days."""

    def __init__(self) -> None:
        labels = ["execution"]
        self.human = GaugeMetricFamily(
            "queue_human_answered", "Person-answered calls of the run", labels=labels
        )
        self.abandoned = GaugeMetricFamily(
            "queue_abandoned", "Abandoned calls of the run (no agent within 2 s)", labels=labels
        )
        self.rate = GaugeMetricFamily(
            "queue_abandon_rate", "Abandoned over person-answered calls of the run", labels=labels
        )
        self.campaign = GaugeMetricFamily(
            "queue_campaign_abandon_rate_30d",
            "The campaign's abandoned over person-answered calls over 30 days",
            labels=["execution", "campaign"],
        )

    def add(self, gauges: ExecutionGauges) -> None:
        execution = gauges.campaign_execution_id
        self.human.add_metric([execution], gauges.human_answered)
        self.abandoned.add_metric([execution], gauges.abandoned)
        answered = gauges.human_answered
        self.rate.add_metric([execution], gauges.abandoned / answered if answered else 0.0)
        if gauges.campaign_abandon_rate_30d is not None:
            labels = [execution, gauges.campaign_id]
            self.campaign.add_metric(labels, gauges.campaign_abandon_rate_30d)

    def families(self) -> list[Metric]:
        return [self.human, self.abandoned, self.rate, self.campaign]


class QueueMetrics:
    """Counters the service increments, and gauges read at scrape time through `read_gauges`
    (set by the app once its supervisor exists)."""

    def __init__(self) -> None:
        self.read_gauges: Callable[[], Iterable[ExecutionGauges]] = list
        self.registry = CollectorRegistry()
        self.launches = Counter(
            "queue_launches",
            "Launch attempts by outcome",
            ["execution", "outcome"],
            registry=self.registry,
        )
        self.dispositions = Counter(
            "queue_dispositions",
            "Dispositions published, by status",
            ["execution", "status"],
            registry=self.registry,
        )
        self.webhook_requests = Counter(
            "queue_webhook_requests",
            "Webhook requests by route and outcome",
            ["route", "outcome"],
            registry=self.registry,
        )
        self.webhook_events = Counter(
            "queue_webhook_events",
            "Webhook events by type (unknown types included)",
            ["type"],
            registry=self.registry,
        )
        self.stale_events = Counter(
            "queue_webhook_stale_events",
            "Webhook events too old (a replay) and reports too late (their launch no longer in"
            " flight) to act on, ignored, by route",
            ["route"],
            registry=self.registry,
        )
        self.errors = Counter("queue_errors", "Errors by kind", ["kind"], registry=self.registry)
        self.loop_restarts = Counter(
            "queue_loop_restarts",
            "Background loops started again after an unexpected error, by loop",
            ["loop"],
            registry=self.registry,
        )
        self.registry.register(_GaugeCollector(lambda: self.read_gauges()))

    def count_restart(self, loop: str) -> None:
        """One more restart of `loop` (the control consumer, a runner...) after an error."""
        self.loop_restarts.labels(loop).inc()

    def count_events(self, by_type: Mapping[str, int]) -> None:
        for event_type, count in by_type.items():
            self.webhook_events.labels(event_type).inc(count)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
