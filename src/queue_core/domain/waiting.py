"""Records that wait in an execution: for their calling window to open, or for a retry."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from queue_core.domain.disposition import DispositionStatus

__all__ = ["WaitReason", "WaitingRecord"]


class WaitReason(enum.StrEnum):
    """Why a record waits: its calling window is closed, or its last attempt asked for another
    one later (the retry policy)."""

    WINDOW = "window"
    RETRY = "retry"


@dataclass(frozen=True, slots=True)
class WaitingRecord:
    """One record in an execution's waiting set.

    `waiting_id` names the entry within its execution; `raw` is the record exactly as the cache
    held it; `attempt` is the number of the record's NEXT attempt (1 when it never was dialed);
    `last_status` is how its last attempt ended (None when it had none); `due_at` (unix s) is
    the earliest instant it may be dialed."""

    waiting_id: str
    raw: str
    attempt: int
    reason: WaitReason
    last_status: DispositionStatus | None
    due_at: float
