"""`LaunchLimiter` on Redis: the account's launch budget as one schedule of launch slots,
`queue:launch_window:{launch_limiter}` and `queue:launch_next:{launch_limiter}`, timed by the
server's own clock (TIME)."""

from __future__ import annotations

import math

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_core.domain.budget import late_allowance
from queue_core.ports import LaunchSlot

__all__ = ["DEFAULT_GUARD_S", "DEFAULT_HORIZON_S", "RedisLaunchLimiter"]

# What a rate of 0 (or less) answers: nothing is ever reserved, ask again later.
_NEVER_WAIT_S = 1.0
# Each window holds its (capacity + 1)-th slot this much longer than capacity / rate: launches
# reach Twilio with some jitter after their slot, and Twilio counts arrivals.
DEFAULT_GUARD_S = 0.005
# No slot is reserved further ahead than this: a caller does not hold a contact for long.
DEFAULT_HORIZON_S = 2.0


class RedisLaunchLimiter:
    """The `LaunchLimiter` port on one Redis server or cluster; every instance that uses the
    same keys shares one budget. `guard_s` should cover the jitter between a slot and its
    launch reaching Twilio (it costs that share of the rate when the window binds)."""

    def __init__(
        self,
        client: RedisClient,
        *,
        keys: RedisKeys | None = None,
        guard_s: float = DEFAULT_GUARD_S,
        horizon_s: float = DEFAULT_HORIZON_S,
    ) -> None:
        if not 0 <= guard_s < math.inf or not 0 < horizon_s < math.inf:
            raise ValueError("need 0 <= guard_s and 0 < horizon_s, both finite")
        self._keys = keys or RedisKeys()
        self._scripts = Scripts(client)
        self._guard_us = math.ceil(guard_s * 1_000_000)
        self._horizon_us = math.ceil(horizon_s * 1_000_000)

    async def acquire(self, rate: float) -> LaunchSlot:
        if not rate > 0:
            return LaunchSlot(_NEVER_WAIT_S, reserved=False)
        if math.isinf(rate):
            raise ValueError("rate must be finite")
        capacity = max(1, math.floor(rate))
        spacing_us = 1_000_000 / rate
        keys = self._keys
        with unavailable():
            reserved, wait_us = await self._scripts.run(
                "launch_window",
                [keys.launch_window, keys.launch_next, keys.launch_seq],
                [
                    capacity,
                    math.ceil(capacity * spacing_us) + self._guard_us,
                    math.floor(spacing_us),
                    # A caller this late still keeps the schedule's pace.
                    math.floor(late_allowance(rate) * 1_000_000),
                    self._horizon_us,
                ],
            )
        return LaunchSlot(int(wait_us) / 1_000_000, reserved=bool(int(reserved)))
