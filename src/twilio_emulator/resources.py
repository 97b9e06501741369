"""The emulated resources (Studio executions, Event Streams sinks and subscriptions) and
their JSON as Twilio's specs draw it (`studio.v2.flow.execution`, `events.v1.sink`,
`events.v1.subscription`, `events.v1.subscription.subscribed_event`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from twilio_emulator._wire import iso_seconds

__all__ = [
    "Execution",
    "Sink",
    "Subscription",
    "execution_json",
    "sink_json",
    "subscribed_event_json",
    "subscription_json",
]


@dataclass(slots=True)
class Execution:
    """One Studio execution and the call its flow places."""

    sid: str
    account_sid: str
    flow_sid: str
    contact_sid: str
    request_sid: str
    to: str
    from_: str
    parameters: dict[str, Any]
    index: int
    created_wall: float
    created_monotonic: float
    updated_wall: float
    status: str = "active"
    ended_reason: str = ""
    outcome: str = ""
    call_sid: str = ""
    call_status: str = ""
    call_at_monotonic: float | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    def path(self) -> str:
        return f"/v2/Flows/{self.flow_sid}/Executions/{self.sid}"


@dataclass(slots=True)
class Sink:
    sid: str
    description: str
    sink_type: str
    sink_configuration: dict[str, Any]
    created_wall: float
    updated_wall: float
    status: str = "active"

    @property
    def destination(self) -> str:
        return str(self.sink_configuration.get("destination", ""))

    @property
    def batch_events(self) -> bool:
        return bool(self.sink_configuration.get("batch_events", True))


@dataclass(slots=True)
class Subscription:
    sid: str
    account_sid: str
    sink_sid: str
    description: str
    created_wall: float
    updated_wall: float
    # Event type -> schema version, in the order they were subscribed.
    types: dict[str, int] = field(default_factory=dict)


def execution_json(execution: Execution, base_url: str) -> dict[str, Any]:
    url = base_url + execution.path()
    return {
        "sid": execution.sid,
        "account_sid": execution.account_sid,
        "flow_sid": execution.flow_sid,
        "contact_sid": execution.contact_sid,
        "contact_channel_address": execution.to,
        "context": {},
        "flow_version": 1,
        "status": execution.status,
        "initiated_by": execution.request_sid,
        "date_created": iso_seconds(execution.created_wall),
        "date_updated": iso_seconds(execution.updated_wall),
        "url": url,
        "links": {"steps": f"{url}/Steps", "execution_context": f"{url}/Context"},
    }


def sink_json(sink: Sink, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/v1/Sinks/{sink.sid}"
    return {
        "date_created": iso_seconds(sink.created_wall),
        "date_updated": iso_seconds(sink.updated_wall),
        "description": sink.description,
        "sid": sink.sid,
        "sink_configuration": sink.sink_configuration,
        "sink_type": sink.sink_type,
        "status": sink.status,
        "url": url,
        "links": {"sink_test": f"{url}/Test", "sink_validate": f"{url}/Validate"},
    }


def subscription_json(subscription: Subscription, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/v1/Subscriptions/{subscription.sid}"
    return {
        "account_sid": subscription.account_sid,
        "sid": subscription.sid,
        "date_created": iso_seconds(subscription.created_wall),
        "date_updated": iso_seconds(subscription.updated_wall),
        "description": subscription.description,
        "sink_sid": subscription.sink_sid,
        "url": url,
        "links": {"subscribed_events": f"{url}/SubscribedEvents"},
    }


def subscribed_event_json(
    subscription: Subscription, event_type: str, base_url: str
) -> dict[str, Any]:
    return {
        "account_sid": subscription.account_sid,
        "type": event_type,
        "schema_version": subscription.types[event_type],
        "subscription_sid": subscription.sid,
        "url": f"{base_url}/v1/Subscriptions/{subscription.sid}/SubscribedEvents/{event_type}",
    }
