"""`demo`: a whole campaign on an embedded Redis and the built-in Twilio emulator."""

from __future__ import annotations

import asyncio
import sys

import click

from queue_app.cli._shared import console

__all__ = ["demo"]


@click.command()
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
    help="Pacing mode.",
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
