"""The report's sections, one per part: figures as Markdown tables, and each goal's verdict."""

from __future__ import annotations

from typing import Any

from bench.dialing_section import GOAL_PREFIX, dialing
from bench.waiting_section import GOAL_PREFIX as WAITING_PREFIX
from bench.waiting_section import waiting

__all__ = ["GOAL_PREFIXES", "SECTIONS", "Goal"]

Goal = tuple[str, str, str, bool | None]  # figure, goal, measured, met (None: no goal)


def _f(value: float, digits: int = 2) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"


def _met(ok: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "-"}[ok]


def _sent(run: dict[str, Any]) -> str:
    most = run.get("max_in_1s_sent")
    return "n/a" if most is None else str(most)


def pacing(f: dict[str, Any]) -> tuple[list[str], list[Goal]]:
    lines = [
        "| budget | served by | runs | launches/run | mean rate / budget (median) "
        "| most in 1 s / budget, at the emulator (median) "
        "| per run: mean ratio; most in 1 s at the emulator / sent (at the wire) |",
        "|---|---|---|---|---|---|---|",
    ]
    goals: list[Goal] = []
    for b in f["budgets"]:
        runs = "; ".join(
            f"{_f(r['mean_ratio'], 4)}, {r['max_in_1s']} / {_sent(r)}" for r in b["runs"]
        )
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
        if b.get("sent_measured"):
            worst_sent = max(r["max1s_sent_ratio"] for r in b["runs"])
            goals.append(
                (
                    f"pacing {b['budget']:g}/s: most creates sent in any 1 s (at the wire) "
                    "/ budget",
                    "<= 1.0 (never above)",
                    f"{_f(worst_sent, 2)} (worst run)",
                    worst_sent <= 1.0,
                )
            )
        goals.append(
            (
                f"pacing {b['budget']:g}/s: most creates timed by the emulator in any 1 s / budget",
                "<= 1.0 (never above)",
                f"{_f(max(r['max1s_ratio'] for r in b['runs']), 2)} (worst run)",
                max(r["max1s_ratio"] for r in b["runs"]) <= 1.0,
            )
        )
    lines += [
        "",
        "Two clocks count the launches. The emulator's: when each create reached its socket, "
        "by the kernel's receive stamp (`twilio_emulator.arrivals`), so that the delays of "
        "the emulator's own loop do not count. And the wire's: when each create's request "
        "crossed the loopback interface, seen by the bench itself (`bench/wire.py`: a packet "
        "socket with a BPF filter, needs CAP_NET_RAW). Both are kernel times of the same "
        "packets, read by two different processes.",
    ]
    machine = [b for b in f["budgets"] if "median_service_cpu_ms" in b]
    if machine:
        lines += [
            "",
            "What launching took of the machine (from the start command to the last launch; "
            "the emulator stands in for Twilio but shares the cores): CPU ms per launch, "
            "service and emulator (median of runs); the service's seconds on a core and "
            "runnable but waiting for one, per run (/proc schedstat).",
            "",
            "| budget | service CPU ms/launch | emulator CPU ms/launch "
            "| service on a core / waiting for one, per run |",
            "|---|---|---|---|",
        ]
        for b in machine:
            waits = "; ".join(
                f"{_f(r['service_ran_s'], 1)} s / {_f(r['service_waited_s'], 1)} s"
                for r in b["runs"]
            )
            lines.append(
                f"| {b['budget']:g}/s | {_f(b['median_service_cpu_ms'], 1)} "
                f"| {_f(b['median_emulator_cpu_ms'], 1)} | {waits} |"
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
    nan = float("nan")
    lag, steady = f["loop_lag"], f["loop_lag_steady"]
    n, each, sp = f["executions"], f["launches_each_steady"], f["spread"]

    def after(seconds: float) -> str:
        within = f"not within {f['start_cap_s']:g} s"
        return within if seconds != seconds else f"after {_f(seconds, 0)} s"

    worst = (
        "not all measured" if sp["max_dev"] == float("inf") else f"{_f(sp['max_dev'] * 100, 1)}%"
    )
    first = f["first_launch_s"]
    lines = [
        f"{n} executions, fixed pacing, equal shares of an account rate of "
        f"{f['account_rate']:g}/s: **{f['budget_each']:g}/s each**; {f['contacts_each']} "
        f"contacts each ({f['ran_dry']} ran out). All start commands sent at once; every "
        f"execution running: {after(f['all_started_after_s'])}; every one launched at "
        f"least once: {after(f['all_launched_after_s'])} (polled every 2 s; the start phase "
        f"ends at {f['start_cap_s']:g} s in any case); "
        f"then a steady window of {f['steady_s']:g} s.",
        "",
        f"- resident memory: {_f(f['rss_idle_mb'], 0)} MB idle, peak "
        f"**{_f(f['rss_peak_mb'], 0)} MB**",
        f"- first launch after the start commands, at the emulator: median "
        f"{_f(first['median'], 1)} s, last {_f(first['max'], 1)} s "
        f"({f['executions_launching']} of {n} executions launched at all)",
        f"- steady window: {f['launches_steady']} launches, "
        f"{_f(f['account_rate_steady'], 1)}/s against {f['account_rate']:g}/s, while the "
        f"account's shared schedule reserved {_f(f.get('slots_per_s_steady', nan), 1)} "
        f"slots/s; per execution "
        f"{each['min']} / {_f(each['median'], 0)} / {each['max']} launches (min / median / max)",
        f"- launch rate per execution, (n - 1) / (last - first) over its launches in the steady "
        f"window, for the {f['executions_measured']} of {n} executions with at least "
        f"{f['min_launches']} there (launches are paced one every 1/rate s, so a few give the "
        f"rate): min {_f(f['rate_min'], 4)}, p5 {_f(f['rate_p5'], 4)}, median "
        f"{_f(f['rate_median'], 4)}, p95 {_f(f['rate_p95'], 4)}, max {_f(f['rate_max'], 4)}/s; "
        f"mean / budget {_f(f['rate_mean_over_budget'], 3)}",
        f"- spread, against the median: largest |rate / median - 1| **{worst}** (counted "
        f"over all {n}: an execution not measured is outside any goal); "
        f"(max - min) / median {_f(sp['range'] * 100, 1)}%; (p95 - p5) / median "
        f"{_f(sp['p5_p95'] * 100, 1)}%",
        f"- loop scheduling delay (20 ms sleeps): p50 {_f(lag['p50_ms'], 1)} ms, p99 "
        f"{_f(lag['p99_ms'], 1)} ms, max {_f(lag['max_ms'], 1)} ms over the whole run; steady "
        f"window p50 {_f(steady['p50_ms'], 1)} ms, p99 {_f(steady['p99_ms'], 1)} ms",
        f"- cost in the steady window: service {_f(f['service_cores_steady'], 2)} cores, Redis "
        f"{_f(f['redis_cores_steady'], 2)} cores and {_f(f['redis_commands_per_s_steady'], 0)} "
        f"commands/s ({_f(f['redis_commands_per_s_steady'] / n, 1)} per execution, scripts' "
        f"commands included); runners that lost their lease over the run: {f['leases_lost']}",
    ]
    goals: list[Goal] = [
        (
            f"scale, {n} executions: resident memory",
            "< 300 MB",
            f"{_f(f['rss_peak_mb'], 0)} MB",
            f["rss_peak_mb"] < 300,
        ),
        (
            f"scale, {n} executions: launch rate spread (largest deviation from the median)",
            "within 5%",
            f"{worst} ({f['executions_measured']} of {n} measured)",
            sp["max_dev"] <= 0.05,
        ),
        (
            f"scale, {n} executions: loop delay p99 (steady window)",
            "(measure)",
            f"{_f(steady['p99_ms'], 1)} ms",
            None,
        ),
        (
            f"scale, {n} executions: every one launched once",
            "(measure)",
            after(f["all_launched_after_s"]),
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
    "dialing": ("6. Dialing efficiency: a simulated call centre", dialing),
    "waiting": ("7. Dialing rules: the storage path", waiting),
}
# How the summary rows of a standalone part begin.
GOAL_PREFIXES = {"dialing": GOAL_PREFIX, "waiting": WAITING_PREFIX}
