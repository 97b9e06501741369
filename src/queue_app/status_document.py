"""`queue-service status --json`: the executions' reports as one JSON document with stable keys.

Its JSON schema ships in the package (`queue_app.schemas.status_schema()`); a new key comes
with a new `schema_version`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from queue_app.client import ExecutionReport
from queue_core.domain.disposition import iso_utc

__all__ = ["STATUS_SCHEMA_VERSION", "status_document"]

STATUS_SCHEMA_VERSION = 1


def status_document(reports: Sequence[ExecutionReport], at: float) -> dict[str, Any]:
    """The document for `reports`, made at `at` (unix s)."""
    return {
        "schema_version": STATUS_SCHEMA_VERSION,
        "at": iso_utc(at),
        "executions": [
            _execution(r) for r in sorted(reports, key=lambda r: r.campaign_execution_id)
        ],
    }


def _execution(report: ExecutionReport) -> dict[str, Any]:
    pacing = report.pacing
    return {
        "campaign_execution_id": report.campaign_execution_id,
        "state": report.state.value,
        "launched": report.launched,
        "dispositions": report.dispositions,
        "active": report.active,
        "claimed": report.claimed,
        "cache_remaining": report.remaining,
        "updated_at": iso_utc(report.updated_at) if report.updated_at else None,
        "reason": report.reason,
        "owner": report.owner or None,
        "pacing": None
        if pacing is None
        else {
            "launch_rate": pacing.launch_rate,
            "launch_budget": pacing.launch_budget,
            "dial_ratio": pacing.dial_ratio,
            "reason": pacing.reason,
            "at": iso_utc(pacing.at),
        },
    }
