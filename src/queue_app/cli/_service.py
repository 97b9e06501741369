"""`serve`, `provision`, and the control commands `start`, `stop`, `pause`, `resume`."""

from __future__ import annotations

import click

from queue_app.cli._shared import REDIS_SETTINGS_HELP, console, fail, run, settings
from queue_app.client import QueueClient
from queue_app.container import twilio_rest
from queue_app.logs import configure_logging
from queue_app.settings import SettingsError

__all__ = ["control_commands", "provision", "serve"]


@click.command(
    epilog="Needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and "
    "TWILIO_API_SECRET for REST) and QUEUE_PUBLIC_BASE_URL; reads QUEUE_REDIS_URL (default "
    "redis://127.0.0.1:6379/0), QUEUE_ACCOUNT_CPS (default 1), QUEUE_HOST and QUEUE_PORT "
    "(default 0.0.0.0:8000: the routes Twilio calls), QUEUE_ADMIN_PORT (default 9000: "
    "/metrics and the live page /ui/), QUEUE_ADMIN_TOKEN (the live page's pause, resume and "
    "stop; unset: refused) and every other QUEUE_* setting of the README's table. A wrong or "
    "missing value stops it at once, naming the variable."
)
def serve() -> None:
    """Run the service: the HTTP app under uvicorn, with the queue workers, and the admin
    listener beside it."""
    current = settings()
    try:
        current.require_for_serve()
    except SettingsError as exc:
        fail(str(exc), 2)
    configure_logging(current.instance.log_level, json_lines=current.instance.log_json)
    from queue_app.serve import serve as run_server

    run_server(current)


@click.command(
    epilog="Needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and QUEUE_PUBLIC_BASE_URL (the sink's "
    "destination is its /eventstreams); QUEUE_TWILIO_BASE_URL sends the requests elsewhere."
)
def provision() -> None:
    """Find or create the Event Streams sink and subscription; print what was found and done."""
    from queue_adapters.twilio import (
        EventStreamsProvisioner,
        ProvisioningError,
        eventstreams_destination,
    )

    current = settings()
    try:
        current.require_for_serve()
    except SettingsError as exc:
        fail(str(exc), 2)

    async def ensure() -> list[str]:
        rest = twilio_rest(current.twilio)
        try:
            report = await EventStreamsProvisioner(rest).ensure(
                eventstreams_destination(current.http.public_base_url)
            )
        finally:
            await rest.close()
        return list(report.lines())

    try:
        lines = run(ensure, current.redis.url)
    except ProvisioningError as exc:
        fail(str(exc))
    for line in lines:
        console.print(line, highlight=False)


def _control(action: str) -> click.Command:
    @click.argument("execution_id")
    @click.option("--request-id", default=None, help="Echoed on the resulting queue event.")
    @click.option("--reason", default=None, help="Free text, echoed (at most 512 characters).")
    def command(execution_id: str, request_id: str | None, reason: str | None) -> None:
        current = settings()

        async def send() -> str:
            async with QueueClient.connect(current.redis.url, current.redis_keys) as client:
                method = getattr(client, action)
                entry: str = await method(execution_id, request_id=request_id, reason=reason)
                return entry

        console.print(run(send, current.redis.url))

    command.__doc__ = (
        f"Write `{action}` for EXECUTION_ID to the control stream; print the entry id."
    )
    return click.command(name=action, epilog=REDIS_SETTINGS_HELP)(command)


def control_commands() -> list[click.Command]:
    return [_control(action) for action in ("start", "stop", "pause", "resume")]
