"""The retry policy of an execution: which finished attempts are dialed again, and when.

`{"max_attempts": 3, "after_s": {"busy": 600, "no-answer": 3600}}`: an attempt that ends with a
status named in `after_s` is followed by another no sooner than that many seconds later, up to
`max_attempts` attempts in all (the first included). Without `retry`, each record is dialed
once, as in version 1 of the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from queue_core.domain.bounds import shown
from queue_core.domain.disposition import Disposition, DispositionStatus
from queue_core.domain.errors import InvalidCampaignExecution

__all__ = ["MAX_ATTEMPTS", "MAX_RETRY_DELAY_S", "RETRYABLE", "RetryPolicy"]

MAX_ATTEMPTS = 100
MAX_RETRY_DELAY_S = 30 * 86_400
# The statuses of an attempt that was dialed, or tried: a record that was never dialed for a
# reason of its own (an invalid record) has nothing a later attempt would change.
RETRYABLE = frozenset(
    {
        DispositionStatus.COMPLETED,
        DispositionStatus.BUSY,
        DispositionStatus.NO_ANSWER,
        DispositionStatus.FAILED,
        DispositionStatus.CANCELED,
        DispositionStatus.LAUNCH_FAILED,
        DispositionStatus.UNKNOWN,
    }
)
_RETRYABLE_NAMES = ", ".join(sorted(RETRYABLE))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """At most `max_attempts` attempts per record; `after_s` pairs a status with the seconds
    after which an attempt that ended with it is dialed again (sorted by status)."""

    max_attempts: int = 1
    after_s: tuple[tuple[DispositionStatus, float], ...] = ()

    def delay_after(self, status: DispositionStatus) -> float | None:
        """Seconds before the next attempt after one that ended with `status`, or None when
        that status is final."""
        return dict(self.after_s).get(status)

    def retry_at(self, status: DispositionStatus, attempt: int, ended_at: float) -> float | None:
        """When attempt number `attempt` (1 for the first) ended at `ended_at` with `status`:
        the earliest instant of the next attempt, or None when this attempt is the record's
        last."""
        delay = self.delay_after(status)
        if delay is None or attempt >= self.max_attempts:
            return None
        return ended_at + delay

    def mark(self, disposition: Disposition, attempt: int) -> Disposition:
        """`disposition`, of attempt number `attempt`, with that number, and `final` False and
        `retry_at` set when another attempt follows (`retry_at` counts from its `ended_at`)."""
        retry_at = self.retry_at(disposition.status, attempt, disposition.ended_at)
        return replace(disposition, attempt=attempt, final=retry_at is None, retry_at=retry_at)

    @classmethod
    def from_document(cls, doc: object, *, where: str) -> RetryPolicy:
        """Validate the document's `retry` object; raise `InvalidCampaignExecution` naming
        `where` and the field (`retry.max_attempts`, `retry.after_s.busy`, ...)."""
        if not isinstance(doc, Mapping):
            raise InvalidCampaignExecution(f"{where}: field 'retry' must be an object")
        attempts = doc.get("max_attempts")
        if isinstance(attempts, bool) or not isinstance(attempts, int):
            raise InvalidCampaignExecution(
                f"{where}: field 'retry.max_attempts' is required, an integer from 1 to "
                f"{MAX_ATTEMPTS}, got {shown(attempts)}"
            )
        if not 1 <= attempts <= MAX_ATTEMPTS:
            raise InvalidCampaignExecution(
                f"{where}: field 'retry.max_attempts' must be from 1 to {MAX_ATTEMPTS}, "
                f"got {shown(attempts)}"
            )
        return cls(attempts, _delays(doc.get("after_s", {}), where))

    def to_document(self) -> dict[str, Any]:
        return {
            "max_attempts": self.max_attempts,
            "after_s": {status.value: delay for status, delay in self.after_s},
        }


def _delays(value: object, where: str) -> tuple[tuple[DispositionStatus, float], ...]:
    if not isinstance(value, Mapping):
        raise InvalidCampaignExecution(f"{where}: field 'retry.after_s' must be an object")
    delays = {}
    for name, delay in value.items():
        if name not in RETRYABLE:
            raise InvalidCampaignExecution(
                f"{where}: field 'retry.after_s' has {shown(name)}, not a status that can be "
                f"retried ({_RETRYABLE_NAMES})"
            )
        delays[DispositionStatus(name)] = _delay(delay, f"retry.after_s.{name}", where)
    return tuple(sorted(delays.items()))


def _delay(value: object, field: str, where: str) -> float:
    # NaN and the infinities fail the range; an int too large for a float is compared as it is.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= MAX_RETRY_DELAY_S
    ):
        raise InvalidCampaignExecution(
            f"{where}: field '{field}' must be a number of seconds from 0 to "
            f"{MAX_RETRY_DELAY_S}, got {shown(value)}"
        )
    return float(value)
