"""What Twilio and the Studio flow tell about a contact, as domain values.

Webhook adapters turn CloudEvents and `/callstatus` bodies into these facts; the disposition
assembler folds them. Every fact has a `key`: two facts with the same key are the same delivery
(Event Streams delivers at least once), so stores deduplicate on it. Facts round-trip through
`encode`/`decode` so that any instance can continue an assembly another one started.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = [
    "TERMINAL_CALL_STATUSES",
    "AmdEvent",
    "CallStatusReport",
    "ContactFact",
    "ContactTimedOut",
    "ReservationAccepted",
    "SettleGraceElapsed",
    "StudioExecutionEvent",
    "StudioStepEvent",
    "TaskCanceled",
    "TaskCreated",
    "TaskFact",
    "VoiceCallEvent",
    "VoiceEventKind",
    "decode",
    "encode",
]

TERMINAL_CALL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


class VoiceEventKind(enum.StrEnum):
    INITIATED = "initiated"
    RINGING = "ringing"
    ANSWERED = "answered"
    COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class VoiceCallEvent:
    """`com.twilio.voice.status-callback.call.*`: matched to a contact by (to, from_)."""

    event_id: str
    kind: VoiceEventKind
    call_sid: str
    call_status: str
    to: str
    from_: str
    sequence_number: int | None = None
    duration_s: int | None = None
    sip_response_code: str = ""
    answered_by: str = ""
    at: float | None = None

    @property
    def key(self) -> str:
        return f"ce:{self.event_id}"


@dataclass(frozen=True, slots=True)
class AmdEvent:
    """`com.twilio.voice.status-callback.amd.detected`: matched by (to, from_)."""

    event_id: str
    call_sid: str
    to: str
    from_: str
    answered_by: str
    at: float | None = None

    @property
    def key(self) -> str:
        return f"ce:{self.event_id}"


@dataclass(frozen=True, slots=True)
class StudioExecutionEvent:
    """`com.twilio.studio.flow.execution.started|ended`: matched by execution SID."""

    event_id: str
    ended: bool
    execution_sid: str
    flow_sid: str
    contact_channel_address: str
    status: str = ""
    ended_reason: str = ""
    at: float | None = None

    @property
    def key(self) -> str:
        return f"ce:{self.event_id}"


@dataclass(frozen=True, slots=True)
class StudioStepEvent:
    """`com.twilio.studio.flow.step.ended`: matched by execution SID.

    `context` is the widget's context when the event carries one (a call widget's holds
    `CallSid`, `CallStatus`, `AnsweredBy`).
    """

    event_id: str
    execution_sid: str
    flow_sid: str
    name: str
    transitioned_from: str = ""
    transitioned_to: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    at: float | None = None

    @property
    def key(self) -> str:
        return f"ce:{self.event_id}"


@dataclass(frozen=True, slots=True)
class CallStatusReport:
    """The Studio flow's `/callstatus` post, already authenticated by its token."""

    execution_sid: str
    campaign_execution_id: str
    record_id: str
    call_sid: str = ""
    call_status: str = ""
    error_code: str = ""
    error_message: str = ""
    at: float | None = None

    @property
    def key(self) -> str:
        return f"cs:{self.execution_sid}:{self.call_sid}:{self.call_status}"


@dataclass(frozen=True, slots=True)
class TaskCreated:
    """`com.twilio.taskrouter.task.created`: TaskRouter made a task for a call (the flow handed
    it to agents). Matched to its contact by `call_sid`, which the task's attributes name;
    `at` is TaskRouter's `timestamp` (milliseconds)."""

    event_id: str
    task_sid: str
    call_sid: str
    at: float | None = None

    @property
    def key(self) -> str:
        return f"ce:{self.event_id}"


@dataclass(frozen=True, slots=True)
class ReservationAccepted:
    """`com.twilio.taskrouter.reservation.accepted`: an agent (`worker_sid`) accepted the call's
    task; `at` is TaskRouter's `timestamp` of the accept (milliseconds), the instant the agent
    took the call. Matched by `call_sid`."""

    event_id: str
    task_sid: str
    call_sid: str
    worker_sid: str = ""
    at: float | None = None

    @property
    def key(self) -> str:
        return f"ce:{self.event_id}"


@dataclass(frozen=True, slots=True)
class TaskCanceled:
    """`com.twilio.taskrouter.task.canceled`: the call's task ended with no agent on it;
    `reason` is TaskRouter's (`hangup`: the person gave up waiting). Matched by `call_sid`."""

    event_id: str
    task_sid: str
    call_sid: str
    reason: str = ""
    at: float | None = None

    @property
    def key(self) -> str:
        return f"ce:{self.event_id}"


TaskFact = TaskCreated | ReservationAccepted | TaskCanceled


@dataclass(frozen=True, slots=True)
class ContactTimedOut:
    """No terminal event came within the contact timeout."""

    at: float

    @property
    def key(self) -> str:
        return "timeout"


@dataclass(frozen=True, slots=True)
class SettleGraceElapsed:
    """The settle grace passed since Studio's `execution.ended` arrived (ADR 0011): what the
    facts tell by now decides, unless the call is still live."""

    at: float

    @property
    def key(self) -> str:
        return "grace"


ContactFact = (
    VoiceCallEvent
    | AmdEvent
    | StudioExecutionEvent
    | StudioStepEvent
    | CallStatusReport
    | TaskCreated
    | ReservationAccepted
    | TaskCanceled
    | ContactTimedOut
    | SettleGraceElapsed
)

_TYPES: dict[str, type[ContactFact]] = {
    cls.__name__: cls
    for cls in (
        VoiceCallEvent,
        AmdEvent,
        StudioExecutionEvent,
        StudioStepEvent,
        CallStatusReport,
        TaskCreated,
        ReservationAccepted,
        TaskCanceled,
        ContactTimedOut,
        SettleGraceElapsed,
    )
}


_FIELDS: dict[type[ContactFact], tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls)) for cls in _TYPES.values()
}
_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True)


def encode(fact: ContactFact) -> str:
    """A compact JSON form of a fact, tagged with its type. (Field values are read as they are,
    not copied as `dataclasses.asdict` would: encoding is on every webhook's path.)"""
    doc = {name: getattr(fact, name) for name in _FIELDS[type(fact)]}
    doc["type"] = type(fact).__name__
    return _ENCODER.encode(doc)


def decode(text: str | bytes) -> ContactFact:
    """The inverse of `encode`; raises `ValueError` for anything else."""
    doc = json.loads(text)
    if not isinstance(doc, dict):
        raise ValueError("an encoded fact is a JSON object")
    cls = _TYPES.get(doc.pop("type", None))
    if cls is None:
        raise ValueError("unknown fact type")
    if cls is VoiceCallEvent:
        doc["kind"] = VoiceEventKind(doc["kind"])
    return cls(**doc)
