"""What every command shares: the consoles, the settings, and one way to run async work that
turns an unreachable Redis or a refused input into one red line and an exit status."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar
from urllib.parse import urlsplit, urlunsplit

from redis import exceptions as redis_errors
from rich.console import Console
from rich.markup import escape

from queue_app.settings import Settings, SettingsError
from queue_core.domain.errors import QueueError, StoreUnavailable

__all__ = [
    "REDIS_SETTINGS_HELP",
    "console",
    "errors",
    "fail",
    "plain_console",
    "public_url",
    "run",
    "run_until_interrupted",
    "settings",
]

T = TypeVar("T")
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

# Appended to the help of every command that reads or writes the service's Redis.
REDIS_SETTINGS_HELP = (
    "Reads QUEUE_REDIS_URL (default redis://127.0.0.1:6379/0) and the key and stream names "
    "(QUEUE_CONTROL_STREAM, QUEUE_EVENT_STREAM, QUEUE_DISPOSITIONS_STREAM, ...; see the README's "
    "settings table)."
)

# A broken connection, whether or not an adapter translated it into `StoreUnavailable`.
_UNREACHABLE = (
    StoreUnavailable,
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.ClusterDownError,
)


def plain_console() -> Console:
    """Standard output for what scripts read: no colour, no wrapping of long lines."""
    return console if console.is_terminal else Console(width=1000, no_color=True)


def fail(message: str, code: int = 1) -> NoReturn:
    errors.print(f"[red]{escape(message)}[/red]", highlight=False, soft_wrap=True)
    sys.exit(code)


def settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        fail(str(exc), 2)


def public_url(url: str) -> str:
    """`url` with its password, if any, replaced by `***`: fit for an error message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def run(work: Callable[[], Awaitable[T]], redis_url: str) -> T:
    """Run `work` to its end; exit 1 naming the Redis URL and the setting when Redis cannot be
    reached, or with the message of any other error the service raises on purpose."""
    try:
        return asyncio.run(work())  # type: ignore[arg-type]
    except _UNREACHABLE as exc:
        reason = str(exc).removeprefix("redis: ")
        fail(f"Redis unavailable at {public_url(redis_url)}: {reason} (set QUEUE_REDIS_URL)")
    except QueueError as exc:
        fail(str(exc))


def run_until_interrupted(work: Callable[[], Awaitable[None]], redis_url: str) -> None:
    """`run`, where Ctrl-C is the normal end (exit 0), not an abort."""
    with contextlib.suppress(KeyboardInterrupt):
        run(work, redis_url)
