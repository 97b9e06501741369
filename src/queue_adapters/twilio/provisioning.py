"""Event Streams set-up: the webhook sink at `/eventstreams` and one subscription covering
the contract's event types, created or completed when missing. Idempotent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from twilio.base.exceptions import TwilioException  # type: ignore[import-untyped]

from queue_adapters.twilio.http_client import TransportFailure
from queue_adapters.twilio.provisioning_report import CONTRACT_EVENT_TYPES, ProvisioningReport
from queue_adapters.twilio.rest import TwilioRest
from queue_core.domain.errors import StoreUnavailable

__all__ = ["EventStreamsProvisioner", "ProvisioningError"]

SINK_DESCRIPTION = "queue service webhook sink"
SUBSCRIPTION_DESCRIPTION = "queue service: voice status, Studio and TaskRouter events"


class ProvisioningError(Exception):
    """Twilio refused a provisioning request (a 4xx: credentials, permissions, bad input)."""


class EventStreamsProvisioner:
    """Makes sure Event Streams delivers the contract's events to our webhook."""

    def __init__(
        self,
        rest: TwilioRest,
        event_types: tuple[str, ...] = CONTRACT_EVENT_TYPES,
        schema_version: int = 1,
        page_size: int = 100,
    ) -> None:
        self._rest = rest
        self._page_size = page_size
        self._types = event_types
        self._schema_version = schema_version

    async def ensure(self, destination_url: str) -> ProvisioningReport:
        """Find or create the sink at `destination_url` and complete its subscription.

        Raises `StoreUnavailable` when Twilio cannot be reached or answers 5xx/429, and
        `ProvisioningError` when it refuses a request."""
        try:
            return await self._ensure(destination_url)
        except TransportFailure as exc:
            raise StoreUnavailable(f"Event Streams unreachable: {exc.reason}") from exc
        except (TwilioException, ValueError, LookupError, TypeError, AttributeError) as exc:
            answer = self._rest.http.last_response
            status = answer.status if answer else 0
            detail = f"HTTP {status}: {answer.text[:300]}" if answer else repr(exc)
            if 400 <= status < 500 and status != 429:
                raise ProvisioningError(f"Event Streams refused a request: {detail}") from exc
            raise StoreUnavailable(f"Event Streams unavailable: {detail}") from exc

    async def _ensure(self, destination: str) -> ProvisioningReport:
        events = self._rest.client.events.v1
        sink, scanned = await self._find_sink(destination)
        sink_created = sink is None
        if sink is None:
            sink = await events.sinks.create_async(
                description=SINK_DESCRIPTION,
                sink_configuration={
                    "destination": destination,
                    "method": "POST",
                    "batch_events": True,
                },
                sink_type="webhook",
            )
        best_sid, best_types = await self._best_subscription(sink.sid)
        wanted = [{"type": t, "schema_version": self._schema_version} for t in self._types]
        if not best_sid:
            created = await events.subscriptions.create_async(
                description=SUBSCRIPTION_DESCRIPTION, sink_sid=sink.sid, types=wanted
            )
            return self._report(
                destination, sink, sink_created, scanned, created.sid, True, (), self._types
            )
        missing = tuple(t for t in self._types if t not in best_types)
        for event_type in missing:
            await events.subscriptions(best_sid).subscribed_events.create_async(
                type=event_type, schema_version=self._schema_version
            )
        present = tuple(t for t in self._types if t in best_types)
        return self._report(
            destination, sink, sink_created, scanned, best_sid, False, present, missing
        )

    async def _best_subscription(self, sink_sid: str) -> tuple[str, set[str]]:
        """The sink's subscription covering most of our types ("" when it has none)."""
        subscriptions = self._rest.client.events.v1.subscriptions
        first = await subscriptions.page_async(sink_sid=sink_sid, page_size=self._page_size)
        wanted = set(self._types)
        best_sid, best_types = "", set[str]()
        async for subscription in _records(first):
            subscribed = subscription.subscribed_events
            types = {
                e.type
                async for e in _records(await subscribed.page_async(page_size=self._page_size))
            }
            if not best_sid or len(types & wanted) > len(best_types & wanted):
                best_sid, best_types = str(subscription.sid), types
        return best_sid, best_types

    async def _find_sink(self, destination: str) -> tuple[Any | None, int]:
        scanned = 0
        found = None
        first = await self._rest.client.events.v1.sinks.page_async(page_size=self._page_size)
        async for sink in _records(first):
            scanned += 1
            config = sink.sink_configuration
            if (
                found is None
                and sink.sink_type == "webhook"
                and isinstance(config, dict)
                and config.get("destination") == destination
            ):
                found = sink
        return found, scanned

    def _report(
        self,
        destination: str,
        sink: Any,
        sink_created: bool,
        scanned: int,
        subscription_sid: str,
        subscription_created: bool,
        present: tuple[str, ...],
        added: tuple[str, ...],
    ) -> ProvisioningReport:
        return ProvisioningReport(
            destination=destination,
            sink_sid=str(sink.sid),
            sink_status=str(sink.status or ""),
            sink_created=sink_created,
            sinks_scanned=scanned,
            subscription_sid=subscription_sid,
            subscription_created=subscription_created,
            types_present=present,
            types_added=added,
        )


async def _records(page: Any) -> AsyncIterator[Any]:
    """Every record of a twilio-python page and the pages after it."""
    while page is not None:
        for record in page:
            yield record
        page = await page.next_page_async()
