"""`docs/benchmarks.md` and its pacing plot, rebuilt from every part's figures on file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import PARTS, SIMULATED, STANDALONE
from bench.dialing_plot import plot_dialing
from bench.page import Page
from bench.plot import plot_pacing
from bench.sections import GOAL_PREFIXES, SECTIONS, Goal, _met

__all__ = ["write"]

FINDINGS = Path(__file__).with_name("findings.md")
_PROFILE_LINES = 28


def _load(results: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for part in PARTS:
        path = results / f"{part}.json"
        if path.exists():
            found[part] = json.loads(path.read_text())
    return found


def _machine(parts: dict[str, dict[str, Any]], total_s: float | None) -> list[str]:
    first = next(iter(parts.values()))
    m = first["machine"]
    commands = sorted({p["command"] for p in parts.values()})
    took = ", ".join(f"{name} {p['elapsed_s']:.0f} s" for name, p in parts.items())
    lines = [
        "| | |",
        "|---|---|",
        f"| cores (`nproc`) | {m['nproc']} |",
        f"| CPU (/proc/cpuinfo) | {m['cpu_model']} |",
        f"| memory | {m['memory_gib']} GiB |",
        f"| Python | {m['python']} ({m['platform']}) |",
        f"| date | {', '.join(sorted({p['machine']['date'] for p in parts.values()}))} |",
        f"| commit | {', '.join(sorted({p.get('commit', 'unknown') for p in parts.values()}))} |",
        f"| command | {', '.join(f'`{c}`' for c in commands)} |",
        f"| time per part | {took} |",
    ]
    if total_s is not None:
        lines.append(f"| whole run | {total_s:.0f} s |")
    if any(p["quick"] for p in parts.values()):
        lines.append("| note | **quick run: smoke figures, not benchmarks** |")
    return lines


def _profiles(part: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for name, path in part["figures"].get("profiles", {}).items():
        profile = Path(path)
        if not profile.exists():
            continue
        # The file holds two listings, each headed "== flat, ... time ==": the first, own time.
        own = profile.read_text().split("\n\n== ")[0]
        text = [line for line in own.splitlines() if line.strip()][:_PROFILE_LINES]
        out += [
            "",
            f"<details><summary>pyinstrument, one extra run with the emulator answering {name}"
            " (flat, own time)</summary>",
            "",
            "```",
            *text,
            "```",
            "</details>",
        ]
    return out


def _took(name: str, part: dict[str, Any]) -> str:
    took = (
        f"`{part['command']}`, {part['elapsed_s']:.0f} s "
        f"(this part alone: `python -m bench {name}`)."
    )
    if name in SIMULATED:
        took += (
            f" Commit {part.get('commit', 'unknown')}, {part['machine']['date']}; simulated "
            "time: the figures do not depend on the machine."
        )
    elif name in STANDALONE:
        m = part["machine"]
        took += (
            f" Commit {part.get('commit', 'unknown')}, {m['date']}, on {m['nproc']} cores "
            f"({m['cpu_model']})."
        )
    if part.get("quick"):
        took += " **Quick run: smoke figures, not benchmarks.**"
    return took


def _body(
    parts: dict[str, dict[str, Any]], kept: Page | None
) -> tuple[list[str], list[Goal], list[str]]:
    """The sections in order, the goals of the parts measured, and the summary rows kept."""
    goals: list[Goal] = []
    body: list[str] = []
    for name in PARTS:
        title, render = SECTIONS[name]
        if name not in parts:
            if kept is not None and title in kept.sections:
                body += ["", f"## {title}", *kept.sections[title]]
            continue
        part = parts[name]
        lines, part_goals = render(part["figures"])
        goals += part_goals
        body += ["", f"## {title}", "", _took(name, part), ""]
        body += lines
        if name == "ceiling":
            body += _profiles(part)
    prefixes = tuple(GOAL_PREFIXES[name] for name in parts if name in GOAL_PREFIXES)
    rows = kept.rows_not_of(prefixes) if kept is not None else []
    return body, goals, rows


def _head(machine: list[str], summary: list[str]) -> list[str]:
    return [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (the `bench/` package) from real processes: "
        "`queue-service serve` (or its bench variant `python -m bench.uncapped`, named where "
        "used), a private `redis-server`, the Twilio emulator (`python -m twilio_emulator`), "
        "all on loopback; and, for dialing efficiency, the real pacer against a call centre "
        "simulated on a fake clock. Do not edit by hand; the findings come from "
        "`bench/findings.md`.",
        "",
        "Every figure measured on real processes is from the run in the table below: its date, "
        "its commit, the machine it ran on. Each section names the command that measured it; "
        "the simulated part also names its commit and date.",
        "",
        "Run it: `pip install -e '.[dev,bench]'`, then `python -m bench` (every part), "
        "`python -m bench pacing` (one part: pacing, ceiling, webhooks, redis, scale, dialing, "
        "waiting) "
        "or `python -m bench --quick` (a smoke run).",
        "",
        "## Machine and run",
        "",
        *machine,
        "",
        "Every process of a part (service, emulator, Redis, load generator) runs on these "
        "cores, beside whatever else the machine runs at the time: compare figures within one "
        "run.",
        "",
        "## Summary",
        "",
        *summary,
    ]


def write(results: Path, docs: Path, *, total_s: float | None = None) -> list[Path]:
    """Write the report (and the plots of the parts measured); the paths written. When only
    standalone parts (`bench.STANDALONE`) have figures on file, the page already written keeps
    its other parts."""
    parts = _load(results)
    if not parts:
        return []
    docs.mkdir(parents=True, exist_ok=True)
    md = docs / "benchmarks.md"
    standalone = all(name in STANDALONE for name in parts)
    kept = Page.read(md.read_text()) if standalone and md.exists() else None
    written = []
    body, goals, rows = _body(parts, kept)
    plots = {"pacing": plot_pacing, "dialing": plot_dialing}
    for name, plot in plots.items():
        if name in parts:
            png = docs / f"benchmarks-{name}.png"
            plot(parts[name]["figures"], png)
            written.append(png)
    summary = ["| figure | goal | measured | |", "|---|---|---|---|", *rows]
    summary += [f"| {f} | {g} | {m} | {_met(ok)} |" for f, g, m, ok in goals]
    machine = kept.machine if kept is not None and kept.machine else _machine(parts, total_s)
    findings = ["", FINDINGS.read_text().rstrip()] if FINDINGS.exists() else []
    md.write_text("\n".join([*_head(machine, summary), *body, *findings]) + "\n")
    written.insert(0, md)
    return written
