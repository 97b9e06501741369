"""A `CallLauncher` that sends no more launches in any second than the account allows.

Every launch of the process goes through one `SendWindow`, at the account rate: whatever
schedule let a launch go, and however late the loop sent it, no launch is sent while the
window's last floor(rate) sends lie within one second and half the guard (ADR 0002, amended).

A launch is counted when the window lets it go. An HTTP client may write the request's bytes
later, in a task of its own that the loop runs after other work; an adapter that knows the
moment calls `about_to_send()` right before the bytes are written, and the launch is counted
from then on, waiting first if the window has filled meanwhile.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass

from queue_core.domain.budget import SendWindow, Sent
from queue_core.domain.launch import LaunchOutcome, LaunchRequest
from queue_core.ports import CallLauncher, Clock

__all__ = ["WindowedLauncher", "about_to_send"]


@dataclass(slots=True)
class _Sending:
    """The launch a `WindowedLauncher` is sending in this context, until its bytes leave."""

    window: SendWindow
    clock: Clock
    send: Sent
    left: bool = False

    async def leaving(self) -> None:
        if self.left:
            return
        self.left = True
        clock, window = self.clock, self.window
        while (wait := window.delay(clock.monotonic(), moving=self.send)) > 0:
            await clock.sleep(wait)
        window.moved(self.send, clock.monotonic())


_sending: ContextVar[_Sending | None] = ContextVar("queue_core_sending", default=None)


async def about_to_send() -> None:
    """For a `CallLauncher` adapter: the create's bytes are about to be written. Under a
    `WindowedLauncher`, wait until its send window lets the launch leave now, and count it
    from now (once per launch: later calls return at once). Anywhere else, nothing."""
    sending = _sending.get()
    if sending is not None:
        await sending.leaving()


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
            send = self._window.sent(self._clock.monotonic())
        # Tasks the inner launcher starts (an HTTP client's writer) see this launch too.
        token = _sending.set(_Sending(self._window, self._clock, send))
        try:
            return await self._inner.launch(request)
        finally:
            _sending.reset(token)

    async def find_execution(self, flow_sid: str, to: str, created_after: float) -> str | None:
        return await self._inner.find_execution(flow_sid, to, created_after)
