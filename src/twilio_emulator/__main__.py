"""`python -m twilio_emulator --port 8765 [--account-cps 5] ...`: the emulator under uvicorn."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

import uvicorn

from twilio_emulator._answers import quiet_lost_answers
from twilio_emulator.app import create_app, emulator_state
from twilio_emulator.config import FIXED_FIELDS, SOURCE_PRESETS, EmulatorConfig, updated_config
from twilio_emulator.server import bound_socket, family, server_config

__all__ = ["main", "parse_args"]


def _bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {text}")


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, EmulatorConfig]:
    """The command line's server options and the emulator settings it asks for."""
    p = argparse.ArgumentParser(prog="python -m twilio_emulator", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--account-sid")
    p.add_argument("--auth-token")
    p.add_argument("--api-key", action="append", default=[], metavar="SK...:SECRET")
    p.add_argument("--seed", type=int)
    p.add_argument("--account-cps", type=float)
    p.add_argument("--cps-mode", choices=["reject", "queue"])
    p.add_argument("--studio-executions-per-s", type=int)
    p.add_argument("--retry-after-s", type=float)
    p.add_argument("--time-scale", type=float)
    p.add_argument("--sources", choices=list(SOURCE_PRESETS), help="a preset of the below")
    p.add_argument("--voice-events-on", choices=["all", "not_failed", "answered", "none"])
    p.add_argument("--voice-events", type=_bool, help="older switch: all or none")
    p.add_argument("--callstatus-on", choices=["all", "failed", "none"])
    p.add_argument("--callstatus-call-sid", choices=["sent", "empty", "omitted"])
    p.add_argument("--voice-delay-s", type=float)
    p.add_argument("--studio-started-delay-s", type=float)
    p.add_argument("--duplicate-probability", type=float)
    p.add_argument("--delivery-jitter-s", type=float)
    p.add_argument("--validate-openapi", type=_bool)
    p.add_argument("--settings", type=json.loads, default={}, help="more settings, as JSON")
    args = p.parse_args(argv)
    options = {k: v for k, v in vars(args).items() if v is not None}
    for name in ("host", "port"):
        options.pop(name)
    api_keys = dict(k.split(":", 1) for k in options.pop("api_key"))
    options.update(options.pop("settings"))
    fixed: dict[str, Any] = {k: options.pop(k) for k in FIXED_FIELDS & set(options)}
    fixed.setdefault("api_keys", api_keys)
    return args, updated_config(EmulatorConfig(**fixed), options)


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
