"""The Studio flow's `/callstatus` post -> a `CallStatusReport` and the token to check.

The flow's Make HTTP Request widget posts form-encoded or JSON fields. The token is returned
beside the report, not checked here: the route checks it with `CallstatusTokens.verify`
(see `token_is_valid`) unless checks are turned off.
"""

from __future__ import annotations

from typing import Annotated, Any, NamedTuple
from urllib.parse import parse_qsl

from pydantic import StringConstraints, ValidationError

from queue_adapters.twilio._wire import Required, Text, WireModel, describe
from queue_core.domain.bounds import load_json
from queue_core.domain.errors import ContractViolation, InvalidWebhook
from queue_core.domain.facts import CallStatusReport
from queue_core.domain.tokens import CallstatusTokens

_MAX_DEPTH = 8

__all__ = ["CallStatusPost", "parse_callstatus", "token_is_valid"]

_MAX_FIELDS = 64
_FORM = "application/x-www-form-urlencoded"


class _CallStatusModel(WireModel):
    """The Studio flow's `/callstatus` post."""

    execution_sid: Annotated[str, StringConstraints(pattern=r"^FN[0-9a-fA-F]{32}$")]
    campaign_execution_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]
    record_id: Required
    # Missing or empty is not malformed: it is a bad token, refused by the token check (403).
    callstatus_token: Text = ""
    call_sid: Text = ""
    call_status: Text = ""
    error_code: Text = ""
    error_message: Text = ""


class CallStatusPost(NamedTuple):
    """A parsed `/callstatus` body: the report and the `callstatus_token` it carried."""

    report: CallStatusReport
    token: str


def parse_callstatus(
    content_type: str | None, raw_body: bytes, *, received_at: float | None = None
) -> CallStatusPost:
    """Parse a form or JSON body; raise `InvalidWebhook` naming what is wrong.

    `received_at` (unix seconds, passed in by the caller) becomes the report's `at`.
    """
    fields = _fields(content_type, raw_body)
    try:
        post = _CallStatusModel.model_validate(fields)
    except ValidationError as exc:
        raise InvalidWebhook(f"callstatus: {describe(exc)}") from None
    report = CallStatusReport(
        execution_sid=post.execution_sid,
        campaign_execution_id=post.campaign_execution_id,
        record_id=post.record_id,
        call_sid=post.call_sid,
        call_status=post.call_status,
        error_code=post.error_code,
        error_message=post.error_message,
        at=received_at,
    )
    return CallStatusPost(report=report, token=post.callstatus_token)


def token_is_valid(tokens: CallstatusTokens, post: CallStatusPost) -> bool:
    """True when the post's token is the one issued for its execution and record."""
    report = post.report
    return tokens.verify(report.campaign_execution_id, report.record_id, post.token)


def _fields(content_type: str | None, raw_body: bytes) -> dict[str, Any]:
    media = (content_type or "").split(";")[0].strip().lower()
    try:
        text = raw_body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidWebhook("callstatus: body is not UTF-8") from None
    if not media:
        media = "application/json" if text.lstrip().startswith("{") else _FORM
    if media == _FORM:
        return _form(text)
    if media == "application/json" or media.endswith("+json"):
        try:  # a flat object: a deeper one is refused before it is parsed (ADR 0012)
            doc = load_json(text, max_chars=len(text), max_depth=_MAX_DEPTH)
        except ContractViolation as exc:
            raise InvalidWebhook(f"callstatus: body is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise InvalidWebhook("callstatus: body must be a JSON object")
        return doc
    raise InvalidWebhook(f"callstatus: unsupported content type {media[:64]!r}")


def _form(text: str) -> dict[str, Any]:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except ValueError as exc:
        raise InvalidWebhook(f"callstatus: form body is malformed: {exc}") from None
    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name in fields:
            raise InvalidWebhook(f"callstatus: field '{name[:64]}' is given more than once")
        fields[name] = value
    return fields
