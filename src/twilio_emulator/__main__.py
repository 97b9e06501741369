"""`twilio-emulator --port 8765 [--account-cps 5] ...` (or `python -m twilio_emulator`): the
emulator under uvicorn."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

import uvicorn

from twilio_emulator._answers import quiet_lost_answers
from twilio_emulator.app import create_app, emulator_state
from twilio_emulator.config import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    FIXED_FIELDS,
    SOURCE_PRESETS,
    EmulatorConfig,
    updated_config,
)
from twilio_emulator.server import bound_socket, family, server_config

__all__ = ["main", "parse_args", "parser"]


def _bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {text}")


def parser() -> argparse.ArgumentParser:
    """The command line: server options, then the settings most often changed at start."""
    p = argparse.ArgumentParser(
        prog="twilio-emulator",
        description="A Twilio emulator: Studio v2 executions and Event Streams on Twilio's wire "
        "format, with its own routes under /_emulator/. Defaults are EmulatorConfig's.",
        epilog="Every other setting of EmulatorConfig (docs/emulator.md) goes in --settings, "
        "and can be changed while it runs with POST /_emulator/config.",
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)"
    )
    p.add_argument(
        "--port", type=int, default=8765, help="port to listen on (default: %(default)s)"
    )
    p.add_argument("--account-sid", help=f"the account SID (default: {DEFAULT_ACCOUNT_SID})")
    p.add_argument("--auth-token", help=f"the auth token (default: {DEFAULT_AUTH_TOKEN})")
    p.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="SK...:SECRET",
        help="an API key and its secret accepted for Basic auth; repeat for several",
    )
    p.add_argument("--seed", type=int, help="seed of every random draw (default: 0)")
    p.add_argument("--account-cps", type=float, help="the account's calls per second (default: 1)")
    p.add_argument(
        "--cps-mode",
        choices=["reject", "queue"],
        help="creations above the CPS: answered 429 (reject) or started late (queue); "
        "default: reject",
    )
    p.add_argument(
        "--studio-executions-per-s",
        type=int,
        help="Studio's limit on executions created per second (default: 20)",
    )
    p.add_argument(
        "--retry-after-s",
        type=float,
        help="a Retry-After header, in seconds, on 429 answers (default: none)",
    )
    p.add_argument(
        "--time-scale",
        type=float,
        help="real seconds per simulated second of a call (default: 1; 0.02 plays calls 50 "
        "times as fast)",
    )
    p.add_argument(
        "--sources",
        choices=list(SOURCE_PRESETS),
        help="a preset of the sources settings below (default: description)",
    )
    p.add_argument(
        "--voice-events-on",
        choices=["all", "not_failed", "answered", "none"],
        help="the calls whose voice events are published (default: not_failed)",
    )
    p.add_argument(
        "--voice-events", type=_bool, help="older switch: true is --voice-events-on all, false none"
    )
    p.add_argument(
        "--callstatus-on",
        choices=["all", "failed", "none"],
        help="the calls the flow posts to callstatus_url for (default: all)",
    )
    p.add_argument(
        "--callstatus-call-sid",
        choices=["sent", "empty", "omitted"],
        help="the post's call_sid: sent, sent empty, or left out (default: sent)",
    )
    p.add_argument(
        "--voice-delay-s", type=float, help="real seconds added to voice events (default: 0)"
    )
    p.add_argument(
        "--studio-started-delay-s",
        type=float,
        help="real seconds added to Studio's execution.started (default: 0)",
    )
    p.add_argument(
        "--duplicate-probability",
        type=float,
        help="probability that an event is delivered twice (default: 0)",
    )
    p.add_argument(
        "--delivery-jitter-s",
        type=float,
        help="up to this many real seconds added to each event's delivery (default: 0)",
    )
    p.add_argument(
        "--validate-openapi",
        type=_bool,
        help="check every request and answer against Twilio's OpenAPI specs (default: false)",
    )
    p.add_argument(
        "--settings",
        type=json.loads,
        default={},
        help="more settings, as a JSON object (e.g. '{\"error_5xx_probability\": 0.1}')",
    )
    return p


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, EmulatorConfig]:
    """The command line's server options and the emulator settings it asks for; a wrong one
    ends the program with a usage error (exit 2) that names it."""
    line = parser()
    args = line.parse_args(argv)
    options = {k: v for k, v in vars(args).items() if v is not None}
    for name in ("host", "port"):
        options.pop(name)
    keys = options.pop("api_key")
    if any(":" not in key for key in keys):
        line.error("--api-key: give SK...:SECRET")
    api_keys = dict(k.split(":", 1) for k in keys)
    more = options.pop("settings")
    if not isinstance(more, dict):
        line.error("--settings: give a JSON object")
    options.update(more)
    fixed: dict[str, Any] = {k: options.pop(k) for k in FIXED_FIELDS & set(options)}
    fixed.setdefault("api_keys", api_keys)
    try:
        return args, updated_config(EmulatorConfig(**fixed), options)
    except (TypeError, ValueError) as exc:
        line.error(str(exc))


def main(argv: Sequence[str] | None = None) -> None:
    args, config = parse_args(argv)
    quiet_lost_answers()
    print(
        f"Twilio emulator on http://{args.host}:{args.port} "
        f"(account {config.account_sid}, stats at /_emulator/stats)",
        flush=True,
    )
    app = create_app(config)
    listener = emulator_state(app).arrivals.listening_socket(family(args.host))
    sock = bound_socket(args.host, args.port, listener)
    uvicorn.Server(server_config(app)).run(sockets=[sock])


if __name__ == "__main__":
    main()
