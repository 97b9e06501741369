"""The flow's Make HTTP Request widget: a form post of the call's outcome to `callstatus_url`.

The fields echo the launch `Parameters` (`campaign_execution_id`, `record_id`,
`callstatus_token`) and the call widget's variables. Like Studio, the post carries an
`X-Twilio-Signature` (form scheme) and must get a 2xx; the emulator tries
`callstatus_max_attempts` times before the flow moves on.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx

from twilio_emulator.playout import CallPlan
from twilio_emulator.resources import Execution
from twilio_emulator.signing import sign_form

if TYPE_CHECKING:
    from twilio_emulator.state import EmulatorState

__all__ = ["callstatus_fields", "post_callstatus", "wants_callstatus"]

_RETRY_PAUSE_S = 0.05


def wants_callstatus(state: EmulatorState, execution: Execution, plan: CallPlan) -> bool:
    """Whether the flow posts for this call: a `callstatus_url` and the `callstatus_on` rule."""
    url = execution.parameters.get("callstatus_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return False
    rule = state.config.callstatus_on
    return rule == "all" or (rule == "failed" and plan.final_status == "failed")


def callstatus_fields(execution: Execution, plan: CallPlan) -> dict[str, str]:
    params = execution.parameters
    return {
        "execution_sid": execution.sid,
        "campaign_execution_id": str(params.get("campaign_execution_id", "")),
        "record_id": str(params.get("record_id", "")),
        "callstatus_token": str(params.get("callstatus_token", "")),
        "call_sid": execution.call_sid,
        "call_status": plan.final_status,
        "error_code": plan.error_code,
        "error_message": plan.error_message,
    }


async def post_callstatus(state: EmulatorState, url: str, fields: dict[str, str]) -> bool:
    """Post `fields` to `url`, retried on a non-2xx answer or a connection error."""
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
