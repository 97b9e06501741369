"""Studio v2 Executions: create (rate limits, one active execution per To/From), list, fetch,
end, and the execution's context.

Creating an execution for a (To, From) pair that already has an active one answers
409 with code 20409 ("Conflict"): Twilio documents the rule but not its error, so this one is
the emulator's choice.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from twilio_emulator._answers import dropped_answer
from twilio_emulator._endpoint import chance, form_of, rate_limited, twilio_endpoint
from twilio_emulator._paging import PageError, paginate
from twilio_emulator._wire import parse_iso, twilio_error
from twilio_emulator.flow import start_flow
from twilio_emulator.resources import Execution, execution_json
from twilio_emulator.state import EmulatorState

__all__ = ["studio_routes"]

_FLOW_SID = re.compile(r"^FW[0-9a-fA-F]{32}$")
_BASE = "/v2/Flows/{flow_sid}/Executions"


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _not_found(request: Request) -> Response:
    return twilio_error(404, 20404, f"The requested resource {request.url.path} was not found")


def _bad_request(message: str) -> Response:
    return twilio_error(400, 20001, message)


def _execution(request: Request, state: EmulatorState) -> Execution | None:
    execution = state.executions.get(request.path_params["sid"])
    if execution is None or execution.flow_sid != request.path_params["flow_sid"]:
        return None
    return execution


def _refusal(state: EmulatorState, now: float) -> str | None:
    """Why a creation at monotonic `now` is over a rate limit, or None."""
    if state.launches.count_within(now, 1.0) >= state.config.studio_executions_per_s:
        return "studio_limit"
    if state.config.cps_mode == "reject":
        limit, window = state.config.cps_window
        if state.launches.count_within(now, window) >= limit:
            return "cps"
    return None


@twilio_endpoint(creates=True)
async def create_execution(request: Request, state: EmulatorState) -> Response:
    # Twilio counts a create when it arrives: the kernel's receive time where the listening
    # socket notes it, else the time before the body is read, so that other work of this
    # process's loop does not move it.
    arrived = state.arrivals.latest(request.scope.get("client"))
    now = time.monotonic() if arrived is None else arrived
    flow_sid = request.path_params["flow_sid"]
    if not _FLOW_SID.match(flow_sid):
        return _not_found(request)
    form = await form_of(request)
    to, from_ = str(form.get("To") or ""), str(form.get("From") or "")
    for name, value in (("To", to), ("From", from_)):
        if not value:
            return _bad_request(f"Missing required parameter {name} in the post body")
    try:
        parameters = json.loads(str(form.get("Parameters") or "{}"))
    except json.JSONDecodeError:
        parameters = None
    if not isinstance(parameters, dict):
        return _bad_request("Parameters must be a JSON object")
    refusal = _refusal(state, now)
    if refusal is not None:
        return rate_limited(state, refusal)
    if (to, from_) in state.active_pairs:
        state.counters["answered_409"] += 1
        return twilio_error(
            409, 20409, f"Conflict: an Execution is already active for To {to} and From {from_}"
        )
    execution = state.create_execution(flow_sid, to, from_, parameters, now)
    start_flow(state, execution)
    body = execution_json(execution, _base_url(request))
    drop = state.faults.drop_next_creates > 0
    if drop:
        state.faults.drop_next_creates -= 1
    if drop or chance(state, state.config.drop_after_create_probability):
        state.counters["dropped_answers"] += 1
        return dropped_answer(state.config.drop_mode, body)
    return JSONResponse(body, status_code=201)


def _created_filter(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    return None if raw is None else parse_iso(raw)


@twilio_endpoint()
async def list_executions(request: Request, state: EmulatorState) -> Response:
    flow_sid = request.path_params["flow_sid"]
    if not _FLOW_SID.match(flow_sid):
        return _not_found(request)
    try:
        since = _created_filter(request, "DateCreatedFrom")
        until = _created_filter(request, "DateCreatedTo")
    except ValueError:
        return _bad_request("DateCreatedFrom and DateCreatedTo must be ISO 8601 date-times")
    status = request.query_params.get("status") or request.query_params.get("Status")
    # Twilio lists the newest first.
    found = [
        e
        for e in reversed(state.executions.values())
        if e.flow_sid == flow_sid
        and (since is None or e.created_wall >= since)
        and (until is None or e.created_wall < until)
        and (status is None or e.status == status)
    ]
    try:
        page, meta = paginate(request, found, "executions")
    except PageError as exc:
        return _bad_request(str(exc))
    base = _base_url(request)
    return JSONResponse({"executions": [execution_json(e, base) for e in page], "meta": meta})


@twilio_endpoint()
async def fetch_execution(request: Request, state: EmulatorState) -> Response:
    execution = _execution(request, state)
    if execution is None:
        return _not_found(request)
    return JSONResponse(execution_json(execution, _base_url(request)))


@twilio_endpoint()
async def update_execution(request: Request, state: EmulatorState) -> Response:
    execution = _execution(request, state)
    if execution is None:
        return _not_found(request)
    form = await form_of(request)
    if form.get("Status") != "ended":
        return _bad_request("Status must be 'ended'")
    flow = state.flows.get(execution.sid)
    if flow is not None:
        flow.end_by_api()
    elif execution.active:
        state.end_execution(execution, "API")
    return JSONResponse(execution_json(execution, _base_url(request)))


@twilio_endpoint()
async def fetch_context(request: Request, state: EmulatorState) -> Response:
    execution = state.executions.get(request.path_params["execution_sid"])
    if execution is None or execution.flow_sid != request.path_params["flow_sid"]:
        return _not_found(request)
    context: dict[str, Any] = {
        "flow": {
            "flow_sid": execution.flow_sid,
            "sid": execution.sid,
            "channel": {"address": execution.from_},
            "data": execution.parameters,
        },
        "contact": {"channel": {"address": execution.to}},
    }
    return JSONResponse(
        {
            "account_sid": execution.account_sid,
            "context": context,
            "execution_sid": execution.sid,
            "flow_sid": execution.flow_sid,
            "url": f"{_base_url(request)}{execution.path()}/Context",
        }
    )


def studio_routes() -> list[Route]:
    return [
        Route(_BASE, create_execution, methods=["POST"]),
        Route(_BASE, list_executions, methods=["GET"]),
        Route(_BASE + "/{sid}", fetch_execution, methods=["GET"]),
        Route(_BASE + "/{sid}", update_execution, methods=["POST"]),
        Route("/v2/Flows/{flow_sid}/Executions/{execution_sid}/Context", fetch_context),
    ]
