"""Answers lost after the work was done: the ambiguous path of a launch.

"close" starts a 201 answer, sends part of its body and drops the connection (the client sees
a protocol or connection error); "500" answers 500 with Twilio's 20500 body. Either way the
execution exists.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from twilio_emulator._wire import twilio_error

__all__ = ["LostAnswer", "dropped_answer", "quiet_lost_answers"]


class LostAnswer(ConnectionAbortedError):
    """Raised mid-answer so that the server drops the connection on purpose."""


class _CutAnswer(Response):
    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(json.dumps(body), status_code=201, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.body[:1], "more_body": True})
        raise LostAnswer("the emulator drops this answer on purpose")


def dropped_answer(mode: str, body: dict[str, Any]) -> Response:
    if mode == "500":
        return twilio_error(500, 20500, "Internal Server Error")
    return _CutAnswer(body)


class _SkipLostAnswers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], LostAnswer))


def quiet_lost_answers() -> None:
    """Keep uvicorn from logging a traceback for each answer dropped on purpose (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _SkipLostAnswers) for f in logger.filters):
        logger.addFilter(_SkipLostAnswers())
