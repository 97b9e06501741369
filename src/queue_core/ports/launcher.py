"""The `CallLauncher` port: creating the Studio executions that place the calls."""

from __future__ import annotations

from typing import Protocol

from queue_core.domain.launch import LaunchOutcome, LaunchRequest
from queue_core.domain.launch_schedule import SendTurn

__all__ = ["CallLauncher"]


class CallLauncher(Protocol):
    """Studio on the account: one execution of the campaign's flow per contact launched."""

    async def launch(self, request: LaunchRequest, turn: SendTurn | None = None) -> LaunchOutcome:
        """Create one Studio execution. Never retries on its own a request that may have been
        received (that is `Ambiguous`); never raises for an HTTP answer.

        `turn` is the create's place among the process's sends. Right before the request's
        bytes leave, the launcher waits until `turn.delay(now)` is 0 and calls
        `turn.leave(now)`, once (`now` on the monotonic clock: `time.monotonic()` under the
        system clock); a launcher that cannot tell when its bytes leave may ignore it.
        `Launched.sent_at` says when they left (None: not known)."""
        ...

    async def find_execution(self, flow_sid: str, to: str, created_after: float) -> str | None:
        """The SID of an execution of `flow_sid` to `to` created at or after `created_after`
        (unix seconds), looked up in Studio's executions list (every page), or None. Raises
        `StoreUnavailable` when Twilio cannot be asked now."""
        ...
