"""TaskRouter events as Event Streams delivers them (`TaskRouter.WDSEvent`), in both layouts.

Twilio's published examples put the event's fields under `data.payload`, next to a few about
the event itself (`name`, `product_name`, `timestamp`...); older payloads had the same fields
directly under `data`. `task_payload` chooses (`twilio_emulator.callcentre_config`). The
`source` is an `AB` SID and the `id` a `NO` SID, as in Twilio's examples; `timestamp` and
`time` carry milliseconds. Ages are whole simulated seconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from twilio_emulator._wire import iso_millis, new_sid
from twilio_emulator.cloudevents import (
    RESERVATION_ACCEPTED,
    TASK_CANCELED,
    TASK_COMPLETED,
    TASK_CREATED,
    TASKROUTER_PREFIX,
    envelope,
)

__all__ = ["TaskFacts", "taskrouter_event"]

_NAMES = {
    TASK_CREATED: "TaskCreated",
    TASK_CANCELED: "TaskCanceled",
    TASK_COMPLETED: "TaskCompleted",
    RESERVATION_ACCEPTED: "ReservationAccepted",
}
_GROUPS = {RESERVATION_ACCEPTED: "reservation"}


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """What an event says of its task at the moment it is sent."""

    account_sid: str
    workspace_sid: str
    task_queue_sid: str
    task_sid: str
    task_attributes: str  # a JSON string, as TaskRouter carries attributes
    assignment_status: str
    age_s: int
    created_wall: float
    worker_sid: str = ""
    worker_name: str = ""
    reservation_sid: str = ""
    canceled_reason: str = ""
    completed_reason: str = ""


def _payload(rng: random.Random, event_type: str, task: TaskFacts, wall: float) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "sid": new_sid(rng, "EV"),
        "eventtype": event_type.removeprefix(TASKROUTER_PREFIX),
        "account_sid": task.account_sid,
        "timestamp": iso_millis(wall),
        "workspace_sid": task.workspace_sid,
        "task_sid": task.task_sid,
        "task_attributes": task.task_attributes,
        "task_age": task.age_s,
        "task_date_created": iso_millis(task.created_wall),
        "task_priority": 0,
        "task_queue_sid": task.task_queue_sid,
        "task_assignment_status": task.assignment_status,
    }
    if task.reservation_sid:
        payload["reservation_sid"] = task.reservation_sid
        payload["worker_sid"] = task.worker_sid
        payload["worker_name"] = task.worker_name
    if task.canceled_reason:
        payload["task_canceled_reason"] = task.canceled_reason
        payload["reason"] = task.canceled_reason
    if task.completed_reason:
        payload["task_completed_reason"] = task.completed_reason
        payload["reason"] = task.completed_reason
    return payload


def taskrouter_event(
    rng: random.Random, event_type: str, task: TaskFacts, *, nested: bool, wall: float
) -> dict[str, Any]:
    """The CloudEvent `event_type` of `task`; its fields under `data.payload` when `nested`."""
    payload = _payload(rng, event_type, task, wall)
    data = payload
    if nested:
        data = {
            "sid": payload["sid"],
            "name": _NAMES[event_type],
            "account_sid": task.account_sid,
            "timestamp": payload["timestamp"],
            "level": "INFO",
            "group": _GROUPS.get(event_type, "task"),
            "product_name": "TaskRouter",
            "payload_type": "application/json",
            "payload": payload,
        }
    source = "AB" + task.workspace_sid[2:]
    return envelope(rng, event_type, source, data, wall, id_prefix="NO")
