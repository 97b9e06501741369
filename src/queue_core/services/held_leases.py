"""The execution leases one instance holds (the `ExecutionLeases` port): one instance at a
time drives an execution, and another takes over within the lease time when it dies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Protocol

from queue_core.domain.errors import StoreUnavailable
from queue_core.ports import ExecutionLeases

__all__ = ["RENEWALS_PER_REQUEST", "HeldLeases"]

log = logging.getLogger("queue_core.services.supervisor")

RENEWALS_PER_REQUEST = 100


class Leaver(Protocol):
    """A runner that leaves its execution when its lease is lost."""

    def leave(self) -> None: ...


class HeldLeases:
    """Acquire, renew and release this instance's leases; with no `leases` port, every
    execution is this instance's (one instance, no token)."""

    def __init__(self, leases: ExecutionLeases | None, owner: str, ttl_s: float) -> None:
        self.leases = leases
        self.owner = owner
        self.ttl_s = ttl_s

    async def acquire(self, execution_id: str) -> tuple[bool, int | None]:
        """(got it, its fencing token); (True, None) without leases."""
        if self.leases is None:
            return True, None
        token = await self.leases.acquire(execution_id, self.owner, self.ttl_s)
        return token is not None, token

    async def renew(self, held: Sequence[tuple[str, Leaver, int]], closing: bool) -> None:
        """Extend every lease held, `RENEWALS_PER_REQUEST` in one request (`renew_many`) after
        another; a runner whose lease is lost leaves (unless closing: every runner is leaving
        then, and lets its lease go, maybe before this answer)."""
        if self.leases is None:
            return
        kept: list[bool] = []
        for first in range(0, len(held), RENEWALS_PER_REQUEST):
            part = held[first : first + RENEWALS_PER_REQUEST]
            kept += await self.leases.renew_many(
                [(execution_id, token) for execution_id, _, token in part], self.owner, self.ttl_s
            )
        for (execution_id, runner, _), still_ours in zip(held, kept, strict=True):
            if not still_ours and not closing:
                log.warning(
                    "lease on %s lost: leaving it",
                    execution_id,
                    extra={"campaign_execution_id": execution_id},
                )
                runner.leave()

    def release_soon(self, execution_id: str, token: int) -> None:
        """Let the lease go in the background (when the store fails, it expires on its own)."""
        if self.leases is not None:
            asyncio.get_running_loop().create_task(self._release(execution_id, token))

    async def _release(self, execution_id: str, token: int) -> None:
        assert self.leases is not None
        with contextlib.suppress(StoreUnavailable):
            await self.leases.release(execution_id, self.owner, token)
