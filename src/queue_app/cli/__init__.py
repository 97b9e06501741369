"""The `queue-service` command line: one module per group of commands.

_service   serve, provision, start, stop, pause, resume
_status    status (a table, --json, --watch)
_streams   events, dispositions, dead-letters
_load      load (a campaign execution and its contacts from a CSV file)
_demo      demo
"""

from __future__ import annotations

import click

from queue_app import __version__
from queue_app.cli._demo import demo
from queue_app.cli._load import load
from queue_app.cli._service import control_commands, provision, serve
from queue_app.cli._status import status
from queue_app.cli._streams import dead_letters, dispositions, events

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="queue-service")
def main() -> None:
    """Queue service of the outbound dialer: paces, launches and tracks contacts on Twilio.

    Every command but demo reads its settings from the environment (QUEUE_REDIS_URL, ...; see
    the README's settings table and each command's --help).
    """


for _command in (
    serve,
    provision,
    *control_commands(),
    status,
    events,
    dispositions,
    dead_letters,
    load,
    demo,
):
    main.add_command(_command)
