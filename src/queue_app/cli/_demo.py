"""`demo`: a whole campaign on an embedded Redis and the built-in Twilio emulator; every option
checked before anything starts, a wrong one a usage error that names it."""

from __future__ import annotations

import asyncio
import math
import sys

import click

from queue_app.cli._shared import console, fail
from twilio_emulator.config import OUTCOMES

__all__ = ["demo"]


def _finite(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    if not math.isfinite(value):  # FloatRange lets nan through
        raise click.BadParameter(f"{value} is not a number")
    return value


def _outcomes(_ctx: click.Context, _param: click.Parameter, value: str) -> dict[str, float]:
    from queue_app.demo import parse_outcomes

    try:
        return parse_outcomes(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.option(
    "--contacts",
    type=click.IntRange(min=1),
    default=300,
    show_default=True,
    help="Contacts in the cache.",
)
@click.option(
    "--agents",
    type=click.IntRange(min=0),
    default=40,
    show_default=True,
    help="Agents of the emulator's call centre: they take the calls a person answers, and "
    "progressive and predictive pacing dial for the free ones (0 only with --mode fixed).",
)
@click.option(
    "--cps",
    type=click.FloatRange(min=0, min_open=True, max=10_000),
    default=20.0,
    show_default=True,
    callback=_finite,
    help="The account's calls per second.",
)
@click.option(
    "--outcomes",
    default="human=55,machine=15,busy=10,no-answer=12,failed=5,canceled=3",
    show_default=True,
    callback=_outcomes,
    help=f"Outcome mix, as NAME=WEIGHT pairs; names: {', '.join(OUTCOMES)}.",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    callback=_finite,
    help="Simulated seconds per second.",
)
@click.option(
    "--mode",
    type=click.Choice(["progressive", "fixed", "predictive"]),
    default="progressive",
    show_default=True,
    help="Pacing mode: progressive and predictive dial for free agents (predictive adapts its "
    "ratio to the answers and the abandons), fixed keeps up to 100 calls in flight with no "
    "agent. With agents, the agents' occupancy and the abandoned calls are shown live.",
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
    outcomes: dict[str, float],
    time_scale: float,
    mode: str,
    twilio_sources: str,
) -> None:
    """A whole campaign on an embedded Redis and the built-in Twilio emulator; no settings.

    Exit 0 when every contact got exactly one disposition and the campaign completed.
    """
    from queue_app.demo import DemoOptions, no_agents, run_demo
    from queue_app.embedded_redis import redis_server_binary

    if agents == 0 and mode != "fixed":
        raise click.BadParameter(no_agents(agents, mode), param_hint="'--agents'")
    try:
        redis_server_binary()
    except RuntimeError as exc:
        fail(str(exc))
    options = DemoOptions(contacts, agents, cps, outcomes, time_scale, mode, twilio_sources)
    sys.exit(asyncio.run(run_demo(options, console)))
