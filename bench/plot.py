"""The pacing plot: budget against achieved launch rate over time, one panel per budget and
one for the 429 storm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["plot_pacing"]


def plot_pacing(figures: dict[str, Any], path: Path) -> None:
    """Write the PNG; the rates are 1-second sliding windows at the emulator."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels: list[dict[str, Any]] = list(figures["budgets"])
    storm = figures.get("storm")
    count = len(panels) + (1 if storm else 0)
    columns = min(count, 3)
    rows = (count + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 3.4 * rows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax, panel in zip(flat, panels, strict=False):
        _panel(ax, panel["series"], panel["budget"], f"budget {panel['budget']:g}/s")
    if storm:
        ax = flat[len(panels)]
        _panel(ax, storm["series"], storm["budget"], f"budget {storm['budget']:g}/s, 429 storm")
        ax.axvspan(storm["storm_from_s"], storm["storm_to_s"], color="red", alpha=0.15)
        ax.text(storm["storm_from_s"], storm["budget"] * 0.1, " 429s", color="red")
    for ax in flat[count:]:
        ax.set_visible(False)
    fig.suptitle("Launch rate at the emulator (1 s window) vs budget", fontsize="medium")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _panel(ax: Any, series: list[list[float]], budget: float, title: str) -> None:
    xs = [point[0] for point in series]
    ys = [point[1] for point in series]
    ax.plot(xs, ys, label="achieved", color="tab:blue")
    ax.axhline(budget, color="black", linestyle="--", linewidth=1, label="budget")
    ax.set_title(title)
    ax.set_xlabel("s since the first launch")
    ax.set_ylabel("launches/s")
    ax.set_ylim(0, max([budget, *ys]) * 1.25)
    ax.legend(loc="lower right", fontsize="small")
