"""The abandonment rule and its counts (ADR 0025).

A call is abandoned when a person answered it and no agent accepted it within
`ABANDON_AFTER_S` of the answer: the FTC Telemarketing Sales Rule's measure (16 CFR
310.4(b)(4)). The rule's rate is per campaign over 30 days: abandoned calls over
person-answered calls. The counts are kept per UTC day, so the 30 days are the day of `now`
and the 29 before it; a day's counts are kept `BUCKET_LIFETIME_DAYS` days, one more than any
window reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = [
    "ABANDON_AFTER_S",
    "BUCKET_LIFETIME_DAYS",
    "CAMPAIGN_WINDOW_DAYS",
    "AbandonmentCounts",
    "bucket_expires_at",
    "format_rate",
    "is_abandoned",
    "utc_day",
    "window_days",
]

ABANDON_AFTER_S = 2.0
CAMPAIGN_WINDOW_DAYS = 30
BUCKET_LIFETIME_DAYS = 31
_DAY_S = 86_400


def is_abandoned(human_answered: bool, agent_connected_s: float | None) -> bool:
    """A person answered and no agent accepted the call within `ABANDON_AFTER_S` (none did,
    or later): exactly 2 s is within."""
    if not human_answered:
        return False
    return agent_connected_s is None or agent_connected_s > ABANDON_AFTER_S


@dataclass(frozen=True, slots=True)
class AbandonmentCounts:
    """Person-answered calls and, among them, abandoned ones."""

    human_answered: int = 0
    abandoned: int = 0

    @property
    def rate(self) -> float:
        """Abandoned over person-answered; 0 while no person answered."""
        return self.abandoned / self.human_answered if self.human_answered else 0.0

    @property
    def reported_rate(self) -> float:
        """`rate` as the event stream carries it: to four places (`format_rate`)."""
        return float(format_rate(self.rate))

    def __add__(self, other: AbandonmentCounts) -> AbandonmentCounts:
        return AbandonmentCounts(
            self.human_answered + other.human_answered, self.abandoned + other.abandoned
        )


def format_rate(rate: float) -> str:
    """A rate as the event stream carries it: a decimal with four places (`0.0312`)."""
    return f"{rate:.4f}"


def utc_day(at: float) -> str:
    """The UTC day of unix seconds `at`, `YYYY-MM-DD`: the day a disposition counts in (its
    `ended_at`'s)."""
    return datetime.fromtimestamp(at, UTC).date().isoformat()


def window_days(now: float) -> list[str]:
    """The `CAMPAIGN_WINDOW_DAYS` UTC days ending with the day of `now`, newest first."""
    today = datetime.fromtimestamp(now, UTC).date()
    return [(today - timedelta(days=n)).isoformat() for n in range(CAMPAIGN_WINDOW_DAYS)]


def bucket_expires_at(day: str) -> int:
    """Unix seconds at which a day's counts may go: `BUCKET_LIFETIME_DAYS` after its start."""
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    return int(start.timestamp()) + BUCKET_LIFETIME_DAYS * _DAY_S
