"""Queue lifecycle events: `queue_event_stream` entries."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from queue_core.domain.abandonment import AbandonmentCounts, format_rate
from queue_core.domain.bounds import MAX_ID_ECHO_CHARS, cut
from queue_core.domain.disposition import iso_utc, parse_iso_utc
from queue_core.domain.errors import ContractViolation

__all__ = ["QueueEvent", "QueueEventType"]


class QueueEventType(enum.StrEnum):
    STARTED = "started"
    PAUSED = "paused"
    RESUMED = "resumed"
    STOPPED = "stopped"
    COMPLETED = "completed"
    FAILED = "failed"
    COMMAND_REJECTED = "command_rejected"
    PROGRESS = "progress"


@dataclass(frozen=True, slots=True)
class QueueEvent:
    """One lifecycle event with the execution's counts at the time it happened.

    `human_answered` and `abandoned` count this run of the execution (its `abandon_rate` is
    theirs); `campaign_abandon_rate_30d` is its campaign's over 30 days (ADR 0025), None when
    the execution names no campaign. The last four are a `progress` event's (None on the
    others): records waiting for their calling window and for a retry, records still in the
    cache, and the dial ratio in force."""

    event: QueueEventType
    campaign_execution_id: str
    at: float
    launched: int = 0
    dispositions: int = 0
    active: int = 0
    request_id: str | None = None
    reason: str | None = None
    human_answered: int = 0
    abandoned: int = 0
    campaign_abandon_rate_30d: float | None = None
    waiting_for_window: int | None = None
    waiting_for_retry: int | None = None
    cache_remaining: int | None = None
    dial_ratio: float | None = None

    @property
    def abandon_rate(self) -> float:
        return AbandonmentCounts(self.human_answered, self.abandoned).rate

    def to_fields(self) -> dict[str, str]:
        """The stream entry; `request_id` and `reason` echo outside text, so they are cut
        (`queue_core.domain.bounds`: MAX_ID_ECHO_CHARS and MAX_ECHO_CHARS)."""
        fields = {
            "event": self.event.value,
            "campaign_execution_id": self.campaign_execution_id,
            "at": iso_utc(self.at),
            "launched": str(self.launched),
            "dispositions": str(self.dispositions),
            "active": str(self.active),
            "human_answered": str(self.human_answered),
            "abandoned": str(self.abandoned),
            "abandon_rate": format_rate(self.abandon_rate),
        }
        if self.campaign_abandon_rate_30d is not None:
            fields["campaign_abandon_rate_30d"] = format_rate(self.campaign_abandon_rate_30d)
        fields.update(self._progress_fields())
        if self.request_id is not None:
            fields["request_id"] = cut(self.request_id, MAX_ID_ECHO_CHARS)
        if self.reason is not None:
            fields["reason"] = cut(self.reason)
        return fields

    def _progress_fields(self) -> dict[str, str]:
        counts = {
            "waiting_for_window": self.waiting_for_window,
            "waiting_for_retry": self.waiting_for_retry,
            "cache_remaining": self.cache_remaining,
        }
        fields = {name: str(count) for name, count in counts.items() if count is not None}
        if self.dial_ratio is not None:
            fields["dial_ratio"] = f"{self.dial_ratio:.2f}"
        return fields

    @classmethod
    def from_fields(cls, entry: Mapping[str, str]) -> QueueEvent:
        """Parse a stream entry (`abandon_rate` is not read: the counts give it)."""
        campaign_rate = entry.get("campaign_abandon_rate_30d", "")
        try:
            return cls(
                event=QueueEventType(entry["event"]),
                campaign_execution_id=entry["campaign_execution_id"],
                at=parse_iso_utc(entry["at"]),
                launched=int(entry.get("launched", "0")),
                dispositions=int(entry.get("dispositions", "0")),
                active=int(entry.get("active", "0")),
                request_id=entry.get("request_id"),
                reason=entry.get("reason"),
                human_answered=int(entry.get("human_answered", "0")),
                abandoned=int(entry.get("abandoned", "0")),
                campaign_abandon_rate_30d=float(campaign_rate) if campaign_rate else None,
                waiting_for_window=_count(entry.get("waiting_for_window")),
                waiting_for_retry=_count(entry.get("waiting_for_retry")),
                cache_remaining=_count(entry.get("cache_remaining")),
                dial_ratio=float(entry["dial_ratio"]) if entry.get("dial_ratio") else None,
            )
        except (KeyError, ValueError) as exc:
            raise ContractViolation(f"queue_event_stream entry is invalid: {exc}") from None


def _count(text: str | None) -> int | None:
    return None if text is None or text == "" else int(text)
