"""The emulator's own routes, under `/_emulator/` and without auth: stats, settings, faults,
OpenAPI violations, reset, and the call centre's agents (`twilio_emulator._callcentre_admin`).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from twilio_emulator._callcentre_admin import agents_route, call_fields, callcentre_view
from twilio_emulator._endpoint import state_of
from twilio_emulator._wire import iso_millis
from twilio_emulator.config import config_as_dict, updated_config
from twilio_emulator.resources import Execution
from twilio_emulator.state import EmulatorState

__all__ = ["admin_routes", "apply_settings", "stats"]

# Keys of POST /_emulator/config that arm one-shot faults rather than change a setting.
_FAULT_KEYS = ("force_429_for_s", "force_429_until", "fail_next", "drop_next_creates")


def _execution_entry(state: EmulatorState, e: Execution) -> dict[str, Any]:
    """One execution in the stats, with what the call centre did with its call."""
    return {
        "sid": e.sid,
        "flow_sid": e.flow_sid,
        "to": e.to,
        "from": e.from_,
        "status": e.status,
        "outcome": e.outcome,
        "call_sid": e.call_sid,
        "call_status": e.call_status,
        "created_monotonic": e.created_monotonic,
        "created_wall": e.created_wall,
        "created_at": iso_millis(e.created_wall),
        "call_at_monotonic": e.call_at_monotonic,
        "updated_wall": e.updated_wall,
        **call_fields(state, e.sid),
    }


def stats(state: EmulatorState) -> dict[str, Any]:
    """Counts and launch timings; `GET /_emulator/stats` answers this."""
    counters = dict(state.counters)
    executions = [_execution_entry(state, e) for e in state.executions.values()]
    per_second = Counter(str(int(e.created_wall)) for e in state.executions.values())
    return {
        "executions_created": counters.get("executions_created", 0),
        "executions_active": len(state.active_pairs),
        "executions": executions,
        "max_launches_in_1s": state.launches.max_in_window(1.0),
        "max_calls_placed_in_1s": state.calls.max_in_window(1.0),
        "launches_per_wall_second": dict(sorted(per_second.items())),
        "answered_429": counters.get("answered_429", 0),
        "answered_409": counters.get("answered_409", 0),
        "answered_5xx": counters.get("answered_5xx", 0),
        "answered_401": counters.get("answered_401", 0),
        "dropped_answers": counters.get("dropped_answers", 0),
        "requests": counters.get("requests", 0),
        "violations": len(state.violations),
        "exchanges_unchecked": len(state.unchecked),
        "pending_work": state.busy,
        "callcentre": callcentre_view(state),
        "counters": counters,
    }


def apply_settings(state: EmulatorState, changes: dict[str, Any]) -> None:
    """Apply settings and arm faults; raises `ValueError` and changes nothing when one is bad."""
    settings = {k: v for k, v in changes.items() if k not in _FAULT_KEYS}
    faults = {k: v for k, v in changes.items() if k in _FAULT_KEYS}
    for key, value in faults.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{key} must be a non-negative number")
    state.reconfigure(updated_config(state.config, settings))
    now = time.monotonic()
    for key in ("force_429_for_s", "force_429_until"):
        if key in faults:
            state.faults.force_429_until = now + float(faults[key])
    if "fail_next" in faults:
        state.faults.fail_next = int(faults["fail_next"])
    if "drop_next_creates" in faults:
        state.faults.drop_next_creates = int(faults["drop_next_creates"])


def _settings_view(state: EmulatorState) -> dict[str, Any]:
    faults = state.faults
    return {
        "config": config_as_dict(state.config),
        "faults": {
            "force_429_remaining_s": max(0.0, faults.force_429_until - time.monotonic()),
            "fail_next": faults.fail_next,
            "drop_next_creates": faults.drop_next_creates,
        },
    }


async def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


async def stats_endpoint(request: Request) -> Response:
    return JSONResponse(stats(state_of(request)))


async def violations_endpoint(request: Request) -> Response:
    return JSONResponse(state_of(request).checked_violations())


async def config_endpoint(request: Request) -> Response:
    state = state_of(request)
    if request.method == "POST":
        changes = await _json_object(request)
        if changes is None:
            return JSONResponse({"error": "send a JSON object"}, status_code=400)
        try:
            apply_settings(state, changes)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(_settings_view(state))


async def reset_endpoint(request: Request) -> Response:
    options = await _json_object(request)
    if options is None:
        return JSONResponse({"error": "send a JSON object"}, status_code=400)
    state_of(request).reset(keep_sinks=not options.get("sinks", False))
    return Response(status_code=204)


def admin_routes() -> list[Route]:
    return [
        Route("/_emulator/stats", stats_endpoint),
        Route("/_emulator/violations", violations_endpoint),
        Route("/_emulator/config", config_endpoint, methods=["GET", "POST"]),
        Route("/_emulator/reset", reset_endpoint, methods=["POST"]),
        agents_route(),
    ]
