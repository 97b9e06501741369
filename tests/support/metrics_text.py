"""Reading counters from the service's `/metrics` text exposition."""

from __future__ import annotations

import re

__all__ = ["metric_total"]


def metric_total(exposition: str, name: str, **labels: str) -> float:
    """Sum of one metric's samples whose labels include `labels`, in a text exposition (a
    sample without labels counts when none are asked for)."""
    total = 0.0
    pattern = rf"^{name}(?:\{{(.*)\}})? (\S+)$"
    for found, value in re.findall(pattern, exposition, re.MULTILINE):
        pairs = dict(re.findall(r'(\w+)="([^"]*)"', found))
        if labels.items() <= pairs.items():
            total += float(value)
    return total
