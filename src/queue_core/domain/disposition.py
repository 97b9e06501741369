"""One disposition per finished contact attempt: a `call_dispositions` entry (schema_version 2)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import TypedDict

from queue_core.domain.errors import ContractViolation

__all__ = ["SCHEMA_VERSION", "Disposition", "DispositionStatus", "iso_utc", "parse_iso_utc"]

SCHEMA_VERSION = 2
# Entries of an earlier version still in the stream read with the later fields' defaults.
_READABLE_VERSIONS = ("1", "2")


class DispositionStatus(enum.StrEnum):
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"
    INVALID_RECORD = "invalid_record"
    LAUNCH_FAILED = "launch_failed"
    UNKNOWN = "unknown"
    DNC = "dnc"  # not dialed: the number is on a do-not-call list
    OUTSIDE_WINDOW = "outside_window"  # not dialed: the execution ended while it waited


def iso_utc(at: float) -> str:
    """Unix seconds as ISO-8601 UTC with milliseconds and a `Z`."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso_utc(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _read_flag(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(f"{text!r} is not true or false")
    return text == "true"


@dataclass(frozen=True, slots=True)
class Disposition:
    """The contract's `call_dispositions` entry. Times are unix seconds.

    `agent_connected_s`: seconds from the person answering to an agent accepting the call
    (milliseconds kept), None when no agent did (or none is known to have); `retry_at` None
    while no further attempt follows (`final`)."""

    campaign_execution_id: str
    record_id: str
    status: DispositionStatus
    to: str
    from_: str
    launched_at: float
    ended_at: float
    execution_sid: str = ""
    call_sid: str = ""
    answered_by: str = ""
    duration_s: int = 0
    sip_response_code: str = ""
    error_code: str = ""
    error_message: str = ""
    attempt: int = 1
    final: bool = True
    retry_at: float | None = None
    campaign_id: str = ""
    human_answered: bool = False
    agent_connected_s: float | None = None
    abandoned: bool = False
    task_sid: str = ""

    def to_fields(self) -> dict[str, str]:
        connected = self.agent_connected_s
        return {
            "schema_version": str(SCHEMA_VERSION),
            "campaign_execution_id": self.campaign_execution_id,
            "record_id": self.record_id,
            "execution_sid": self.execution_sid,
            "call_sid": self.call_sid,
            "to": self.to,
            "from": self.from_,
            "status": self.status.value,
            "answered_by": self.answered_by,
            "duration_s": str(self.duration_s),
            "sip_response_code": self.sip_response_code,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "launched_at": iso_utc(self.launched_at),
            "ended_at": iso_utc(self.ended_at),
            "attempt": str(self.attempt),
            "final": _flag(self.final),
            "retry_at": "" if self.retry_at is None else iso_utc(self.retry_at),
            "campaign_id": self.campaign_id,
            "human_answered": _flag(self.human_answered),
            "agent_connected_s": "" if connected is None else f"{connected:.3f}",
            "abandoned": _flag(self.abandoned),
            "task_sid": self.task_sid,
        }

    @classmethod
    def from_fields(cls, entry: Mapping[str, str], *, entry_id: str = "") -> Disposition:
        """Parse a stream entry of schema_version 2 (or 1: the later fields take their
        defaults); raise `ContractViolation` on another schema or a bad field (naming
        `entry_id` when given)."""
        where = f"call_dispositions entry {entry_id}".rstrip()
        version = entry.get("schema_version")
        if version not in _READABLE_VERSIONS:
            raise ContractViolation(
                f"{where} has schema_version {version!r}, expected {SCHEMA_VERSION}"
            )
        try:
            return cls(
                campaign_execution_id=entry["campaign_execution_id"],
                record_id=entry["record_id"],
                status=DispositionStatus(entry["status"]),
                to=entry["to"],
                from_=entry["from"],
                launched_at=parse_iso_utc(entry["launched_at"]),
                ended_at=parse_iso_utc(entry["ended_at"]),
                execution_sid=entry.get("execution_sid", ""),
                call_sid=entry.get("call_sid", ""),
                answered_by=entry.get("answered_by", ""),
                duration_s=int(entry.get("duration_s", "0") or 0),
                sip_response_code=entry.get("sip_response_code", ""),
                error_code=entry.get("error_code", ""),
                error_message=entry.get("error_message", ""),
                **_version_2(entry),
            )
        except (KeyError, ValueError) as exc:
            raise ContractViolation(f"{where} is invalid: {exc}") from None


class _Version2(TypedDict):
    attempt: int
    final: bool
    retry_at: float | None
    campaign_id: str
    human_answered: bool
    agent_connected_s: float | None
    abandoned: bool
    task_sid: str


def _version_2(entry: Mapping[str, str]) -> _Version2:
    """The fields schema_version 2 added, as `Disposition` takes them (defaults when absent)."""
    retry_at, connected = entry.get("retry_at", ""), entry.get("agent_connected_s", "")
    return {
        "attempt": int(entry.get("attempt", "1")),
        "final": _read_flag(entry.get("final", "true")),
        "retry_at": parse_iso_utc(retry_at) if retry_at else None,
        "campaign_id": entry.get("campaign_id", ""),
        "human_answered": _read_flag(entry.get("human_answered", "false")),
        "agent_connected_s": float(connected) if connected else None,
        "abandoned": _read_flag(entry.get("abandoned", "false")),
        "task_sid": entry.get("task_sid", ""),
    }


FIELD_NAMES = tuple(f.name for f in fields(Disposition))
