"""The emulator as an ASGI app: Twilio's Studio v2 and Events v1 routes, and its own."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware

from twilio_emulator._admin import admin_routes
from twilio_emulator._events_api import events_routes
from twilio_emulator._recording import OpenAPIRecorder
from twilio_emulator._studio import studio_routes
from twilio_emulator.config import EmulatorConfig
from twilio_emulator.state import EmulatorState

__all__ = ["create_app", "emulator_state"]


def emulator_state(app: Starlette) -> EmulatorState:
    """The state of an app made by `create_app`."""
    state: EmulatorState = app.state.emulator
    return state


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """A new emulator app with its own state. Its lifespan opens and closes the webhook
    client and stops the calls still playing out: serve it with lifespan on (uvicorn does).
    """
    state = EmulatorState(config or EmulatorConfig())

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.aclose()

    app = Starlette(
        routes=[*studio_routes(), *events_routes(), *admin_routes()],
        middleware=[Middleware(OpenAPIRecorder, state=lambda: state)],
        lifespan=lifespan,
    )
    app.state.emulator = state
    return app
