"""`status`: the executions' state and counts, as a table, one JSON document, or a live view."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import click
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from queue_app.cli._shared import (
    REDIS_SETTINGS_HELP,
    console,
    errors,
    plain_console,
    public_url,
    run,
    run_until_interrupted,
    settings,
)
from queue_app.client import ExecutionReport, QueueClient
from queue_app.status_document import status_document

__all__ = ["status", "watch"]

Read = Callable[[], Awaitable[list[ExecutionReport]]]


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def _rate(report: ExecutionReport) -> str:
    pacing = report.pacing
    if pacing is None:
        return ""
    return f"{pacing.launch_rate:.2f}/s of {pacing.launch_budget:.2f}/s ({pacing.reason})"


def table(reports: Sequence[ExecutionReport]) -> Table:
    out = Table(
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
    for r in sorted(reports, key=lambda r: r.campaign_execution_id):
        cells = (
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
        # Text, not markup: a reason is free text from outside, brackets and all.
        out.add_row(*(Text(cell) for cell in cells))
    return out


def _nothing(execution_id: str | None) -> str:
    if execution_id is None:
        return "no execution has been started"
    return f"no execution {execution_id} has been started"


def _view(reports: Sequence[ExecutionReport], execution_id: str | None, where: str) -> Group:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    head = Text(f"{where}, {stamp} UTC (Ctrl-C to quit)", style="bold")
    body: RenderableType = table(reports) if reports else Text(_nothing(execution_id))
    return Group(head, body)


async def watch(
    read: Read,
    render: Callable[[list[ExecutionReport]], RenderableType],
    out: Console,
    interval_s: float,
    *,
    rounds: int | None = None,
) -> None:
    """Show `render(await read())` every `interval_s` until cancelled (or `rounds` times): in
    place on a terminal, one view after the other when the output is piped."""
    done = 0
    if out.is_terminal:
        with Live(console=out, auto_refresh=False, transient=False) as live:
            while rounds is None or done < rounds:
                live.update(render(await read()), refresh=True)
                done += 1
                await asyncio.sleep(interval_s)
        return
    while rounds is None or done < rounds:
        out.print(render(await read()))
        out.print()
        out.file.flush()
        done += 1
        await asyncio.sleep(interval_s)


@click.command(epilog=REDIS_SETTINGS_HELP)
@click.argument("execution_id", required=False)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON document instead of the table; its schema is "
    "queue_app/schemas/status.schema.json in the package.",
)
@click.option(
    "--watch",
    "live",
    is_flag=True,
    help="Refresh the table every --interval seconds until Ctrl-C (piped: one table after the "
    "other).",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="Seconds between two refreshes of --watch.",
)
def status(execution_id: str | None, as_json: bool, live: bool, interval: float) -> None:
    """State and counts of one execution, or of all.

    Exit 0, and the JSON document has an empty list, when no execution was ever started; 1 when
    EXECUTION_ID was never started (with --json the document is printed too).
    """
    if as_json and live:
        raise click.UsageError("--json and --watch: give one of them")
    current = settings()
    keys = current.redis_keys

    async def read(client: QueueClient) -> list[ExecutionReport]:
        if execution_id is None:
            return await client.statuses()
        report = await client.status(execution_id)
        return [] if report is None else [report]

    if live:
        where = f"queue-service status, {public_url(current.redis.url)}"

        async def follow() -> None:
            async with QueueClient.connect(current.redis.url, keys) as client:
                await watch(
                    lambda: read(client),
                    lambda reports: _view(reports, execution_id, where),
                    plain_console(),
                    interval,
                )

        run_until_interrupted(follow, current.redis.url)
        return

    async def once() -> list[ExecutionReport]:
        async with QueueClient.connect(current.redis.url, keys) as client:
            return await read(client)

    reports = run(once, current.redis.url)
    if as_json:
        click.echo(json.dumps(status_document(reports, time.time()), indent=2))
    elif reports:
        # Piped, rich would fit the table into 80 columns and cut the values a script reads.
        plain_console().print(table(reports))
    elif execution_id is None:
        console.print(_nothing(None), highlight=False, markup=False)
    if execution_id is not None and not reports:
        errors.print(_nothing(execution_id), highlight=False, markup=False)
        raise SystemExit(1)
