"""A fake Studio: creates executions with SIDs, answers scripted outcomes, remembers everything."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from queue_core.domain.launch import (
    Ambiguous,
    Launched,
    LaunchOutcome,
    LaunchRequest,
    RateLimited,
    Rejected,
)
from queue_core.domain.launch_schedule import SendTurn
from tests.fakes.clock import FakeClock


@dataclass(frozen=True)
class CreatedExecution:
    sid: str
    request: LaunchRequest
    created_at: float
    created_monotonic: float


class FakeCallLauncher:
    """Each `launch` pops the next scripted outcome kind ("ok", "429", "reject", "lost"), default
    "ok". "lost" creates the execution but answers `Ambiguous` (the answer was lost)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.script: deque[str] = deque()
        self.decide: Callable[[LaunchRequest], str] | None = None
        self.executions: list[CreatedExecution] = []
        self.attempts: list[tuple[float, str]] = []
        self.retry_after_s: float | None = None
        self._sids = itertools.count(1)

    def _create(self, request: LaunchRequest) -> str:
        sid = f"FN{next(self._sids):032x}"
        self.executions.append(
            CreatedExecution(sid, request, self.clock.now(), self.clock.monotonic())
        )
        return sid

    async def launch(self, request: LaunchRequest, turn: SendTurn | None = None) -> LaunchOutcome:
        while turn is not None and (wait := turn.delay(self.clock.monotonic())) > 0:
            await self.clock.sleep(wait)
        if turn is not None:
            turn.leave(self.clock.monotonic())  # the create leaves at once
        if self.script:
            kind = self.script.popleft()
        elif self.decide is not None:
            kind = self.decide(request)
        else:
            kind = "ok"
        self.attempts.append((self.clock.monotonic(), kind))
        if kind == "429":
            return RateLimited(self.retry_after_s)
        if kind == "reject":
            return Rejected(
                400, "21211", f"The 'To' number {request.to} is not a valid phone number."
            )
        if kind == "lost":
            self._create(request)
            return Ambiguous("timeout after the request was sent")
        return Launched(self._create(request), sent_at=self.clock.monotonic())

    async def find_execution(self, flow_sid: str, to: str, created_after: float) -> str | None:
        found = [
            e
            for e in self.executions
            if e.request.flow_sid == flow_sid
            and e.request.to == to
            and e.created_at >= created_after
        ]
        return found[-1].sid if found else None
