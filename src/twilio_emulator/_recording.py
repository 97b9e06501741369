"""ASGI middleware: with `validate_openapi` on, keep a copy of each Twilio-route exchange
for the check against the spec (`EmulatorState.checked_violations`).

The check costs openapi-core tens of milliseconds: it runs when violations are asked for,
not while answering, so that validation does not slow the emulator down. The request body
is read up front and replayed to the app; the answer is copied as it is sent. An answer
dropped on purpose (no complete body) is not kept.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twilio_emulator.state import EmulatorState

__all__ = ["OpenAPIRecorder"]


class OpenAPIRecorder:
    def __init__(self, app: ASGIApp, state: Callable[[], EmulatorState]) -> None:
        self._app = app
        self._state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        state = self._state()
        twilio_route = path.startswith(("/v1/", "/v2/"))
        if scope["type"] != "http" or not twilio_route or not state.config.validate_openapi:
            await self._app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 0
        headers: dict[str, str] = {}
        answer: list[bytes] = []
        complete = False

        async def copy(message: Message) -> None:
            nonlocal status, complete
            if message["type"] == "http.response.start":
                status = message["status"]
                for key, value in message.get("headers", []):
                    headers[key.decode("latin-1").lower()] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                answer.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        await self._app(scope, replay, copy)
        if complete:
            self._keep(scope, body, status, headers, b"".join(answer))

    def _keep(
        self, scope: Scope, body: bytes, status: int, headers: dict[str, str], answer: bytes
    ) -> None:
        # Imported here: openapi-core is needed only when validation is switched on.
        from twilio_emulator.openapi import Exchange

        request_headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
        }
        query = scope.get("query_string", b"").decode("latin-1")
        exchange = Exchange(
            method=scope["method"],
            path=scope["path"],
            query=tuple(parse_qsl(query, keep_blank_values=True)),
            headers=request_headers,
            body=body,
            status=status,
            response_headers=headers,
            response_body=answer,
        )
        self._state().unchecked.append(exchange)
