"""Event Streams v1: sinks and subscriptions (with their subscribed event types).

Webhook sinks need `destination` (http or https), `method` `POST` and a boolean
`batch_events`; they are `active` at once. Subscriptions take only the event types the
emulator emits (`cloudevents.EVENT_TYPES`), each at a schema version it knows.
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from twilio_emulator._endpoint import form_of, twilio_endpoint
from twilio_emulator._paging import PageError, paginate
from twilio_emulator._wire import new_sid, twilio_error
from twilio_emulator.cloudevents import EVENT_TYPES
from twilio_emulator.resources import (
    Sink,
    Subscription,
    sink_json,
    subscribed_event_json,
    subscription_json,
)
from twilio_emulator.state import EmulatorState

__all__ = ["events_routes"]

_SINK_TYPES = ("kinesis", "webhook", "segment", "email")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _bad(message: str) -> Response:
    return twilio_error(400, 20001, message)


def _missing(request: Request) -> Response:
    return twilio_error(404, 20404, f"The requested resource {request.url.path} was not found")


def _page(request: Request, items: list[Any], key: str, render: Any) -> Response:
    try:
        page, meta = paginate(request, items, key)
    except PageError as exc:
        return _bad(str(exc))
    return JSONResponse({key: [render(item) for item in page], "meta": meta})


def _sink_config_problem(sink_type: str, config: Any) -> str | None:
    if not isinstance(config, dict):
        return "SinkConfiguration must be a JSON object"
    if sink_type != "webhook":
        return None
    destination = config.get("destination")
    if not isinstance(destination, str) or not destination.startswith(("http://", "https://")):
        return "SinkConfiguration.destination must be an http(s) URL"
    if config.get("method") != "POST":
        return "SinkConfiguration.method must be POST"
    if not isinstance(config.get("batch_events"), bool):
        return "SinkConfiguration.batch_events must be a boolean"
    return None


@twilio_endpoint()
async def create_sink(request: Request, state: EmulatorState) -> Response:
    form = await form_of(request)
    description, sink_type = form.get("Description"), form.get("SinkType")
    if not isinstance(description, str) or not description:
        return _bad("Missing required parameter Description in the post body")
    if sink_type not in _SINK_TYPES:
        return _bad(f"SinkType must be one of {', '.join(_SINK_TYPES)}")
    assert isinstance(sink_type, str)
    try:
        config = json.loads(str(form.get("SinkConfiguration") or ""))
    except json.JSONDecodeError:
        config = None
    problem = _sink_config_problem(sink_type, config)
    if problem:
        return _bad(problem)
    now = time.time()
    sink = Sink(new_sid(state.rng, "DG"), description, sink_type, config, now, now)
    state.sinks[sink.sid] = sink
    return JSONResponse(sink_json(sink, _base(request)), status_code=201)


@twilio_endpoint()
async def list_sinks(request: Request, state: EmulatorState) -> Response:
    in_use_raw = request.query_params.get("InUse")
    status = request.query_params.get("Status")
    used = {s.sink_sid for s in state.subscriptions.values()}
    sinks = [
        s
        for s in state.sinks.values()
        if (status is None or s.status == status)
        and (in_use_raw is None or (s.sid in used) == (in_use_raw.lower() == "true"))
    ]
    base = _base(request)
    return _page(request, sinks, "sinks", lambda s: sink_json(s, base))


@twilio_endpoint()
async def sink_instance(request: Request, state: EmulatorState) -> Response:
    sink = state.sinks.get(request.path_params["sid"])
    if sink is None:
        return _missing(request)
    if request.method == "DELETE":
        del state.sinks[sink.sid]
        return Response(status_code=204)
    if request.method == "POST":
        description = (await form_of(request)).get("Description")
        if not isinstance(description, str) or not description:
            return _bad("Missing required parameter Description in the post body")
        sink.description, sink.updated_wall = description, time.time()
    return JSONResponse(sink_json(sink, _base(request)))


def _types(values: list[Any]) -> dict[str, int] | str:
    """Event type -> schema version from `Types` items, or what is wrong with them."""
    types: dict[str, int] = {}
    for raw in values:
        try:
            item = json.loads(raw) if isinstance(raw, str) else None
        except json.JSONDecodeError:
            item = None
        if not isinstance(item, dict):
            return "each Types item must be a JSON object"
        problem = _type_problem(item.get("type"), item.get("schema_version"))
        if problem:
            return problem
        event_type = str(item["type"])
        types[event_type] = int(item.get("schema_version") or EVENT_TYPES[event_type][1])
    return types or "Types must name at least one event type"


def _type_problem(event_type: Any, version: Any) -> str | None:
    if event_type not in EVENT_TYPES:
        return f"unknown event type: {event_type!r}"
    latest = EVENT_TYPES[event_type][1]
    if version is not None and (not isinstance(version, int) or not 1 <= version <= latest):
        return f"schema_version of {event_type} must be between 1 and {latest}"
    return None


@twilio_endpoint()
async def create_subscription(request: Request, state: EmulatorState) -> Response:
    form: FormData = await form_of(request)
    description, sink_sid = form.get("Description"), form.get("SinkSid")
    if not isinstance(description, str) or not description:
        return _bad("Missing required parameter Description in the post body")
    sink = state.sinks.get(sink_sid) if isinstance(sink_sid, str) else None
    if sink is None or sink.status != "active":
        return _bad("SinkSid must name an active sink")
    types = _types(form.getlist("Types"))
    if isinstance(types, str):
        return _bad(types)
    now = time.time()
    subscription = Subscription(
        new_sid(state.rng, "DF"), state.config.account_sid, sink.sid, description, now, now, types
    )
    state.subscriptions[subscription.sid] = subscription
    return JSONResponse(subscription_json(subscription, _base(request)), status_code=201)


@twilio_endpoint()
async def list_subscriptions(request: Request, state: EmulatorState) -> Response:
    sink_sid = request.query_params.get("SinkSid")
    found = [s for s in state.subscriptions.values() if sink_sid in (None, s.sink_sid)]
    base = _base(request)
    return _page(request, found, "subscriptions", lambda s: subscription_json(s, base))


@twilio_endpoint()
async def subscription_instance(request: Request, state: EmulatorState) -> Response:
    subscription = state.subscriptions.get(request.path_params["sid"])
    if subscription is None:
        return _missing(request)
    if request.method == "DELETE":
        del state.subscriptions[subscription.sid]
        return Response(status_code=204)
    if request.method == "POST":
        description = (await form_of(request)).get("Description")
        if isinstance(description, str) and description:
            subscription.description = description
        subscription.updated_wall = time.time()
    return JSONResponse(subscription_json(subscription, _base(request)))


@twilio_endpoint()
async def subscribed_events(request: Request, state: EmulatorState) -> Response:
    subscription = state.subscriptions.get(request.path_params["sid"])
    if subscription is None:
        return _missing(request)
    base = _base(request)
    if request.method == "GET":
        types = list(subscription.types)
        return _page(
            request, types, "types", lambda t: subscribed_event_json(subscription, t, base)
        )
    form = await form_of(request)
    event_type, raw_version = form.get("Type"), form.get("SchemaVersion")
    try:
        version = None if raw_version is None else int(str(raw_version))
    except ValueError:
        return _bad("SchemaVersion must be an integer")
    problem = _type_problem(event_type, version)
    if problem:
        return _bad(problem)
    assert isinstance(event_type, str)
    existed = event_type in subscription.types
    subscription.types[event_type] = version or EVENT_TYPES[event_type][1]
    subscription.updated_wall = time.time()
    body = subscribed_event_json(subscription, event_type, base)
    return JSONResponse(body, status_code=200 if existed else 201)


def events_routes() -> list[Route]:
    return [
        Route("/v1/Sinks", create_sink, methods=["POST"]),
        Route("/v1/Sinks", list_sinks, methods=["GET"]),
        Route("/v1/Sinks/{sid}", sink_instance, methods=["GET", "POST", "DELETE"]),
        Route("/v1/Subscriptions", create_subscription, methods=["POST"]),
        Route("/v1/Subscriptions", list_subscriptions, methods=["GET"]),
        Route("/v1/Subscriptions/{sid}", subscription_instance, methods=["GET", "POST", "DELETE"]),
        Route(
            "/v1/Subscriptions/{sid}/SubscribedEvents", subscribed_events, methods=["GET", "POST"]
        ),
    ]
