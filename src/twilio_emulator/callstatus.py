"""The flow's Make HTTP Request widget: a form post of the call's outcome to `callstatus_url`.

The fields echo the launch `Parameters` (`campaign_execution_id`, `record_id`,
`callstatus_token`) and the call widget's variables (`call_sid` per `callstatus_call_sid`).
Like Studio, the post carries an `X-Twilio-Signature` (form scheme) and must get a 2xx; the
emulator tries `callstatus_max_attempts` times before the flow moves on, and repeats a post
that got its 2xx at `callstatus_duplicate_probability`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx

from twilio_emulator.config import EmulatorConfig
from twilio_emulator.playout import CallPlan
from twilio_emulator.resources import Execution
from twilio_emulator.signing import sign_form
from twilio_emulator.sources import callstatus_wanted

if TYPE_CHECKING:
    from twilio_emulator.state import EmulatorState

__all__ = ["callstatus_fields", "post_callstatus", "wants_callstatus"]

_RETRY_PAUSE_S = 0.05


def wants_callstatus(state: EmulatorState, execution: Execution, plan: CallPlan) -> bool:
    """Whether the flow posts for this call: a `callstatus_url` and the `callstatus_on` rule."""
    url = execution.parameters.get("callstatus_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return False
    return callstatus_wanted(state.config, plan)


def callstatus_fields(
    execution: Execution, plan: CallPlan, config: EmulatorConfig
) -> dict[str, str]:
    params = execution.parameters
    fields = {
        "execution_sid": execution.sid,
        "campaign_execution_id": str(params.get("campaign_execution_id", "")),
        "record_id": str(params.get("record_id", "")),
        "callstatus_token": str(params.get("callstatus_token", "")),
        "call_sid": execution.call_sid if config.callstatus_call_sid == "sent" else "",
        "call_status": plan.final_status,
        "error_code": plan.error_code,
        "error_message": plan.error_message,
    }
    if config.callstatus_call_sid == "omitted":
        del fields["call_sid"]
    return fields


async def post_callstatus(state: EmulatorState, url: str, fields: dict[str, str]) -> bool:
    """Post `fields` to `url` (retried on a non-2xx answer or a connection error), and maybe
    once more after its 2xx, per `callstatus_duplicate_probability`."""
    delivered = await _post(state, url, fields)
    if delivered and state.delivery_rng.random() < state.config.callstatus_duplicate_probability:
        state.counters["callstatus_duplicates"] += 1
        await _post(state, url, fields)
    return delivered


async def _post(state: EmulatorState, url: str, fields: dict[str, str]) -> bool:
    assert state.http is not None, "the emulator was not started"
    for attempt in range(state.config.callstatus_max_attempts):
        headers = {"X-Twilio-Signature": sign_form(url, fields, state.config.auth_token)}
        state.counters["callstatus_attempts"] += 1
        try:
            answer = await state.http.post(url, data=fields, headers=headers, timeout=10.0)
            if 200 <= answer.status_code < 300:
                state.counters["callstatus_delivered"] += 1
                return True
        except httpx.HTTPError:
            pass
        if attempt + 1 < state.config.callstatus_max_attempts:
            await asyncio.sleep(_RETRY_PAUSE_S * 2**attempt)
    state.counters["callstatus_given_up"] += 1
    return False
