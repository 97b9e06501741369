"""CloudEvents 1.0 as Event Streams delivers them, with the field layout of Twilio's docs.

Studio execution events carry the execution in `data`; step events carry the Step resource's
fields (`name` is the transition event, `transitioned_from` the widget the step left,
`transitioned_to` the next widget, `context` the widget's variables); voice events carry the
status callback in `data.request.parameters`.
"""

from __future__ import annotations

import random
from typing import Any

from twilio_emulator._wire import iso_millis, iso_seconds, new_sid, rfc2822
from twilio_emulator.resources import Execution

__all__ = [
    "EVENT_TYPES",
    "STUDIO_ENDED",
    "STUDIO_STARTED",
    "STUDIO_STEP_ENDED",
    "VOICE_AMD",
    "VOICE_PREFIX",
    "call_parameters",
    "execution_event",
    "step_event",
    "voice_event",
    "with_schema_version",
]

VOICE_PREFIX = "com.twilio.voice.status-callback."
VOICE_AMD = VOICE_PREFIX + "amd.detected"
STUDIO_STARTED = "com.twilio.studio.flow.execution.started"
STUDIO_ENDED = "com.twilio.studio.flow.execution.ended"
STUDIO_STEP_ENDED = "com.twilio.studio.flow.step.ended"
_SCHEMAS = "https://events-schemas.twilio.com"

# Event type -> (schema name, latest schema version) for the types the emulator can emit.
EVENT_TYPES: dict[str, tuple[str, int]] = {
    STUDIO_STARTED: ("Studio.FlowExecutionEvent", 2),
    STUDIO_ENDED: ("Studio.FlowExecutionEvent", 2),
    STUDIO_STEP_ENDED: ("Studio.FlowStepEvent", 2),
    VOICE_PREFIX + "call.initiated": ("Voice.WebhookEvent", 2),
    VOICE_PREFIX + "call.ringing": ("Voice.WebhookEvent", 2),
    VOICE_PREFIX + "call.answered": ("Voice.WebhookEvent", 2),
    VOICE_PREFIX + "call.completed": ("Voice.WebhookEvent", 2),
    VOICE_AMD: ("Voice.WebhookEvent", 2),
    # Subscribable; the emulator's flow does not emit them (it has no call centre).
    "com.twilio.taskrouter.task.created": ("TaskRouter.WDSEvent", 2),
    "com.twilio.taskrouter.task.canceled": ("TaskRouter.WDSEvent", 2),
    "com.twilio.taskrouter.reservation.accepted": ("TaskRouter.WDSEvent", 2),
    "com.twilio.taskrouter.task.completed": ("TaskRouter.WDSEvent", 2),
}


def _envelope(
    rng: random.Random, event_type: str, source: str, data: dict[str, Any], wall: float
) -> dict[str, Any]:
    schema, version = EVENT_TYPES[event_type]
    return {
        "specversion": "1.0",
        "type": event_type,
        "source": source,
        "id": new_sid(rng, "EZ"),
        "dataschema": f"{_SCHEMAS}/{schema}/{version}",
        "datacontenttype": "application/json",
        "time": iso_millis(wall),
        "data": data,
    }


def with_schema_version(event: dict[str, Any], version: int) -> dict[str, Any]:
    """The same event as a subscription to `version` of its schema receives it."""
    schema = EVENT_TYPES[event["type"]][0]
    return {**event, "dataschema": f"{_SCHEMAS}/{schema}/{version}"}


def execution_event(
    rng: random.Random, execution: Execution, *, ended: bool, wall: float
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "execution_sid": execution.sid,
        "account_sid": execution.account_sid,
        "flow_sid": execution.flow_sid,
        "contact_channel_address": execution.to,
        "status": "ended" if ended else "active",
        "date_created": iso_seconds(execution.created_wall),
        "date_updated": iso_seconds(wall),
        "started_by": "rest-api",
        "flow_revision": 1,
    }
    if ended:
        data["ended_reason"] = execution.ended_reason or "FLOW_END"
    event_type = STUDIO_ENDED if ended else STUDIO_STARTED
    return _envelope(rng, event_type, f"/v2/Flows/{execution.flow_sid}", data, wall)


def step_event(
    rng: random.Random,
    execution: Execution,
    *,
    name: str,
    transitioned_from: str,
    transitioned_to: str,
    context: dict[str, Any],
    step_started_wall: float,
    wall: float,
) -> dict[str, Any]:
    data = {
        "step_sid": new_sid(rng, "FT"),
        "execution_sid": execution.sid,
        "account_sid": execution.account_sid,
        "flow_sid": execution.flow_sid,
        "name": name,
        "transitioned_from": transitioned_from,
        "transitioned_to": transitioned_to,
        "context": context,
        "date_created": iso_seconds(step_started_wall),
        "date_updated": iso_seconds(wall),
        "flow_revision": 1,
    }
    return _envelope(rng, STUDIO_STEP_ENDED, f"/v2/Flows/{execution.flow_sid}", data, wall)


def call_parameters(
    execution: Execution, status: str, wall: float, **extra: str | int | None
) -> dict[str, str]:
    """A status callback's form fields; `extra` ones that are None are left out."""
    params = {
        "AccountSid": execution.account_sid,
        "ApiVersion": "2010-04-01",
        "CallSid": execution.call_sid,
        "CallStatus": status,
        "CallbackSource": "call-progress-events",
        "Direction": "outbound-api",
        "From": execution.from_,
        "To": execution.to,
        "Timestamp": rfc2822(wall),
    }
    params.update({key: str(value) for key, value in extra.items() if value is not None})
    return params


def voice_event(
    rng: random.Random, execution: Execution, event_type: str, params: dict[str, str], wall: float
) -> dict[str, Any]:
    source = f"/2010-04-01/Accounts/{execution.account_sid}/Calls/{execution.call_sid}.json"
    data = {
        "sid": execution.call_sid,
        "timestamp": iso_millis(wall),
        "eventSid": new_sid(rng, "EV"),
        "request": {"method": "POST", "url": None, "parameters": params},
    }
    return _envelope(rng, event_type, source, data, wall)
