"""The dialing plot: occupancy against abandonment, one panel per configuration, with every
static ratio tried, the best of them, progressive at 1.0 and predictive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["plot_dialing"]


def plot_dialing(figures: dict[str, Any], path: Path) -> None:
    """Write the PNG: abandoned in the worst run (x) against mean occupancy (y)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configurations = figures["configurations"]
    columns = min(len(configurations), 3)
    rows = (len(configurations) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 3.8 * rows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax, c in zip(flat, configurations, strict=False):
        _panel(ax, c, 100 * figures["target"])
    for ax in flat[len(configurations) :]:
        ax.set_visible(False)
    fig.suptitle(
        "Occupancy against abandonment (worst run), each static ratio tried and the modes",
        fontsize="medium",
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _panel(ax: Any, c: dict[str, Any], target: float) -> None:
    grid = c["grid"]
    ax.plot(
        [100 * g[2] for g in grid],
        [100 * g[1] for g in grid],
        color="tab:gray",
        marker=".",
        linewidth=0.8,
        label="static ratios",
    )
    marks = (
        ("progressive", "s", "black", "progressive 1.0"),
        ("hindsight", "*", "tab:blue", "best static"),
        ("predictive", "o", "tab:red", "predictive"),
    )
    for key, marker, color, label in marks:
        m = c["modes"].get(key)
        if m is None:
            continue
        if "ratio" in m:
            label = f"{label} ({m['ratio']:.2f})"
        x, y = 100 * m["abandoned_worst_run"], 100 * m["occupancy"]
        ax.plot([x], [y], marker=marker, color=color, linestyle="", markersize=9, label=label)
    ax.axvline(target, color="tab:red", linestyle="--", linewidth=1)
    ax.set_xlim(0, max(2 * target, 1.0))
    ax.set_title(c["name"], fontsize="small")
    ax.set_xlabel("abandoned, worst run (%)")
    ax.set_ylabel("occupancy (%)")
    ax.legend(loc="lower right", fontsize="x-small")
