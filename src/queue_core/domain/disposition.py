"""One disposition per finished contact attempt: a `call_dispositions` entry."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from queue_core.domain.errors import ContractViolation

__all__ = ["SCHEMA_VERSION", "Disposition", "DispositionStatus", "iso_utc", "parse_iso_utc"]

SCHEMA_VERSION = 1


class DispositionStatus(enum.StrEnum):
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"
    INVALID_RECORD = "invalid_record"
    LAUNCH_FAILED = "launch_failed"
    UNKNOWN = "unknown"


def iso_utc(at: float) -> str:
    """Unix seconds as ISO-8601 UTC with milliseconds and a `Z`."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso_utc(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True, slots=True)
class Disposition:
    """The contract's `call_dispositions` entry (schema_version 1). Times are unix seconds."""

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

    def to_fields(self) -> dict[str, str]:
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
        }

    @classmethod
    def from_fields(cls, entry: Mapping[str, str], *, entry_id: str = "") -> Disposition:
        """Parse a stream entry; raise `ContractViolation` on another schema or a bad field
        (naming `entry_id` when given)."""
        where = f"call_dispositions entry {entry_id}".rstrip()
        version = entry.get("schema_version")
        if version != str(SCHEMA_VERSION):
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
            )
        except (KeyError, ValueError) as exc:
            raise ContractViolation(f"{where} is invalid: {exc}") from None


FIELD_NAMES = tuple(f.name for f in fields(Disposition))
