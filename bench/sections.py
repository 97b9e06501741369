"""The report's sections, one per part: figures as Markdown tables, and each goal's verdict."""

from __future__ import annotations

from typing import Any

__all__ = ["SECTIONS", "Goal"]

Goal = tuple[str, str, str, bool | None]  # figure, goal, measured, met (None: no goal)


def _f(value: float, digits: int = 2) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"


def _met(ok: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "-"}[ok]


def pacing(f: dict[str, Any]) -> tuple[list[str], list[Goal]]:
    lines = [
        "| budget | served by | runs | launches/run | mean rate / budget (median) "
        "| most in 1 s / budget (median) | per run: mean ratio; most in 1 s |",
        "|---|---|---|---|---|---|---|",
    ]
    goals: list[Goal] = []
    for b in f["budgets"]:
        runs = "; ".join(f"{_f(r['mean_ratio'], 4)}, {r['max_in_1s']}" for r in b["runs"])
        lines.append(
            f"| {b['budget']:g}/s | `{b['command']}` | {len(b['runs'])} "
            f"| {b['runs'][0]['contacts']} | {_f(b['median_mean_ratio'], 4)} "
            f"| {_f(b['median_max1s_ratio'], 2)} | {runs} |"
        )
        goals.append(
            (
                f"pacing {b['budget']:g}/s: mean rate / budget",
                ">= 0.99",
                _f(b["median_mean_ratio"], 4),
                b["median_mean_ratio"] >= 0.99,
            )
        )
        goals.append(
            (
                f"pacing {b['budget']:g}/s: most launches in any 1 s / budget",
                "<= 1.0 (never above)",
                f"{_f(max(r['max1s_ratio'] for r in b['runs']), 2)} (worst run)",
                max(r["max1s_ratio"] for r in b["runs"]) <= 1.0,
            )
        )
    storm = f.get("storm")
    if storm:
        runs = ", ".join(f"{_f(r['recovery_s'], 1)} s" for r in storm["runs"])
        lines += [
            "",
            f"429 storm: at {storm['budget']:g}/s, every create answered 429 for "
            f"{storm['storm_s']:g} s (`force_429_for_s`, no Retry-After). Recovery = from the "
            "storm's end to the start of the first 2 s window holding 95% of the budget's "
            f"launches. Runs: {runs}; median **{_f(storm['median_recovery_s'], 1)} s**; "
            f"429s answered per run: {', '.join(str(r['answered_429']) for r in storm['runs'])}.",
        ]
        goals.append(
            (
                f"429 storm ({storm['storm_s']:g} s) at {storm['budget']:g}/s: back to 95%",
                "(measure)",
                f"{_f(storm['median_recovery_s'], 1)} s",
                None,
            )
        )
    lines += ["", "![pacing](benchmarks-pacing.png)"]
    return lines, goals


def ceiling(f: dict[str, Any]) -> tuple[list[str], list[Goal]]:
    lines = [
        f"{f['contacts_per_run']} contacts per run; rate over the middle 80% of launches.",
        "",
        "| emulator answers | runs | launches/s (median) | per run | service CPU ms/launch "
        "| service CPU (cores) | emulator CPU (cores) | loop delay p99 (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    goals: list[Goal] = []
    for name, c in f["conditions"].items():
        runs = ", ".join(_f(r["rate"], 0) for r in c["runs"])
        lag = ", ".join(_f(r["loop_lag"].get("p99_ms", float("nan")), 1) for r in c["runs"])
        lines.append(
            f"| {name} | {len(c['runs'])} | {_f(c['median_rate'], 0)} | {runs} "
            f"| {_f(c['median_cpu_ms_per_launch'], 2)} | {_f(c['median_service_cpu_share'], 2)} "
            f"| {_f(c['median_emulator_cpu_share'], 2)} | {lag} |"
        )
        goal = 500 if name == "at once" else 400
        goals.append(
            (
                f"launch ceiling, emulator answering {name}",
                f">= {goal}/s",
                f"{_f(c['median_rate'], 0)}/s, {_f(c['median_cpu_ms_per_launch'], 2)} ms CPU each",
                c["median_rate"] >= goal,
            )
        )
    return lines, goals


def webhooks(f: dict[str, Any]) -> tuple[list[str], list[Goal]]:
    lines = [
        f"Signed batches, signatures checked; {f['concurrency']} requests in flight; medians "
        "of the runs.",
        "",
        "| batch | endpoint | events/s | p50 ms | p99 ms | per run events/s | facts matched |",
        "|---|---|---|---|---|---|---|",
    ]
    goals: list[Goal] = []
    for batch, ends in f["batches"].items():
        for name, e in ends.items():
            runs = ", ".join(_f(r["events_per_s"], 0) for r in e["runs"])
            matched = sum(r.get("matched", 0) for r in e["runs"])
            unmatched = sum(r.get("unmatched", 0) for r in e["runs"])
            shown = f"{matched} / {matched + unmatched}" if name == "service" else "-"
            lines.append(
                f"| {batch} | {name} | {_f(e['median_events_per_s'], 0)} "
                f"| {_f(e['median_p50_ms'], 1)} | {_f(e['median_p99_ms'], 1)} | {runs} "
                f"| {shown} |"
            )
        share = ends["service"]["median_events_per_s"] / ends["bare"]["median_events_per_s"]
        goals.append(
            (
                f"webhook intake, batches of {batch}: service / bare endpoint",
                ">= 50%" if batch == "50" else "(measure)",
                f"{share:.0%}",
                share >= 0.5 if batch == "50" else None,
            )
        )
    return lines, goals


def redis(f: dict[str, Any]) -> tuple[list[str], list[Goal]]:
    c, m = f["campaign"], f["memory"]
    by = sorted(f["lifecycle_by_command"].items(), key=lambda kv: -kv[1])
    polling = sorted(f["polling_by_command"].items(), key=lambda kv: -kv[1])
    lines = [
        f"Campaign: {c['contacts']} contacts at {c['budget']:g}/s, {_f(c['seconds'], 1)} s from "
        f"`start` to `{c['state']}`, {c['dispositions']} dispositions.",
        "",
        f"- round trips per contact, all in: **{_f(f['round_trips_per_contact'], 1)}**; "
        f"the contact's own lifecycle: **{_f(f['lifecycle_round_trips_per_contact'], 1)}**",
        "- lifecycle, per contact: " + ", ".join(f"{k} {_f(v, 2)}" for k, v in by),
        "- polling and control, per contact: " + ", ".join(f"{k} {_f(v, 2)}" for k, v in polling),
        f"- commands run inside scripts, per contact: {_f(f['script_commands_per_contact'], 1)}",
        f"- memory: {_f(m['bytes_per_contact_in_flight'], 0)} bytes per contact in flight "
        f"(just launched, no webhook yet; {m['launched']} contacts), "
        f"{_f(m['cache_bytes_per_record'], 0)} bytes per record waiting in the cache",
    ]
    goals: list[Goal] = [
        (
            "Redis round trips per contact lifecycle",
            "<= 8",
            f"{_f(f['lifecycle_round_trips_per_contact'], 1)} "
            f"({_f(f['round_trips_per_contact'], 1)} all in)",
            f["lifecycle_round_trips_per_contact"] <= 8,
        ),
        (
            "Redis memory per contact in flight",
            "(measure)",
            f"{_f(m['bytes_per_contact_in_flight'], 0)} B",
            None,
        ),
    ]
    return lines, goals


def scale(f: dict[str, Any]) -> tuple[list[str], list[Goal]]:
    lag, steady = f["loop_lag"], f["loop_lag_steady"]
    lines = [
        f"{f['executions']} executions, account rate {f['account_rate']:g}/s "
        f"({f['budget_each']:g}/s each), {f['seconds']:g} s; all had launched after "
        f"{_f(f['all_started_after_s'], 1)} s; {f['executions_measured']} measured after that.",
        "",
        f"- resident memory: {_f(f['rss_idle_mb'], 0)} MB idle, peak "
        f"**{_f(f['rss_peak_mb'], 0)} MB**; service CPU {_f(f['service_cpu_s'], 1)} s",
        f"- launch rate per execution: mean {_f(f['rate_mean'], 4)}/s, min "
        f"{_f(f['rate_min'], 4)}, p5 {_f(f['rate_p5'], 4)}, p95 {_f(f['rate_p95'], 4)}, max "
        f"{_f(f['rate_max'], 4)}; largest deviation from the mean **"
        f"{_f(f['spread_max_dev'] * 100, 1)}%**",
        f"- account: {f['launches']} launches, {_f(f['account_rate_achieved'], 1)}/s after "
        f"all started; most in any 1 s: {f['max_launches_in_1s']} "
        f"(account rate {f['account_rate']:g}/s)",
        f"- loop scheduling delay (20 ms sleeps): p50 {_f(lag['p50_ms'], 1)} ms, p99 "
        f"{_f(lag['p99_ms'], 1)} ms, max {_f(lag['max_ms'], 1)} ms over the whole run; "
        f"p99 {_f(steady['p99_ms'], 1)} ms once all had started",
    ]
    goals: list[Goal] = [
        (
            f"scale, {f['executions']} executions: resident memory",
            "< 300 MB",
            f"{_f(f['rss_peak_mb'], 0)} MB",
            f["rss_peak_mb"] < 300,
        ),
        (
            f"scale, {f['executions']} executions: launch rate spread",
            "within 5%",
            f"{_f(f['spread_max_dev'] * 100, 1)}%",
            f["spread_max_dev"] <= 0.05,
        ),
        (
            f"scale, {f['executions']} executions: loop delay p99",
            "(measure)",
            f"{_f(lag['p99_ms'], 1)} ms",
            None,
        ),
    ]
    return lines, goals


SECTIONS = {
    "pacing": ("1. Pacing accuracy", pacing),
    "ceiling": ("2. Launch ceiling of one process", ceiling),
    "webhooks": ("3. Webhook intake", webhooks),
    "redis": ("4. Redis cost", redis),
    "scale": ("5. Scale: many executions in one process", scale),
}
