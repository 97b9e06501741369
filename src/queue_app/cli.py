"""The `queue-service` command line."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import click
from rich.console import Console
from rich.table import Table

from queue_app.client import ExecutionReport, QueueClient
from queue_app.container import twilio_rest
from queue_app.logs import configure_logging
from queue_app.settings import Settings, SettingsError
from queue_core.domain.errors import QueueError, StoreUnavailable

__all__ = ["main"]

T = TypeVar("T")
console = Console()
errors = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        errors.print(f"[red]{exc}[/red]", highlight=False)
        sys.exit(2)


def _run(work: Callable[[], Awaitable[T]]) -> T:
    try:
        return asyncio.run(work())  # type: ignore[arg-type]
    except StoreUnavailable as exc:
        errors.print(f"[red]Redis unavailable: {exc}[/red]", highlight=False)
        sys.exit(1)
    except QueueError as exc:
        errors.print(f"[red]{exc}[/red]", highlight=False)
        sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Queue service of the outbound dialer: paces, launches and tracks contacts on Twilio."""


@main.command()
def serve() -> None:
    """Run the service: the HTTP app under uvicorn, with the queue workers."""
    settings = _settings()
    try:
        settings.require_for_serve()
    except SettingsError as exc:
        errors.print(f"[red]{exc}[/red]", highlight=False)
        sys.exit(2)
    configure_logging(settings.instance.log_level, json_lines=settings.instance.log_json)
    from queue_app.serve import serve as run_server

    run_server(settings)


def _command(action: str) -> click.Command:
    @click.argument("execution_id")
    @click.option("--request-id", default=None, help="Echoed on the resulting queue event.")
    @click.option("--reason", default=None, help="Free text, echoed (at most 512 characters).")
    def command(execution_id: str, request_id: str | None, reason: str | None) -> None:
        settings = _settings()

        async def send() -> str:
            async with QueueClient.connect(settings.redis.url, settings.redis_keys) as client:
                method = getattr(client, action)
                entry: str = await method(execution_id, request_id=request_id, reason=reason)
                return entry

        console.print(_run(send))

    command.__doc__ = f"Write `{action}` for EXECUTION_ID to the control stream."
    return click.command(name=action)(command)


for _action in ("start", "stop", "pause", "resume"):
    main.add_command(_command(_action))


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def _rate(report: ExecutionReport) -> str:
    pacing = report.pacing
    if pacing is None:
        return ""
    return f"{pacing.launch_rate:.2f}/s of {pacing.launch_budget:.2f}/s ({pacing.reason})"


@main.command()
@click.argument("execution_id", required=False)
def status(execution_id: str | None) -> None:
    """State and counts of one execution, or of all."""
    settings = _settings()

    async def read() -> list[ExecutionReport]:
        async with QueueClient.connect(settings.redis.url, settings.redis_keys) as client:
            if execution_id is None:
                return await client.statuses()
            report = await client.status(execution_id)
            return [] if report is None else [report]

    reports = _run(read)
    if not reports:
        errors.print(f"no execution {execution_id or ''} found".replace("  ", " "))
        sys.exit(1)
    table = Table(
        "execution",
        "state",
        "launched",
        "dispositions",
        "in flight",
        "claimed",
        "in cache",
        "updated (UTC)",
        "reason",
        "launch rate / budget",
        "dial ratio",
        "driven by",
    )
    for r in reports:
        table.add_row(
            r.campaign_execution_id,
            r.state.value,
            str(r.launched),
            str(r.dispositions),
            str(r.active),
            str(r.claimed),
            str(r.remaining),
            _when(r.updated_at),
            r.reason,
            _rate(r),
            f"{r.pacing.dial_ratio:.2f}" if r.pacing else "",
            r.owner,
        )
    # Piped, rich would fit the table into 80 columns and cut the values a script reads.
    (console if console.is_terminal else Console(width=1000)).print(table)


@main.command()
def provision() -> None:
    """Find or create the Event Streams sink and subscription; print what was found and done."""
    from queue_adapters.twilio import (
        EventStreamsProvisioner,
        ProvisioningError,
        eventstreams_destination,
    )

    settings = _settings()
    try:
        settings.require_for_serve()
    except SettingsError as exc:
        errors.print(f"[red]{exc}[/red]", highlight=False)
        sys.exit(2)

    async def ensure() -> list[str]:
        rest = twilio_rest(settings.twilio)
        try:
            report = await EventStreamsProvisioner(rest).ensure(
                eventstreams_destination(settings.http.public_base_url)
            )
        finally:
            await rest.close()
        return list(report.lines())

    try:
        lines = _run(ensure)
    except ProvisioningError as exc:
        errors.print(f"[red]{exc}[/red]", highlight=False)
        sys.exit(1)
    for line in lines:
        console.print(line, highlight=False)


@main.command()
@click.option("--contacts", default=300, show_default=True, help="Contacts in the cache.")
@click.option("--agents", default=40, show_default=True, help="Available agents.")
@click.option("--cps", default=20.0, show_default=True, help="The account's calls per second.")
@click.option(
    "--outcomes",
    default="human=55,machine=15,busy=10,no-answer=12,failed=5,canceled=3",
    show_default=True,
    help="Outcome mix, as weights.",
)
@click.option("--time-scale", default=30.0, show_default=True, help="Simulated seconds per second.")
@click.option(
    "--mode",
    type=click.Choice(["progressive", "fixed", "predictive"]),
    default="progressive",
    show_default=True,
)
@click.option(
    "--twilio-sources",
    # The emulator's `sources` presets (twilio_emulator.config.SOURCE_PRESETS).
    type=click.Choice(["description", "all-voice", "studio-only"]),
    default="description",
    show_default=True,
    help="Which sources report each call: the service description's (no voice events for "
    "failed calls), voice events for every call, or Studio's events and the flow's post only.",
)
def demo(
    contacts: int,
    agents: int,
    cps: float,
    outcomes: str,
    time_scale: float,
    mode: str,
    twilio_sources: str,
) -> None:
    """A whole campaign on an embedded Redis and the built-in Twilio emulator; no settings."""
    from queue_app.demo import DemoOptions, run_demo

    options = DemoOptions.parse(contacts, agents, cps, outcomes, time_scale, mode, twilio_sources)
    sys.exit(asyncio.run(run_demo(options, console)))
