"""`LaunchLimiter` on Redis: the account's schedule of launch slots,
`queue:launch_window:{launch_limiter}` and `queue:launch_next:{launch_limiter}`, timed by the
server's own clock (TIME). The terms are the core's (`SlotTerms`); one script keeps them."""

from __future__ import annotations

import math

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_core.domain.launch_schedule import SlotTerms
from queue_core.ports import LaunchSlot

__all__ = ["DEFAULT_HORIZON_S", "RedisLaunchLimiter"]

# What terms of capacity 0 answer: nothing is ever reserved, ask again later.
_NEVER_WAIT_S = 1.0
# No slot is reserved further ahead than this: a caller does not hold a contact for long.
DEFAULT_HORIZON_S = 2.0


class RedisLaunchLimiter:
    """The `LaunchLimiter` port on one Redis server or cluster; every instance that uses the
    same keys shares one schedule."""

    def __init__(
        self,
        client: RedisClient,
        *,
        keys: RedisKeys | None = None,
        horizon_s: float = DEFAULT_HORIZON_S,
    ) -> None:
        if not 0 < horizon_s < math.inf:
            raise ValueError("need 0 < horizon_s, finite")
        self._keys = keys or RedisKeys()
        self._scripts = Scripts(client)
        self._horizon_us = math.ceil(horizon_s * 1_000_000)

    async def acquire(self, terms: SlotTerms) -> LaunchSlot:
        if terms.capacity == 0:
            return LaunchSlot(_NEVER_WAIT_S, reserved=False)
        keys = self._keys
        with unavailable():
            reserved, wait_us = await self._scripts.run(
                "launch_window",
                [keys.launch_window, keys.launch_next, keys.launch_seq],
                [
                    terms.capacity,
                    math.ceil(terms.window_s * 1_000_000),
                    math.floor(terms.spacing_s * 1_000_000),
                    math.floor(terms.late_s * 1_000_000),
                    self._horizon_us,
                ],
            )
        return LaunchSlot(int(wait_us) / 1_000_000, reserved=bool(int(reserved)))
