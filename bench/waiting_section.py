"""The report's section on the dialing rules' storage path: round trips per contact with
calling windows, do-not-call lists and retries on and off, and the waiting set's rates."""

from __future__ import annotations

from typing import Any

__all__ = ["GOAL_PREFIX", "waiting"]

GOAL_PREFIX = "storage of the dialing rules"

Goal = tuple[str, str, str, bool | None]


def _top(by_command: dict[str, float], most: int = 6) -> str:
    return ", ".join(f"{name} {n:.2f}" for name, n in list(by_command.items())[:most])


def _table(f: dict[str, Any]) -> list[str]:
    lines = [
        f"The storage ports driven directly on a private `redis-server`, claims by {f['batch']}, "
        f"{f['lists']} do-not-call lists (one contact in ten listed), half of each batch "
        "deferred for its window and taken back, every dialed contact retried once. Round "
        "trips as MONITOR logs them (the do-not-call lookup's pipeline counted once); "
        "per disposition = per attempt, plus the `dnc` ones.",
        "",
        "| steps | rules | contacts | dispositions | round trips / contact "
        "| / disposition | most frequent commands, per contact |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in f["round_trips"].items():
        way, rules = name.split(", rules ")
        lines.append(
            f"| {way} | {rules} | {r['contacts']} | {r['dispositions']} "
            f"| {r['per_contact']:.2f} | {r['per_disposition']:.2f} | {_top(r['by_command'])} |"
        )
    return lines


def _launches(launches: dict[str, Any] | None) -> list[str]:
    """The launch rate of `serve` with and without records waiting (absent from older runs)."""
    if not launches:
        return []
    lines = [
        "",
        f"`serve` launching at {launches['budget']:g}/s (the bench variant with Studio's cap "
        f"lifted), the dialing rules on, {launches['runs']} runs of {launches['seconds']:g} s "
        "each (medians):",
        "",
        "| records waiting in the execution | mean rate / budget | most creates in 1 s / budget |",
        "|---|---|---|",
    ]
    for waiting in ("0", "10000"):
        r = launches[waiting]
        lines.append(f"| {int(waiting):,} | {r['mean_ratio']:.4f} | {r['max1s_ratio']:.2f} |")
    return lines


def waiting(f: dict[str, Any]) -> tuple[list[str], list[Goal]]:
    rates = f["rates"]
    lines = [
        *_table(f),
        "",
        f"With {rates['waiting']:,} records waiting (all due), one client taking 100 at a time: "
        f"**{rates['take_due_per_s']:,.0f} records/s** taken back "
        f"(claims from a cache of as many: {rates['claim_per_s']:,.0f}/s; claim and defer: "
        f"{rates['claim_and_defer_per_s']:,.0f}/s). On the same set, a take when none is due "
        f"{rates['take_none_due_us']:,.0f} us and `next_due` {rates['next_due_us']:,.0f} us "
        "per call, round trip included.",
        *_launches(f.get("launches")),
    ]
    one = f["round_trips"]
    off, on = one["one script per step, rules off"], one["one script per step, rules on"]
    more = on["per_disposition"] - off["per_disposition"]
    goals: list[Goal] = [
        (
            f"{GOAL_PREFIX}: Redis round trips per disposition, one server, rules on (off)",
            "at most 1 more",
            f"{on['per_disposition']:.2f} ({off['per_disposition']:.2f}), {more:+.2f}",
            more <= 1.0,
        ),
        (
            f"{GOAL_PREFIX}: taken back from {rates['waiting']:,} waiting records",
            "(measure)",
            f"{rates['take_due_per_s']:,.0f} records/s",
            None,
        ),
    ]
    return lines, goals
