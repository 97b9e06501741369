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
    """What a scrape reads of one running execution."""

    campaign_execution_id: str
    state: str
    launch_rate: float
    launch_budget: float
    dial_ratio: float
    active_calls: int


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
        states: dict[str, int] = {}
        for gauges in self._read():
            execution = gauges.campaign_execution_id
            rate.add_metric([execution], gauges.launch_rate)
            budget.add_metric([execution], gauges.launch_budget)
            ratio.add_metric([execution], gauges.dial_ratio)
            active.add_metric([execution], gauges.active_calls)
            states[gauges.state] = states.get(gauges.state, 0) + 1
        for state, count in states.items():
            running.add_metric([state], count)
        return [rate, budget, ratio, active, running]


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
