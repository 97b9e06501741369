"""Control commands: what the campaign manager writes on `queue_control_stream`."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from queue_core.domain._validate import EXECUTION_ID
from queue_core.domain.bounds import MAX_ID_ECHO_CHARS, cut, shown
from queue_core.domain.errors import InvalidCommand

__all__ = ["MAX_REASON_LENGTH", "Action", "ControlCommand"]

MAX_REASON_LENGTH = 512


class Action(enum.StrEnum):
    START = "start"
    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"


@dataclass(frozen=True, slots=True)
class ControlCommand:
    """One valid control command. Build it from a stream entry with `from_fields`."""

    action: Action
    campaign_execution_id: str
    request_id: str | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if not EXECUTION_ID.fullmatch(self.campaign_execution_id):
            raise InvalidCommand(
                "field 'campaign_execution_id' must be 1 to 128 characters of "
                f"A-Z a-z 0-9 _ . : -, got {shown(self.campaign_execution_id, 140)}"
            )
        if self.reason is not None and len(self.reason) > MAX_REASON_LENGTH:
            raise InvalidCommand(
                f"field 'reason' must be at most {MAX_REASON_LENGTH} characters, "
                f"got {len(self.reason)}"
            )

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> ControlCommand:
        """Parse a stream entry; raise `InvalidCommand` naming the field that is wrong.
        `request_id` is kept cut to MAX_ID_ECHO_CHARS: it is only ever echoed."""
        action = fields.get("action")
        if action is None:
            raise InvalidCommand("field 'action' is required")
        try:
            parsed = Action(action)
        except ValueError:
            raise InvalidCommand(
                f"field 'action' must be one of start, stop, pause, resume, got {shown(action)}"
            ) from None
        execution_id = fields.get("campaign_execution_id")
        if execution_id is None:
            raise InvalidCommand("field 'campaign_execution_id' is required")
        return cls(
            action=parsed,
            campaign_execution_id=execution_id,
            request_id=cut(fields.get("request_id", ""), MAX_ID_ECHO_CHARS) or None,
            reason=fields.get("reason") or None,
        )

    def to_fields(self) -> dict[str, str]:
        """The stream entry for this command (optional fields only when set)."""
        fields = {"action": self.action.value, "campaign_execution_id": self.campaign_execution_id}
        if self.request_id is not None:
            fields["request_id"] = self.request_id
        if self.reason is not None:
            fields["reason"] = self.reason
        return fields
