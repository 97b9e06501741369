"""Forged and genuine webhooks for the contacts of a `HostileStack`: the events that settle a
contact, and deliveries and posts carrying every kind of bad signature or token."""

from __future__ import annotations

import json
from typing import Any

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from queue_core.domain.tokens import CallstatusTokens
from tests.reliability.hostile_stack import EXECUTION, HostileStack
from tests.reliability.signed_events import InFlight, execution_ended, signed_batch, voice_event
from tests.system.campaign import phone

__all__ = [
    "callstatus_fields",
    "finishing",
    "forged_callstatus",
    "forged_deliveries",
    "genuine_token",
    "launch_of",
    "record_id",
]


def record_id(contact: InFlight) -> str:
    return next(f"r-{n:04d}" for n in range(100) if phone(n) == contact.to)


def launch_of(stack: HostileStack, contact: InFlight) -> str:
    """The launch (claim id) of a contact in flight, as the service stored it."""
    attempts: Any = stack.store.hgetall(f"queue:attempts:{{{EXECUTION}}}")
    return next(
        claim
        for claim, attempt in attempts.items()
        if json.loads(attempt)["execution_sid"] == contact.execution_sid
    )


def genuine_token(stack: HostileStack, contact: InFlight, launch: str | None = None) -> str:
    """The callstatus token of the contact's launch (or of another `launch` of its record)."""
    tokens = CallstatusTokens(stack.callstatus_secret.encode())
    return tokens.issue(EXECUTION, record_id(contact), launch or launch_of(stack, contact))


def finishing(contact: InFlight, prefix: str, *, wall: float | None = None) -> list[dict[str, Any]]:
    """The events that settle a contact: its call completed, then its execution ended (at
    `wall`, unix seconds; now when None)."""
    completed = voice_event(
        f"{prefix}-completed",
        contact,
        "completed",
        sequence=9,
        duration_s=30,
        answered_by="human",
        wall=wall,
    )
    return [completed, execution_ended(f"{prefix}-ended", contact, wall=wall)]


def callstatus_fields(stack: HostileStack, contact: InFlight, token: str | None) -> dict[str, str]:
    fields = {
        "execution_sid": contact.execution_sid,
        "campaign_execution_id": EXECUTION,
        "record_id": record_id(contact),
        "call_sid": contact.call_sid,
        "call_status": "completed",
    }
    return fields if token is None else {**fields, "callstatus_token": token}


def forged_deliveries(stack: HostileStack, contact: InFlight) -> dict[str, dict[str, Any]]:
    """Event Streams deliveries that settle `contact` if believed, none signed right."""
    destination = f"{stack.url}/eventstreams"
    events = finishing(contact, "forged")
    url, body, headers = signed_batch(destination, events, stack.auth_token)
    other = json.dumps(finishing(contact, "tampered")).encode()
    plain_signature = RequestValidator(stack.auth_token).compute_signature(destination, {})
    wrong_url, _, wrong_headers = signed_batch(destination, events, "not-the-auth-token")
    elsewhere, _, elsewhere_headers = signed_batch(
        "http://attacker.invalid/eventstreams", events, stack.auth_token
    )
    json_type = {"Content-Type": "application/json"}
    return {
        "unsigned": {"url": destination, "content": body, "headers": json_type},
        "signature header missing": {"url": url, "content": body, "headers": json_type},
        "another auth token": {"url": wrong_url, "content": body, "headers": wrong_headers},
        "body tampered": {"url": url, "content": other, "headers": headers},
        "no bodySHA256": {
            "url": destination,
            "content": body,
            "headers": {**json_type, "X-Twilio-Signature": plain_signature},
        },
        "signed for another host": {
            "url": destination + "?" + elsewhere.split("?", 1)[1],
            "content": body,
            "headers": elsewhere_headers,
        },
        "query changed": {"url": url + "&extra=1", "content": body, "headers": headers},
        "garbled signature": {
            "url": url,
            "content": body,
            "headers": {**json_type, "X-Twilio-Signature": "!!not base64!!"},
        },
    }


def forged_callstatus(stack: HostileStack, contact: InFlight) -> dict[str, dict[str, Any]]:
    """`/callstatus` posts for `contact`, none with its token."""
    tokens = CallstatusTokens(stack.callstatus_secret.encode())
    other_secret = CallstatusTokens(b"another secret")
    record = record_id(contact)
    launch = launch_of(stack, contact)
    mac = genuine_token(stack, contact).split(".", 1)[1]
    return {
        "made-up token (form)": {"data": callstatus_fields(stack, contact, "00" * 32)},
        "made-up token (JSON)": {"json": callstatus_fields(stack, contact, "00" * 32)},
        "another record's token": {
            "data": callstatus_fields(stack, contact, tokens.issue(EXECUTION, record + "x", launch))
        },
        "token under another secret": {
            "json": callstatus_fields(stack, contact, other_secret.issue(EXECUTION, record, launch))
        },
        "its token moved to another launch": {
            "data": callstatus_fields(stack, contact, f"{int(launch) + 1}.{mac}")
        },
        "its token without its launch": {"json": callstatus_fields(stack, contact, mac)},
        "token missing": {"data": callstatus_fields(stack, contact, None)},
        "token empty": {"json": callstatus_fields(stack, contact, "")},
    }
