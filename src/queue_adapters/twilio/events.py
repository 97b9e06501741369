"""Event Streams webhook bodies -> domain facts.

A body is a JSON array of CloudEvents 1.0 (a single object is accepted too). The contract's
event types become `queue_core.domain.facts` values; other types (including the deprecated
`com.twilio.voice.webhook.status-callback.*` names) are counted and ignored. Anything
malformed raises `InvalidWebhook` naming the event (its index in the array) and the field,
except what a TaskRouter event carries past its envelope: one the service cannot use is
counted and ignored (`_taskrouter`).

A body is read twice at most. First, in one pass, pydantic parses the JSON and validates the
whole array against the known event models (a discriminated union on `type`), or the bare
envelope for other types: no Python dicts of the JSON first, each event validated once. Anything
that pass rejects, and any body it cannot take as it is (a single object, a JSON text that only
Python's `json` reads, such as UTF-16 or lone surrogates), is read again event by event with
`json.loads`; that second reading decides, and names the first problem.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from queue_adapters.twilio._cloudevents import (
    AmdEventModel,
    CloudEventModel,
    ExecutionEventModel,
    KnownEvent,
    StepEventModel,
    TaskRouterEventModel,
    VoiceEventModel,
)
from queue_adapters.twilio._taskrouter import TASK_TYPES, task_fact
from queue_adapters.twilio._wire import describe, finer_seconds, unix_seconds
from queue_core.domain.bounds import load_json
from queue_core.domain.errors import ContractViolation, InvalidWebhook
from queue_core.domain.facts import (
    AmdEvent,
    StudioExecutionEvent,
    StudioStepEvent,
    TaskFact,
    VoiceCallEvent,
    VoiceEventKind,
)

__all__ = ["ParsedBatch", "WebhookFact", "parse_event_batch"]

WebhookFact = VoiceCallEvent | AmdEvent | StudioExecutionEvent | StudioStepEvent | TaskFact

_VOICE = "com.twilio.voice.status-callback.call."
_AMD = "com.twilio.voice.status-callback.amd.detected"
_EXECUTION_STARTED = "com.twilio.studio.flow.execution.started"
_EXECUTION_ENDED = "com.twilio.studio.flow.execution.ended"
_STEP_ENDED = "com.twilio.studio.flow.step.ended"
_VOICE_KINDS = {f"{_VOICE}{kind.value}": kind for kind in VoiceEventKind}
_MAX_TYPE_LENGTH = 128
_MAX_CONTEXT_DEPTH = 32
# A batch nests about 5 levels (array, event, data, request, parameters) and a step's context
# a few more. A body that nests deeper than this is refused before `json.loads` recurses into
# it (ADR 0012); up to it, a deep context is dropped as the one-pass reading drops it (its own
# parser stops at about 200 levels).
MAX_BODY_DEPTH = 256
_M = TypeVar("_M", bound=BaseModel)
_KNOWN_TYPES = frozenset(
    [*_VOICE_KINDS, _AMD, _EXECUTION_STARTED, _EXECUTION_ENDED, _STEP_ENDED, *TASK_TYPES]
)
# An event of a known type that fails its model passes as a bare envelope here: the union is
# tried left to right, and such an envelope sends the body to the event-by-event reading.
_BATCH: TypeAdapter[list[Any]] = TypeAdapter(
    list[Annotated[KnownEvent | CloudEventModel, Field(union_mode="left_to_right")]]
)


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """The facts of one webhook body, in body order, the ignored types with their counts, and
    the TaskRouter events of known types that were ignored, as `<type>:<why>` with counts."""

    facts: list[WebhookFact] = field(default_factory=list)
    unknown_types: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)

    def add_task(self, event: TaskRouterEventModel) -> None:
        fact = task_fact(event)
        if isinstance(fact, str):
            self.ignored[f"{event.type}:{fact}"] += 1
        else:
            self.facts.append(fact)


def parse_event_batch(raw_body: bytes) -> ParsedBatch:
    """Parse an Event Streams body; raise `InvalidWebhook` if it or any event is malformed."""
    batch = _parse_in_one_pass(raw_body)
    return batch if batch is not None else _parse_event_by_event(raw_body)


def _parse_in_one_pass(raw_body: bytes) -> ParsedBatch | None:
    """The batch, or None when the body needs the event-by-event reading (see the module)."""
    try:
        events = _BATCH.validate_json(raw_body)
    except ValidationError:
        return None
    batch = ParsedBatch()
    for event in events:
        if isinstance(event, VoiceEventModel):
            batch.facts.append(_voice(event, _VOICE_KINDS[event.type]))
        elif isinstance(event, ExecutionEventModel):
            batch.facts.append(_execution(event, event.type == _EXECUTION_ENDED))
        elif isinstance(event, AmdEventModel):
            batch.facts.append(_amd(event))
        elif isinstance(event, StepEventModel):
            batch.facts.append(_step(event))
        elif isinstance(event, TaskRouterEventModel):
            if not _finite(event.data):
                return None  # `NaN` or `Infinity`: only the JSON reading may tell which
            batch.add_task(event)
        elif event.type in _KNOWN_TYPES:
            return None
        else:
            batch.unknown_types[event.type[:_MAX_TYPE_LENGTH]] += 1
    return batch


def _parse_event_by_event(raw_body: bytes) -> ParsedBatch:
    try:
        doc = load_json(raw_body, max_chars=len(raw_body), max_depth=MAX_BODY_DEPTH)
    except ContractViolation as exc:
        raise InvalidWebhook(f"body is not JSON: {exc}") from None
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list):
        raise InvalidWebhook("body must be a JSON array of CloudEvents or one CloudEvent")
    batch = ParsedBatch()
    for index, event in enumerate(doc):
        fact = _parse_event(index, event, batch)
        if fact is not None:
            batch.facts.append(fact)
    return batch


def _parse_event(index: int, event: Any, batch: ParsedBatch) -> WebhookFact | None:
    if not isinstance(event, dict):
        raise InvalidWebhook(f"event {index}: must be a JSON object")
    envelope = _validate(index, CloudEventModel, event)
    kind = envelope.type
    if kind in _VOICE_KINDS:
        return _voice(_validate(index, VoiceEventModel, event), _VOICE_KINDS[kind])
    if kind == _AMD:
        return _amd(_validate(index, AmdEventModel, event))
    if kind in (_EXECUTION_STARTED, _EXECUTION_ENDED):
        return _execution(_validate(index, ExecutionEventModel, event), kind == _EXECUTION_ENDED)
    if kind == _STEP_ENDED:
        return _step(_validate(index, StepEventModel, event))
    if kind in TASK_TYPES:
        batch.add_task(_validate(index, TaskRouterEventModel, event))
        return None
    batch.unknown_types[kind[:_MAX_TYPE_LENGTH]] += 1
    return None


def _validate(index: int, model: type[_M], event: dict[str, Any]) -> _M:
    try:
        return model.model_validate(event)
    except ValidationError as exc:
        raise InvalidWebhook(f"event {index}: {describe(exc)}") from None


def _voice(event: VoiceEventModel, kind: VoiceEventKind) -> VoiceCallEvent:
    params = event.data.request.parameters
    return VoiceCallEvent(
        event_id=event.id,
        kind=kind,
        call_sid=params.CallSid,
        call_status=params.CallStatus,
        to=params.To,
        from_=params.From,
        sequence_number=params.SequenceNumber,
        duration_s=params.CallDuration,
        sip_response_code=params.SipResponseCode,
        answered_by=params.AnsweredBy,
        at=finer_seconds(params.Timestamp, event.data.timestamp, event.time),
    )


def _amd(event: AmdEventModel) -> AmdEvent:
    params = event.data.request.parameters
    return AmdEvent(
        event_id=event.id,
        call_sid=params.CallSid,
        to=params.To,
        from_=params.From,
        answered_by=params.AnsweredBy,
        at=finer_seconds(params.Timestamp, event.data.timestamp, event.time),
    )


def _execution(event: ExecutionEventModel, ended: bool) -> StudioExecutionEvent:
    data = event.data
    changed = data.date_updated if ended else data.date_created
    return StudioExecutionEvent(
        event_id=event.id,
        ended=ended,
        execution_sid=data.execution_sid,
        flow_sid=data.flow_sid,
        contact_channel_address=data.contact_channel_address,
        status=data.status,
        ended_reason=data.ended_reason,
        at=unix_seconds(event.time, changed, data.date_updated, data.date_created),
    )


def _step(event: StepEventModel) -> StudioStepEvent:
    data = event.data
    return StudioStepEvent(
        event_id=event.id,
        execution_sid=data.execution_sid,
        flow_sid=data.flow_sid,
        name=data.name,
        transitioned_from=data.transitioned_from,
        transitioned_to=data.transitioned_to,
        context=_context(data.context),
        at=unix_seconds(event.time, data.date_updated, data.date_created),
    )


def _context(value: dict[str, Any] | str | None) -> dict[str, Any]:
    """The step's context; a JSON-encoded object is decoded, anything else is dropped, and so
    is a context nested deeper than `_MAX_CONTEXT_DEPTH`: encoding the fact for the store
    recurses through it, and a deep one would overflow the recursion limit (a 500 for the
    whole batch)."""
    if isinstance(value, str):
        try:
            decoded = load_json(value, max_chars=len(value), max_depth=_MAX_CONTEXT_DEPTH)
        except ContractViolation:
            return {}
        value = decoded if isinstance(decoded, dict) else None
    if not isinstance(value, dict) or _deeper_than(value, _MAX_CONTEXT_DEPTH):
        return {}
    return value


def _finite(value: Any) -> bool:
    """No float in `value` is infinite or NaN (without recursing)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest more than `limit` levels deep (without recursing)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            pending.extend((child, depth + 1) for child in children)
    return False
