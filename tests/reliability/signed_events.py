"""Event Streams webhook bodies as Twilio sends them, signed with an account's auth token, for
tests that post their own events to the service: voice status-callback events, Studio
`execution.ended` and TaskRouter's task events, with the documented field layout (see
`shared/samples`)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from twilio_emulator import DEFAULT_ACCOUNT_SID, sign_json_body

__all__ = [
    "InFlight",
    "execution_ended",
    "signed_batch",
    "task_event",
    "voice_event",
]

_VOICE = "com.twilio.voice.status-callback.call."
_SCHEMAS = "https://events-schemas.twilio.com"


@dataclass(frozen=True, slots=True)
class InFlight:
    """A contact the service launched, as the emulator reports it."""

    execution_sid: str
    flow_sid: str
    call_sid: str
    to: str
    from_: str


def _iso(wall: float) -> str:
    return (
        datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def voice_event(
    event_id: str,
    contact: InFlight,
    kind: str,
    *,
    sequence: int,
    call_status: str | None = None,
    duration_s: int | None = None,
    answered_by: str = "",
    wall: float | None = None,
) -> dict[str, Any]:
    """`com.twilio.voice.status-callback.call.<kind>` for the contact's call."""
    wall = time.time() if wall is None else wall
    status = call_status or {"answered": "in-progress"}.get(kind, kind)
    parameters: dict[str, Any] = {
        "AccountSid": DEFAULT_ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": contact.call_sid,
        "CallStatus": status,
        "CallbackSource": "call-progress-events",
        "Direction": "outbound-api",
        "From": contact.from_,
        "To": contact.to,
        "SequenceNumber": str(sequence),
        "Timestamp": format_datetime(datetime.fromtimestamp(wall, UTC), usegmt=True),
    }
    if duration_s is not None:
        parameters["CallDuration"] = str(duration_s)
    if answered_by:
        parameters["AnsweredBy"] = answered_by
    return {
        "specversion": "1.0",
        "type": _VOICE + kind,
        "source": f"/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Calls/{contact.call_sid}.json",
        "id": event_id,
        "dataschema": f"{_SCHEMAS}/Voice.WebhookEvent/2",
        "datacontenttype": "application/json",
        "time": _iso(wall),
        "data": {
            "sid": contact.call_sid,
            "timestamp": _iso(wall),
            "request": {"method": "POST", "url": None, "parameters": parameters},
        },
    }


def execution_ended(
    event_id: str, contact: InFlight, *, wall: float | None = None
) -> dict[str, Any]:
    """`com.twilio.studio.flow.execution.ended` for the contact's Studio execution."""
    wall = time.time() if wall is None else wall
    return {
        "specversion": "1.0",
        "type": "com.twilio.studio.flow.execution.ended",
        "source": f"/v2/Flows/{contact.flow_sid}",
        "id": event_id,
        "dataschema": f"{_SCHEMAS}/Studio.FlowExecutionEvent/2",
        "datacontenttype": "application/json",
        "time": _iso(wall),
        "data": {
            "execution_sid": contact.execution_sid,
            "account_sid": DEFAULT_ACCOUNT_SID,
            "flow_sid": contact.flow_sid,
            "contact_channel_address": contact.to,
            "status": "ended",
            "ended_reason": "FLOW_END",
            "date_created": _iso(wall - 60),
            "date_updated": _iso(wall),
        },
    }


def task_event(
    event_id: str,
    kind: str,
    task_sid: str,
    attributes: str,
    *,
    wall: float | None = None,
    nested: bool = True,
    **fields: Any,
) -> dict[str, Any]:
    """`com.twilio.taskrouter.<kind>` (`task.created`, `reservation.accepted`...) of a task
    whose `task_attributes` are `attributes` (a JSON string), its fields under `data.payload`
    (the documented shape) or, with `nested=False`, directly under `data`."""
    wall = time.time() if wall is None else wall
    payload = {
        "eventtype": kind,
        "account_sid": DEFAULT_ACCOUNT_SID,
        "task_sid": task_sid,
        "task_attributes": attributes,
        "timestamp": _iso(wall),
        **fields,
    }
    data = {"name": kind, "timestamp": _iso(wall), "payload": payload} if nested else payload
    return {
        "specversion": "1.0",
        "type": f"com.twilio.taskrouter.{kind}",
        "source": "AB" + "0" * 32,
        "id": event_id,
        "dataschema": f"{_SCHEMAS}/TaskRouter.WDSEvent/4",
        "datacontenttype": "application/json",
        "time": _iso(wall),
        "data": data,
    }


def signed_batch(
    destination: str, events: Sequence[dict[str, Any]], auth_token: str
) -> tuple[str, bytes, dict[str, str]]:
    """(URL with `bodySHA256`, body, headers) of one Event Streams delivery to `destination`."""
    body = json.dumps(list(events), separators=(",", ":")).encode()
    url, signature = sign_json_body(destination, body, auth_token)
    headers = {"Content-Type": "application/json", "X-Twilio-Signature": signature}
    return url, body, headers
