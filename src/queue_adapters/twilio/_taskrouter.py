"""TaskRouter's Event Streams events -> task facts (ADR 0025).

Both payload shapes are read: the fields under `data.payload` (Twilio's documented examples)
or directly under `data` (older payloads). A task is its contact's through the call SID its
`task_attributes` name (a JSON string holding `call_sid` or `callSid`). An event that lacks
what the service needs (a task SID, attributes that read as a JSON object within bounds, a
call SID in them) is no fault of the batch it came in: it is counted, by type and reason, and
ignored. `task.completed` is read and ignored: the accept before it told what counts.
"""

from __future__ import annotations

import re
from typing import Any

from queue_adapters.twilio._cloudevents import TaskRouterEventModel
from queue_adapters.twilio._wire import unix_seconds
from queue_core.domain.bounds import MAX_TASK_ATTRIBUTES_CHARS, load_json
from queue_core.domain.errors import ContractViolation
from queue_core.domain.facts import ReservationAccepted, TaskCanceled, TaskCreated, TaskFact

__all__ = ["TASK_TYPES", "task_fact"]

_PREFIX = "com.twilio.taskrouter."
TASK_CREATED = _PREFIX + "task.created"
TASK_CANCELED = _PREFIX + "task.canceled"
TASK_COMPLETED = _PREFIX + "task.completed"
RESERVATION_ACCEPTED = _PREFIX + "reservation.accepted"
TASK_TYPES = frozenset([TASK_CREATED, TASK_CANCELED, TASK_COMPLETED, RESERVATION_ACCEPTED])

_TASK_SID = re.compile(r"WT[0-9a-fA-F]{32}")
_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
_MAX_TEXT = 64  # a worker SID, a cancel reason: cut to this


def task_fact(event: TaskRouterEventModel) -> TaskFact | str:
    """The event's fact, or why it is ignored (`unused`, `malformed`, `no_task_sid`,
    `bad_attributes`, `no_call_sid`)."""
    if event.type == TASK_COMPLETED:
        return "unused"
    fields = _fields(event.data)
    if fields is None:
        return "malformed"
    task_sid = fields.get("task_sid")
    if not isinstance(task_sid, str) or not _TASK_SID.fullmatch(task_sid):
        return "no_task_sid"
    attributes = _attributes(fields.get("task_attributes"))
    if attributes is None:
        return "bad_attributes"
    call_sid = attributes.get("call_sid", attributes.get("callSid"))
    if not isinstance(call_sid, str) or not _CALL_SID.fullmatch(call_sid):
        return "no_call_sid"
    at = unix_seconds(
        *(_text(where.get("timestamp")) for where in (fields, event.data)), event.time
    )
    if event.type == TASK_CREATED:
        return TaskCreated(event.id, task_sid, call_sid, at=at)
    if event.type == TASK_CANCELED:
        reason = _text(fields.get("task_canceled_reason"))[:_MAX_TEXT]
        return TaskCanceled(event.id, task_sid, call_sid, reason, at=at)
    worker = _text(fields.get("worker_sid"))[:_MAX_TEXT]
    return ReservationAccepted(event.id, task_sid, call_sid, worker, at=at)


def _fields(data: Any) -> dict[str, Any] | None:
    """The event's fields: `data.payload` when it is an object, else `data` itself."""
    if not isinstance(data, dict):
        return None
    payload = data.get("payload")
    return payload if isinstance(payload, dict) else data


def _attributes(value: Any) -> dict[str, Any] | None:
    """The task's attributes: a JSON string of an object (an object is taken as it is)."""
    if isinstance(value, str):
        try:
            value = load_json(value, max_chars=MAX_TASK_ATTRIBUTES_CHARS)
        except ContractViolation:
            return None
    return value if isinstance(value, dict) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
