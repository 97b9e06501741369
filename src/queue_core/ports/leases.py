"""The `ExecutionLeases` port: which instance drives each execution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["ExecutionLeases"]


class ExecutionLeases(Protocol):
    """One instance drives an execution at a time: a lease with a fencing token.

    A grant gets a token larger than every earlier token of that execution. Leases expire
    after `ttl_s` seconds unless renewed, timed by the store's own clock (so instances with
    skewed clocks agree on who holds one); an expired lease can be taken by any instance.
    Each method is atomic per execution.
    """

    async def acquire(self, campaign_execution_id: str, owner: str, ttl_s: float) -> int | None:
        """The fencing token when `owner` now holds the lease (newly, or already: then it is
        extended and keeps its token); None while another owner holds it."""
        ...

    async def renew(self, campaign_execution_id: str, owner: str, token: int, ttl_s: float) -> bool:
        """Extend the lease; False when `token` is no longer the current one (lost)."""
        ...

    async def renew_many(
        self, leases: Sequence[tuple[str, int]], owner: str, ttl_s: float
    ) -> list[bool]:
        """`renew` of each (execution id, token), answers in the same order, in as few round
        trips as the store allows: an instance driving a thousand executions renews them all
        well within the lease time. Atomic per execution, not across executions."""
        ...

    async def release(self, campaign_execution_id: str, owner: str, token: int) -> None:
        """Give the lease up, if `token` is still the current one (else nothing happens)."""
        ...

    async def holder(self, campaign_execution_id: str) -> str | None:
        """The owner holding the lease now, or None (never granted, released or expired)."""
        ...
