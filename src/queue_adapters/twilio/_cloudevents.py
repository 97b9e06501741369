"""Pydantic models of the CloudEvents this service reads from Event Streams.

Only the fields the service uses are modelled; everything else is ignored. Each event model
fixes its `type` values, so that `events.py` can validate a whole batch with one discriminated
union (`KnownEvent`) and fall back on the bare envelope (`CloudEventModel`) for other types.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from queue_adapters.twilio._wire import OptionalInt, Required, Text, WireModel

__all__ = [
    "AmdEventModel",
    "CloudEventModel",
    "ExecutionEventModel",
    "KnownEvent",
    "StepEventModel",
    "TaskRouterEventModel",
    "VoiceEventModel",
]


class CloudEventModel(WireModel):
    """The CloudEvents 1.0 attributes every event must carry."""

    specversion: Required
    id: Required
    type: Required
    source: Required
    time: Text = ""


class _VoiceParameters(WireModel):
    CallSid: Required
    CallStatus: Required
    To: Required
    From: Required
    CallDuration: OptionalInt = None
    SequenceNumber: OptionalInt = None
    SipResponseCode: Text = ""
    AnsweredBy: Text = ""
    Timestamp: Text = ""


class _VoiceRequest(WireModel):
    parameters: _VoiceParameters


class _VoiceData(WireModel):
    request: _VoiceRequest
    timestamp: Text = ""


class VoiceEventModel(CloudEventModel):
    type: Literal[
        "com.twilio.voice.status-callback.call.initiated",
        "com.twilio.voice.status-callback.call.ringing",
        "com.twilio.voice.status-callback.call.answered",
        "com.twilio.voice.status-callback.call.completed",
    ]
    data: _VoiceData


class _AmdParameters(WireModel):
    CallSid: Required
    To: Required
    From: Required
    AnsweredBy: Required
    Timestamp: Text = ""


class _AmdRequest(WireModel):
    parameters: _AmdParameters


class _AmdData(WireModel):
    request: _AmdRequest
    timestamp: Text = ""


class AmdEventModel(CloudEventModel):
    type: Literal["com.twilio.voice.status-callback.amd.detected"]
    data: _AmdData


class _ExecutionData(WireModel):
    execution_sid: Required
    flow_sid: Required
    contact_channel_address: Required
    status: Text = ""
    ended_reason: Text = ""
    date_created: Text = ""
    date_updated: Text = ""


class ExecutionEventModel(CloudEventModel):
    type: Literal[
        "com.twilio.studio.flow.execution.started", "com.twilio.studio.flow.execution.ended"
    ]
    data: _ExecutionData


class _StepData(WireModel):
    execution_sid: Required
    flow_sid: Required
    name: Text = ""
    transitioned_from: Text = ""
    transitioned_to: Text = ""
    context: dict[str, Any] | str | None = None
    date_created: Text = ""
    date_updated: Text = ""


class StepEventModel(CloudEventModel):
    type: Literal["com.twilio.studio.flow.step.ended"]
    data: _StepData


class TaskRouterEventModel(CloudEventModel):
    """Only the envelope is checked: what `data` holds is read by `_taskrouter`, which counts
    and ignores an event it cannot use rather than refusing the batch."""

    type: Literal[
        "com.twilio.taskrouter.task.created",
        "com.twilio.taskrouter.task.canceled",
        "com.twilio.taskrouter.task.completed",
        "com.twilio.taskrouter.reservation.accepted",
    ]
    data: Any = None


KnownEvent = Annotated[
    VoiceEventModel | AmdEventModel | ExecutionEventModel | StepEventModel | TaskRouterEventModel,
    Field(discriminator="type"),
]
"""An event of a type the service reads, chosen by its `type` without trying the others."""
