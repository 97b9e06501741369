"""The OpenAPI 3.1 document of the service's routes, served at `/openapi.json`, and the media
types each webhook route takes (the routes answer 415 to any other)."""

from __future__ import annotations

from typing import Any

__all__ = ["CALLSTATUS_MEDIA_TYPES", "EVENTSTREAMS_MEDIA_TYPES", "OPENAPI_DOCUMENT"]

# JSON, and the two media types of CloudEvents' JSON format (a batch, one event): Twilio's
# documents do not name the one Event Streams sends, and each is a JSON array or object.
EVENTSTREAMS_MEDIA_TYPES = (
    "application/json",
    "application/cloudevents-batch+json",
    "application/cloudevents+json",
)
# What the Studio flow's Make HTTP Request widget offers: form or JSON.
CALLSTATUS_MEDIA_TYPES = ("application/x-www-form-urlencoded", "application/json")

_ERROR = {
    "description": "",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"error": {"type": "string"}},
                "required": ["error"],
            }
        }
    },
}


def _error(description: str) -> dict[str, Any]:
    return {**_ERROR, "description": description}


_ACCEPTED = {
    "description": (
        "Accepted: the facts are stored; `stale` counts those too old (events) or too late (a"
        " report of a launch no longer in flight) to act on, which are ignored."
    ),
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "matched": {"type": "integer", "minimum": 0},
                    "unmatched": {"type": "integer", "minimum": 0},
                    "settled": {"type": "integer", "minimum": 0},
                    "stale": {"type": "integer", "minimum": 0},
                },
                "required": ["matched", "unmatched", "settled", "stale"],
            }
        }
    },
}

# The limits the parsers apply (queue_adapters.twilio._wire): a body the document calls valid
# must not be refused as invalid.
_REQUIRED = {"type": "string", "minLength": 1, "maxLength": 256}
_TEXT = {"type": "string", "maxLength": 1024}

_CLOUDEVENT = {
    "type": "object",
    "properties": {
        "specversion": _REQUIRED,
        "type": _REQUIRED,
        "source": _REQUIRED,
        "id": _REQUIRED,
        "time": _TEXT,
        "dataschema": {"type": "string"},
        "data": {"type": "object"},
    },
    "required": ["specversion", "type", "source", "id", "data"],
}

_CALLSTATUS_FIELDS = {
    "type": "object",
    "properties": {
        "execution_sid": {"type": "string", "pattern": "^FN[0-9a-fA-F]{32}$"},
        "campaign_execution_id": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,128}$"},
        "record_id": _REQUIRED,
        "callstatus_token": _TEXT,
        **dict.fromkeys(("call_sid", "call_status", "error_code", "error_message"), _TEXT),
    },
    "required": ["execution_sid", "campaign_execution_id", "record_id", "callstatus_token"],
}

_BATCH = {"oneOf": [{"type": "array", "items": _CLOUDEVENT}, _CLOUDEVENT]}

_BODY_ERRORS = {
    "408": _error("The body did not arrive in time (`QUEUE_BODY_READ_TIMEOUT_S`)."),
    "413": _error("Body too large."),
    "415": _error("Content-Type not one of the request body's."),
}

_STATUS = {
    "description": "",
    "content": {"application/json": {"schema": {"type": "object"}}},
}

OPENAPI_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Dialer queue service",
        "version": "1",
        "description": "Webhooks from Twilio Event Streams and the Studio flow, and health.",
    },
    "paths": {
        "/eventstreams": {
            "post": {
                "summary": "A batch of Twilio Event Streams CloudEvents (or a single event).",
                "parameters": [
                    {
                        "name": "X-Twilio-Signature",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "bodySHA256",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {media: {"schema": _BATCH} for media in EVENTSTREAMS_MEDIA_TYPES},
                },
                "responses": {
                    "200": _ACCEPTED,
                    "400": _error("Not JSON, or not CloudEvents."),
                    "403": _error("Bad or missing signature."),
                    **_BODY_ERRORS,
                    "503": _error("Not stored now: deliver again."),
                },
            }
        },
        "/callstatus": {
            "post": {
                "summary": "The Studio flow's report of a call (the fields events lack).",
                "requestBody": {
                    "required": True,
                    "content": {
                        media: {"schema": _CALLSTATUS_FIELDS} for media in CALLSTATUS_MEDIA_TYPES
                    },
                },
                "responses": {
                    "200": _ACCEPTED,
                    "400": _error("Invalid body."),
                    "403": _error("Bad callstatus_token."),
                    **_BODY_ERRORS,
                    "503": _error("Not stored now: post again."),
                },
            }
        },
        "/healthz": {"get": {"summary": "Liveness.", "responses": {"200": _STATUS}}},
        "/readyz": {
            "get": {
                "summary": "Readiness, with the reasons when not ready.",
                "responses": {"200": _STATUS, "503": _STATUS},
            }
        },
        "/openapi.json": {"get": {"summary": "This document.", "responses": {"200": _STATUS}}},
    },
}
