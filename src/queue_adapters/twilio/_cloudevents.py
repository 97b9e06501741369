"""Pydantic models of the CloudEvents this service reads from Event Streams.

Only the fields the service uses are modelled; everything else is ignored.
"""

from __future__ import annotations

from typing import Any

from queue_adapters.twilio._wire import OptionalInt, Required, Text, WireModel

__all__ = [
    "AmdEventModel",
    "CloudEventModel",
    "ExecutionEventModel",
    "StepEventModel",
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
    data: _StepData
