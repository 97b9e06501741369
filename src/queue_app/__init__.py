"""The composition root and the library face for other campaign services.

`QueueClient` sends commands and reads states and queue events; `DispositionReader` consumes
`call_dispositions`; `create_app` is the packaged service (`uvicorn --factory`); `Settings`
holds every setting. Importing the client or the reader loads neither Starlette, Twilio's
client, aiohttp nor dependency-injector: `create_app` loads them when it is called.
"""

from __future__ import annotations

import importlib.metadata as _metadata
import typing as _typing

from queue_app.client import ExecutionReport, QueueClient
from queue_app.dispositions import DispositionReader
from queue_app.settings import Settings, SettingsError

if _typing.TYPE_CHECKING:
    from starlette.applications import Starlette

    from queue_app.container import Container

try:
    __version__ = _metadata.version("dialer-queue-service")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "DispositionReader",
    "ExecutionReport",
    "QueueClient",
    "Settings",
    "SettingsError",
    "__version__",
    "create_app",
]


def create_app(
    settings: Settings | None = None,
    container: Container | None = None,
    *,
    owns_process: bool = True,
) -> Starlette:
    """The app of one service instance (`queue_app.app.create_app`); nothing starts before
    its lifespan does, which serves the admin listener too. `settings` default to
    `Settings.from_env()`, `container` to the one they describe; `owns_process=False` leaves
    the logs and signals to a program that embeds the app."""
    from queue_app.app import create_app as build  # the web stack, loaded only when serving

    return build(settings, container, owns_process=owns_process)
