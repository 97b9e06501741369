"""The command line describes itself: a version, a help text for every option, and the
settings each command that needs them reads."""

from __future__ import annotations

import importlib.metadata

import click
import pytest
from click.testing import CliRunner

from queue_app.cli import main


def test_version_prints_the_package_version() -> None:
    done = CliRunner().invoke(main, ["--version"])

    assert done.exit_code == 0
    version = importlib.metadata.version("dialer-queue-service")
    assert done.stdout == f"queue-service, version {version}\n"


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_option_of_every_command_has_a_help_text(name: str) -> None:
    command = main.commands[name]
    options = [p for p in command.params if isinstance(p, click.Option)]

    assert command.help
    assert [o.name for o in options if not o.help] == []


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("serve", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "QUEUE_PUBLIC_BASE_URL"]),
        ("serve", ["QUEUE_REDIS_URL", "QUEUE_ACCOUNT_CPS"]),
        ("serve", ["QUEUE_ADMIN_PORT", "QUEUE_ADMIN_TOKEN"]),
        ("provision", ["TWILIO_ACCOUNT_SID", "QUEUE_PUBLIC_BASE_URL"]),
        ("status", ["QUEUE_REDIS_URL"]),
        ("start", ["QUEUE_REDIS_URL"]),
        ("events", ["QUEUE_REDIS_URL"]),
        ("dispositions", ["QUEUE_REDIS_URL"]),
        ("dead-letters", ["QUEUE_REDIS_URL"]),
        ("load", ["QUEUE_REDIS_URL"]),
    ],
)
def test_the_help_names_the_settings_a_command_reads(name: str, settings: list[str]) -> None:
    done = CliRunner().invoke(main, [name, "--help"], terminal_width=200)

    assert done.exit_code == 0
    text = " ".join(done.stdout.split())
    assert [s for s in settings if s not in text] == []
