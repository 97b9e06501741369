"""Prometheus metrics of one service instance, on a registry of its own.

Every name starts with `dialer_queue_` and ends with its unit (`_seconds`, `_total`,
`_records`, `_ratio`, ...; ADR 0028); prometheus_client's process collector adds the
standard `process_` metrics. The series that name an execution (`execution` label) go away
when it ends: the gauges with its runner (`metric_gauges`), the counters when the app calls
`forget` for it (`queue_app.readings`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from queue_adapters.http.metric_gauges import (
    PREFIX,
    ExecutionGauges,
    GaugeCollector,
    ServiceReadings,
)

__all__ = ["PREFIX", "ExecutionGauges", "QueueMetrics", "ServiceReadings"]

# Twilio answers a create in about 0.2 s; seconds mean trouble.
CREATE_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
# Event Streams delivers within seconds; its retries take minutes to hours.
LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)
# From a launch to its disposition: ringing and talk, up to the contact timeout (2 h).
DISPOSITION_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0)


class QueueMetrics:
    """Counters and histograms the service feeds, and gauges read at scrape time through
    `read_gauges` (set by the app once its supervisor exists) and `readings` (set by the
    readings task)."""

    def __init__(self) -> None:
        self.read_gauges: Callable[[], Iterable[ExecutionGauges]] = list
        self.readings = ServiceReadings()
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self._by_execution: dict[str, set[tuple[Counter, tuple[str, ...]]]] = {}
        self._counters()
        self._histograms()
        self.registry.register(GaugeCollector(lambda: self.read_gauges(), lambda: self.readings))

    def _counters(self) -> None:
        def counter(name: str, text: str, labels: list[str]) -> Counter:
            return Counter(PREFIX + name, text, labels, registry=self.registry)

        self.launches = counter("launches", "Launch attempts by outcome", ["execution", "outcome"])
        self.dispositions = counter(
            "dispositions", "Dispositions published, by status", ["execution", "status"]
        )
        self.webhook_requests = counter(
            "webhook_requests", "Webhook requests by route and outcome", ["route", "outcome"]
        )
        self.webhook_events = counter(
            "webhook_events", "Webhook events by type (unknown types included)", ["type"]
        )
        self.stale_events = counter(
            "webhook_stale_events",
            "Webhook events too old (a replay) and reports too late (their launch no longer in"
            " flight) to act on, ignored, by route",
            ["route"],
        )
        self.errors = counter("errors", "Errors by kind", ["kind"])
        self.loop_restarts = counter(
            "loop_restarts",
            "Background loops started again after an unexpected error, by loop",
            ["loop"],
        )

    def _histograms(self) -> None:
        self.twilio_create = Histogram(
            PREFIX + "twilio_create_seconds",
            "Seconds from a Studio execution create leaving to Twilio's answer, by outcome",
            ["outcome"],
            buckets=CREATE_BUCKETS,
            registry=self.registry,
        )
        self.webhook_lag = Histogram(
            PREFIX + "webhook_stored_lag_seconds",
            "Seconds from a webhook event's own time to its facts being stored",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.launch_to_disposition = Histogram(
            PREFIX + "launch_to_disposition_seconds",
            "Seconds from a contact's launch to its disposition, by status",
            ["status"],
            buckets=DISPOSITION_BUCKETS,
            registry=self.registry,
        )

    def count_launch(self, execution: str, outcome: str) -> None:
        """One more launch attempt of `execution` with `outcome`."""
        self._count(self.launches, execution, outcome)

    def count_disposition(self, execution: str, status: str) -> None:
        """One more disposition of `execution` published with `status`."""
        self._count(self.dispositions, execution, status)

    def _count(self, counter: Counter, execution: str, value: str) -> None:
        counter.labels(execution, value).inc()
        self._by_execution.setdefault(execution, set()).add((counter, (execution, value)))

    def counted_executions(self) -> list[str]:
        """The executions some counter has a series of."""
        return list(self._by_execution)

    def forget(self, execution: str) -> None:
        """Remove every counter series of `execution` (it ended)."""
        for counter, labels in self._by_execution.pop(execution, set()):
            counter.remove(*labels)

    def count_restart(self, loop: str) -> None:
        """One more restart of `loop` (the control consumer, a runner...) after an error."""
        self.loop_restarts.labels(loop).inc()

    def count_events(self, by_type: Mapping[str, int]) -> None:
        for event_type, count in by_type.items():
            self.webhook_events.labels(event_type).inc(count)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
