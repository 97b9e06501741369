"""Launching a contact: the request the core builds and the outcomes a launcher reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Ambiguous", "LaunchOutcome", "LaunchRequest", "Launched", "RateLimited", "Rejected"]


@dataclass(frozen=True, slots=True)
class LaunchRequest:
    """A Studio v2 execution to create: `To`, `From` and the contract's `Parameters`."""

    flow_sid: str
    to: str
    from_: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Launched:
    """Twilio created the execution (or an earlier, ambiguous attempt was found and adopted).

    `sent_at`: when the create's bytes left, in monotonic seconds, as the launcher saw it (None
    when it cannot tell, or for an adopted execution). It is a measurement, not part of the
    outcome's identity: two outcomes naming the same execution are equal."""

    execution_sid: str
    adopted: bool = False
    sent_at: float | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class RateLimited:
    """HTTP 429 / code 20429: nothing was created; safe to retry after backing off."""

    retry_after_s: float | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A 4xx other than 429: nothing was created and retrying will not help."""

    status: int
    error_code: str
    error_message: str


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """The request may have reached Twilio (timeout, reset, 5xx): reconcile before retrying."""

    reason: str


LaunchOutcome = Launched | RateLimited | Rejected | Ambiguous
