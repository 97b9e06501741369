"""The webhook intake the HTTP routes call: Twilio's checks and parsers, the age and lifetime
checks, then the tracker."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence

from queue_adapters.http.forwarded import ForwardedOrigin
from queue_adapters.http.metrics import QueueMetrics
from queue_adapters.twilio import (
    SIGNATURE_HEADER,
    parse_callstatus,
    parse_event_batch,
    signed_url,
    verify_event_streams_signature,
)
from queue_app.settings import Settings
from queue_core.domain.facts import CallStatusReport, ContactFact
from queue_core.domain.freshness import fresh_facts
from queue_core.domain.tokens import CallstatusTokens
from queue_core.ports import ActiveCallRegistry, Clock
from queue_core.services.token_lifetime import launch_in_flight
from queue_core.services.tracker import TrackResult

__all__ = ["ServiceIntake"]

# Unknown event types get a metric label each, up to this many; the rest share one. A signed
# sender could otherwise grow the label set (and `/metrics`) without bound.
_MAX_UNKNOWN_TYPE_LABELS = 32
_OTHER_UNKNOWN = "unknown:other"


class ServiceIntake:
    def __init__(
        self,
        settings: Settings,
        tokens: CallstatusTokens,
        clock: Clock,
        metrics: QueueMetrics,
        record: Callable[[Sequence[ContactFact]], Awaitable[TrackResult]],
        calls: Callable[[], Awaitable[ActiveCallRegistry]],
    ) -> None:
        """`calls` gives the registry of launches in flight (opened with the store)."""
        self._settings = settings
        self._tokens = tokens
        self._clock = clock
        self._metrics = metrics
        self._record = record
        self._calls = calls
        self._unknown_labels: set[str] = set()

    def event_streams_signature_ok(
        self,
        target: str,
        origin: ForwardedOrigin | None,
        headers: Mapping[str, str],
        body: bytes,
    ) -> bool:
        if not self._settings.http.verify_signatures:
            return True
        origin = origin or ForwardedOrigin()
        url = signed_url(
            self._settings.http.public_base_url, target, scheme=origin.scheme, host=origin.host
        )
        token = self._settings.twilio.auth_token.get_secret_value()
        return verify_event_streams_signature(token, url, body, headers.get(SIGNATURE_HEADER))

    def parse_events(self, body: bytes) -> tuple[Sequence[ContactFact], Mapping[str, int]]:
        """Also counts the TaskRouter events read and ignored, as `ignored:<type>:<why>` (a
        few labels: four types, six reasons)."""
        batch = parse_event_batch(body)
        if batch.ignored:
            self._metrics.count_events(
                Counter({f"ignored:{why}": count for why, count in batch.ignored.items()})
            )
        return list(batch.facts), batch.unknown_types

    def drop_stale(self, facts: Sequence[ContactFact]) -> Sequence[ContactFact]:
        fresh = fresh_facts(facts, self._clock.now(), self._settings.http.event_max_age_s)
        if len(fresh) < len(facts):
            self._metrics.stale_events.labels("eventstreams").inc(len(facts) - len(fresh))
        return fresh

    def parse_callstatus(
        self, content_type: str | None, body: bytes
    ) -> tuple[CallStatusReport, str]:
        post = parse_callstatus(content_type, body, received_at=self._clock.now())
        return post.report, post.token

    def callstatus_token_ok(self, report: CallStatusReport, token: str) -> bool:
        if not self._settings.http.verify_signatures:
            return True
        return self._tokens.verify(report.campaign_execution_id, report.record_id, token)

    async def callstatus_current(self, report: CallStatusReport, token: str) -> bool:
        if not self._settings.http.verify_signatures:
            return True  # no token to trust, so no launch to check it against
        launch = self._tokens.launch_of(token)
        current = await launch_in_flight(await self._calls(), report, launch)
        if not current:
            self._metrics.stale_events.labels("callstatus").inc()
        return current

    async def record(self, facts: Sequence[ContactFact]) -> TrackResult:
        """Store the facts (through the tracker); count them by type and time each from its
        event's own time to now, once stored."""
        self._metrics.count_events(Counter(type(fact).__name__ for fact in facts))
        result = await self._record(facts)
        now = self._clock.now()
        for fact in facts:
            at: float | None = getattr(fact, "at", None)
            if at is not None:
                self._metrics.webhook_lag.observe(max(0.0, now - at))
        return result

    def observe(self, route: str, outcome: str, unknown: Mapping[str, int] | None = None) -> None:
        self._metrics.webhook_requests.labels(route, outcome).inc()
        if unknown:
            labels: Counter[str] = Counter()
            for event_type, count in unknown.items():
                labels[self._unknown_label(event_type)] += count
            self._metrics.count_events(labels)

    def _unknown_label(self, event_type: str) -> str:
        label = f"unknown:{event_type}"
        if label in self._unknown_labels:
            return label
        if len(self._unknown_labels) < _MAX_UNKNOWN_TYPE_LABELS:
            self._unknown_labels.add(label)
            return label
        return _OTHER_UNKNOWN
