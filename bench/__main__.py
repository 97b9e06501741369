"""`python -m bench [--quick] [PART ...]`: measure, then rebuild the report.

PART is any of pacing, ceiling, webhooks, redis, scale, dialing, waiting (default: all, in
that order).
Each part's figures go to `<results>/<part>.json`; the report is rebuilt from every part found
there, so running one part refreshes its section and keeps the others. A run of standalone
parts alone (dialing, waiting: each section names its own run) keeps the other sections of the
page already written.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from bench import PARTS, report
from bench.machine import machine_facts

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
MODULES = {part: f"bench.{part}" for part in PARTS} | {"redis": "bench.redis_cost"}


def _runner(name: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    run: Callable[..., Awaitable[dict[str, Any]]] = importlib.import_module(MODULES[name]).run
    return run


def _args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("parts", nargs="*", metavar="PART", help=f"any of {', '.join(PARTS)}")
    p.add_argument("--quick", action="store_true", help="a short smoke run (small figures)")
    p.add_argument("--results", type=Path, default=ROOT / "bench" / "out")
    p.add_argument("--docs", type=Path, default=ROOT / "docs")
    args = p.parse_args(argv)
    unknown = sorted(set(args.parts) - set(PARTS))
    if unknown:
        p.error(f"unknown part(s): {', '.join(unknown)}")
    return args


def _git(*argv: str) -> str:
    done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def _commit() -> str:
    """The commit measured, and whether tracked files differed from it."""
    sha = _git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{sha} with uncommitted changes" if _git("status", "--porcelain", "-uno") else sha


async def _measure(name: str, args: argparse.Namespace, command: str) -> None:
    started = time.monotonic()
    print(f"bench: {name} ...", flush=True)
    figures = await _runner(name)(args.results / "logs", quick=args.quick)
    elapsed = time.monotonic() - started
    out = {
        "part": name,
        "quick": args.quick,
        "command": command,
        "commit": _commit(),
        "elapsed_s": elapsed,
        "machine": machine_facts(),
        "figures": figures,
    }
    (args.results / f"{name}.json").write_text(json.dumps(out, indent=1, allow_nan=True))
    print(f"bench: {name} done in {elapsed:.0f} s", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _args(argv)
    parts = args.parts or list(PARTS)
    args.results.mkdir(parents=True, exist_ok=True)
    command = shlex.join(["python", "-m", "bench", *(argv if argv is not None else sys.argv[1:])])
    started = time.monotonic()
    for name in parts:
        asyncio.run(_measure(name, args, command))
    total = time.monotonic() - started
    whole = total if not args.parts else None
    written = report.write(args.results, args.docs, total_s=whole)
    print(f"bench: {len(parts)} part(s) in {total:.0f} s; wrote {', '.join(map(str, written))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
