"""The call centre's part of the emulator's own routes: its figures in `GET /_emulator/stats`,
and `GET|POST /_emulator/agents` to see the agents and log them in or out.

Durations are simulated seconds. Occupancy is talk time over staffed time (time logged in);
`occupancy_with_wrapup` adds the wrap-up to the talk.
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from twilio_emulator._endpoint import state_of
from twilio_emulator.queue_stats import queue_statistics
from twilio_emulator.state import EmulatorState

__all__ = ["agents_route", "call_fields", "callcentre_view"]


def call_fields(state: EmulatorState, execution_sid: str) -> dict[str, Any]:
    """What the call centre did with one call, for its entry in the stats' `executions`."""
    record = state.callcentre.calls.get(execution_sid)
    if record is None:
        return {"handed_to_agent": False}
    connected = None
    if record.worker_sid and record.wait_s is not None:
        connected = record.answer_to_task_s + record.wait_s
    return {
        "handed_to_agent": True,
        "task_sid": record.task_sid,
        "task_queue_sid": record.queue_sid,
        "worker_sid": record.worker_sid or None,
        "answer_to_task_s": record.answer_to_task_s,
        "agent_wait_s": record.wait_s,
        "answer_to_agent_s": connected,
        "abandoned": record.abandoned,
        "agent_talk_s": record.talk_s,
    }


def _agents(state: EmulatorState) -> dict[str, Any]:
    team = state.callcentre.team
    return {
        "logged_in": team.logged_in,
        "by_state": dict(sorted(team.states().items())),
        "agents": [
            {"sid": a.sid, "name": a.name, "state": a.state, "leaving": a.leaving, "calls": a.calls}
            for a in team.agents
        ],
    }


def callcentre_view(state: EmulatorState) -> dict[str, Any]:
    """The call centre's figures in `GET /_emulator/stats`."""
    centre, counters, now = state.callcentre, state.counters, time.monotonic()
    seconds = centre.team.seconds(now)
    staffed = sum(seconds.values())
    busy = seconds["talking"] + seconds["wrapping"]
    records = list(centre.calls.values())
    return {
        "enabled": centre.config.enabled,
        **_agents(state),
        "tasks_created": counters.get("callcentre_tasks_created", 0),
        "tasks_accepted": counters.get("callcentre_tasks_accepted", 0),
        "tasks_canceled": counters.get("callcentre_tasks_canceled", 0),
        "tasks_completed": counters.get("callcentre_tasks_completed", 0),
        "calls_handed_to_agents": len(records),
        "calls_abandoned": sum(1 for r in records if r.abandoned),
        "seconds_by_state": seconds,
        "staffed_s": staffed,
        "talk_s": seconds["talking"],
        "occupancy": seconds["talking"] / staffed if staffed else 0.0,
        "occupancy_with_wrapup": busy / staffed if staffed else 0.0,
        "queues": queue_statistics(centre, state.config.account_sid, now),
        "stats_writes": counters.get("stats_writes", 0),
        "stats_write_errors": counters.get("stats_write_errors", 0),
    }


async def agents_endpoint(request: Request) -> Response:
    """GET: the agents. POST `{"change": n}` logs n in (or -n out), `{"logged_in": n}` logs
    agents in or out until n are; 400 for anything else, or with the call centre off."""
    state = state_of(request)
    if request.method == "POST":
        problem = _change_agents(state, await request.body())
        if problem:
            return JSONResponse({"error": problem}, status_code=400)
    return JSONResponse(_agents(state))


def _change_agents(state: EmulatorState, body: bytes) -> str | None:
    try:
        order = json.loads(body or b"{}")
    except json.JSONDecodeError:
        order = None
    if not isinstance(order, dict) or len(order) != 1:
        return 'send one of {"change": n} or {"logged_in": n}'
    [(key, value)] = order.items()
    if key not in ("change", "logged_in") or isinstance(value, bool) or not isinstance(value, int):
        return 'send one of {"change": n} or {"logged_in": n}, n an integer'
    if key == "logged_in" and value < 0:
        return "logged_in must not be negative"
    centre = state.callcentre
    if centre.started is None:
        return "the call centre is off (setting callcentre.enabled)"
    centre.change_agents(value if key == "change" else value - centre.team.logged_in)
    return None


def agents_route() -> Route:
    return Route("/_emulator/agents", agents_endpoint, methods=["GET", "POST"])
