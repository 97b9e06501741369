"""Reading the monitoring files of `deploy/`: the alert rules, the dashboard's queries, and the
metric names they use, for checking them against a `/metrics` exposition."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ALERTS",
    "DASHBOARD",
    "alert_rules",
    "dashboard_queries",
    "exposed_names",
    "metric_names",
]

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboard.json"
_SERIES = re.compile(r"\b((?:dialer_queue|process)_[a-z0-9_]+)\b")
_HISTOGRAM_PARTS = ("_bucket", "_sum", "_count")


def alert_rules() -> list[dict[str, Any]]:
    """Every rule of every group of the alert file."""
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_queries() -> list[str]:
    """The PromQL of every target of every panel of the dashboard."""
    document = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in document["panels"] for target in panel["targets"]]


def metric_names(expr: str) -> set[str]:
    """The service's series a PromQL expression names (`dialer_queue_*`, `process_*`)."""
    return set(_SERIES.findall(expr))


def exposed_names(exposition: str) -> set[str]:
    """The series names an exposition offers: each family's name (`# TYPE`), and for a
    histogram its `_bucket`, `_sum` and `_count` series too."""
    names: set[str] = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", exposition, re.MULTILINE):
        names.add(name)
        if kind == "histogram":
            names.update(name + part for part in _HISTOGRAM_PARTS)
    return names
