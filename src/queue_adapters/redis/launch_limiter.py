"""`LaunchLimiter` on Redis: the account's launch budget as one sliding-window sorted set,
`queue:launch_window:{launch_limiter}`, timed by the server's own clock (TIME)."""

from __future__ import annotations

import math

from queue_adapters.redis._errors import unavailable
from queue_adapters.redis._scripts import Scripts
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys

__all__ = ["RedisLaunchLimiter"]

# What a rate of 0 (or less) answers: nothing is ever granted, ask again later.
_NEVER_WAIT_S = 1.0
# Grants are at least this many spacings (1/rate) apart: no burst, yet a caller that asks a
# little late can catch up within the window.
_GAP_SPACINGS = 0.5


def _window(rate: float) -> tuple[int, int] | None:
    """(capacity, window in microseconds, rounded up) of `rate` launches/s; None when the rate
    grants nothing (<= 0 or NaN). ValueError for an infinite rate."""
    if not rate > 0:
        return None
    if math.isinf(rate):
        raise ValueError("rate must be finite")
    capacity = max(1, math.floor(rate))
    return capacity, math.ceil(capacity * 1_000_000 / rate)


class RedisLaunchLimiter:
    """The `LaunchLimiter` port on one Redis server or cluster; every instance that uses the
    same keys shares one budget."""

    def __init__(self, client: RedisClient, *, keys: RedisKeys | None = None) -> None:
        self._keys = keys or RedisKeys()
        self._scripts = Scripts(client)

    async def acquire(self, rate: float) -> float:
        window = _window(rate)
        if window is None:
            return _NEVER_WAIT_S
        capacity, window_us = window
        with unavailable():
            wait_us = await self._scripts.run(
                "launch_window",
                [self._keys.launch_window, self._keys.launch_seq],
                [capacity, window_us, math.floor(_GAP_SPACINGS * 1_000_000 / rate)],
            )
        return int(wait_us) / 1_000_000
