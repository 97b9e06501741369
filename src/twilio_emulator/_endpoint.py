"""What every Twilio route does around its handler: count, authenticate, inject faults.

Order: Basic auth (401/20003), then the faults of the route's scope (a forced 429 storm,
then 5xx answers, neither processed), then the handler, then the answer delay.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hmac
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from urllib.parse import parse_qsl

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from twilio_emulator._wire import twilio_error
from twilio_emulator.config import EmulatorConfig
from twilio_emulator.state import EmulatorState

__all__ = ["Handler", "chance", "form_of", "rate_limited", "state_of", "twilio_endpoint"]

Handler = Callable[[Request, EmulatorState], Awaitable[Response]]


def state_of(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


async def form_of(request: Request) -> FormData:
    """The urlencoded form body Twilio's API takes (repeated keys kept, in order)."""
    text = (await request.body()).decode("utf-8", "replace")
    fields: list[tuple[str, str | UploadFile]] = []
    fields.extend(parse_qsl(text, keep_blank_values=True))
    return FormData(fields)


def _authenticated(request: Request, config: EmulatorConfig) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    if user == config.account_sid:
        expected = config.auth_token
    elif user in config.api_keys:
        expected = config.api_keys[user]
    else:
        return False
    return hmac.compare_digest(password.encode(), expected.encode())


def rate_limited(state: EmulatorState, reason: str) -> Response:
    """429 with Twilio's 20429 body, and `Retry-After` when the setting asks for it."""
    state.counters["answered_429"] += 1
    state.counters[f"answered_429_{reason}"] += 1
    headers = None
    if state.config.retry_after_s is not None:
        headers = {"Retry-After": f"{state.config.retry_after_s:g}"}
    return twilio_error(429, 20429, "Too Many Requests", headers=headers)


def chance(state: EmulatorState, probability: float) -> bool:
    # No draw at probability 0: SIDs stay the same whether or not faults are configured.
    return probability > 0 and state.fault_rng.random() < probability


def _injected_fault(state: EmulatorState) -> Response | None:
    if time.monotonic() < state.faults.force_429_until:
        return rate_limited(state, "forced")
    fail = state.faults.fail_next > 0
    if fail:
        state.faults.fail_next -= 1
    elif not chance(state, state.config.error_5xx_probability):
        return None
    status = state.config.error_5xx_status
    state.counters["answered_5xx"] += 1
    return twilio_error(status, 20000 + status, f"{HTTPStatus(status).phrase} (emulated fault)")


Endpoint = Callable[[Request], Awaitable[Response]]


def twilio_endpoint(*, creates: bool = False) -> Callable[[Handler], Endpoint]:
    """Wrap a handler as a Twilio route; `creates` puts it in the "create" fault scope."""

    def wrap(handler: Handler) -> Endpoint:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            state = state_of(request)
            state.counters["requests"] += 1
            if not _authenticated(request, state.config):
                state.counters["answered_401"] += 1
                challenge = {"WWW-Authenticate": 'Basic realm="Twilio API"'}
                return twilio_error(401, 20003, "Authenticate", headers=challenge)
            in_scope = creates or state.config.fault_scope == "all"
            fault = _injected_fault(state) if in_scope else None
            response = fault or await handler(request, state)
            if in_scope and state.config.response_delay_s > 0:
                await asyncio.sleep(state.config.response_delay_s)
            return response

        return endpoint

    return wrap
