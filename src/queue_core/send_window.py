"""A `CallLauncher` that sends no more launches in any second than the account allows.

Every launch of the process goes through one `SendWindow`, at the account rate: whatever
schedule let a launch go, and however late the loop sent it, no launch is sent while the
window's last floor(rate) sends lie within one second and half the guard (ADR 0002, amended).
"""

from __future__ import annotations

import asyncio

from queue_core.budget import SendWindow
from queue_core.launch import LaunchOutcome, LaunchRequest
from queue_core.ports import CallLauncher, Clock

__all__ = ["WindowedLauncher"]


class WindowedLauncher:
    """The `CallLauncher` port around another one, holding each create to the send window.

    Launches wait their turn in the order they asked; a launch cancelled while waiting is
    not counted. Reconciliation (`find_execution`) sends no create and is not held."""

    def __init__(self, inner: CallLauncher, clock: Clock, window: SendWindow) -> None:
        self._inner = inner
        self._clock = clock
        self._window = window
        self._turn = asyncio.Lock()

    async def launch(self, request: LaunchRequest) -> LaunchOutcome:
        async with self._turn:
            while (wait := self._window.delay(self._clock.monotonic())) > 0:
                await self._clock.sleep(wait)
            self._window.sent(self._clock.monotonic())
        return await self._inner.launch(request)

    async def find_execution(self, flow_sid: str, to: str, created_after: float) -> str | None:
        return await self._inner.find_execution(flow_sid, to, created_after)
