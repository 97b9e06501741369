"""Checks of HTTP exchanges against Twilio's OpenAPI specs (Studio v2, Events v1), done by
openapi-core.

The specs ship in this package (`specs/`, MIT, Twilio's license next to them). Twilio's specs
declare no error answers, so each operation gets a `default` answer with Twilio's documented
error body (`code`, `message`, `more_info`, `status`): a 401, 404, 409, 429 or 5xx answer is
checked too, and a success answer the operation does not declare fails as an error body would.
openapi-core is a development dependency: import this module only where it is installed.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

__all__ = [
    "TWILIO_ERROR_SCHEMA",
    "Exchange",
    "check_exchange",
    "spec_name_for",
]

_SPECS = {
    "studio": ("twilio_studio_v2.json", "https://studio.twilio.com"),
    "events": ("twilio_events_v1.json", "https://events.twilio.com"),
}
_METHODS = ("get", "post", "put", "patch", "delete")

TWILIO_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message", "more_info", "status"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string", "format": "uri"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
    },
}


def spec_name_for(path: str) -> str | None:
    """ "studio" for `/v2/...`, "events" for `/v1/...`, None for any other path."""
    if path.startswith("/v2/"):
        return "studio"
    if path.startswith("/v1/"):
        return "events"
    return None


def _spec_document(name: str) -> dict[str, Any]:
    """The spec `name` ("studio" or "events") as shipped, with the error answers added."""
    text = resources.files("twilio_emulator").joinpath("specs", _SPECS[name][0]).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    error = {
        "description": "A Twilio error",
        "content": {"application/json": {"schema": copy.deepcopy(TWILIO_ERROR_SCHEMA)}},
    }
    for item in document["paths"].values():
        for method in _METHODS:
            if method in item:
                item[method]["responses"].setdefault("default", error)
    return document


@functools.cache
def _openapi(name: str) -> OpenAPI:
    return OpenAPI.from_dict(_spec_document(name))


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its answer, as bytes and header maps (names in any case)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    status: int = 200
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: bytes = b""


class _Request:
    """openapi-core's request protocol over an `Exchange`, on Twilio's own host."""

    def __init__(self, exchange: Exchange, host_url: str) -> None:
        headers = Headers(list(exchange.headers.items()))
        self.host_url = host_url
        self.path = exchange.path
        self.method = exchange.method.lower()
        self.body = exchange.body or None
        self.content_type = str(headers.get("content-type", "")).lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(exchange.query)), header=headers
        )


class _Response:
    def __init__(self, exchange: Exchange) -> None:
        self.status_code = exchange.status
        self.headers = Headers(list(exchange.response_headers.items()))
        self.content_type = str(self.headers.get("content-type", "")).lower()
        self.data = exchange.response_body


def _where(path: Iterable[Any]) -> str:
    return "/".join(map(str, path)) or "."


def _describe(error: BaseException) -> str:
    parts = [type(error).__name__]
    cause: BaseException | None = error
    while cause is not None:
        schema_errors: Iterable[Any] = getattr(cause, "schema_errors", None) or ()
        details = [f"{_where(e.absolute_path)}: {e.message}" for e in schema_errors]
        parts.extend(details or ([str(cause)] if cause is not error or str(cause) else []))
        cause = cause.__cause__
    return "; ".join(p for p in parts if p)


def check_exchange(exchange: Exchange) -> list[str]:
    """What in `exchange` breaks its spec operation, one line each; [] when it conforms.

    Paths outside `/v1/` and `/v2/` are not Twilio's and give [].
    """
    name = spec_name_for(exchange.path)
    if name is None:
        return []
    openapi = _openapi(name)
    request = _Request(exchange, _SPECS[name][1])
    where = f"{exchange.method.upper()} {exchange.path} -> {exchange.status}"
    problems = [
        f"{where}: request: {_describe(e)}" for e in openapi.unmarshal_request(request).errors
    ]
    result = openapi.unmarshal_response(request, _Response(exchange))
    problems += [f"{where}: response: {_describe(e)}" for e in result.errors]
    return problems
