"""The `CallLauncher` port: creating the Studio executions that place the calls."""

from __future__ import annotations

from typing import Protocol

from queue_core.domain.launch import LaunchOutcome, LaunchRequest

__all__ = ["CallLauncher"]


class CallLauncher(Protocol):
    """Studio on the account: one execution of the campaign's flow per contact launched."""

    async def launch(self, request: LaunchRequest) -> LaunchOutcome:
        """Create one Studio execution. Never retries on its own a request that may have been
        received (that is `Ambiguous`); never raises for an HTTP answer."""
        ...

    async def find_execution(self, flow_sid: str, to: str, created_after: float) -> str | None:
        """The SID of an execution of `flow_sid` to `to` created at or after `created_after`
        (unix seconds), looked up in Studio's executions list (every page), or None. Raises
        `StoreUnavailable` when Twilio cannot be asked now."""
        ...
