"""The launch budget: how fast one execution may create Studio executions (ADR 0002).

    account rate      min(service cps_share x account CPS, 20/s: Studio's REST-triggered cap)
    execution budget  its share of the account rate, in proportion to the executions' cps_share
    spacing           one launch every 1/rate s, at most ceil(budget) in any 1-second window
    on a 429          rate halved, every launch held (Retry-After, else backoff with jitter),
                      then the rate climbs back by budget/10 per second of successful launching

Pure: time is passed in (monotonic seconds); jitter comes from an injected `random.Random`.
The budget is per process: instances sharing an account do not see each other's launches.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "CLIMB_PER_S",
    "LATE_ALLOWANCE",
    "LATE_FLOOR_S",
    "MIN_RATE_FRACTION",
    "STUDIO_EXECUTIONS_PER_SECOND",
    "WINDOW_GUARD_S",
    "LaunchRateController",
    "SendWindow",
    "Sent",
    "account_rate",
    "late_allowance",
    "share_rates",
]

STUDIO_EXECUTIONS_PER_SECOND = 20.0
CLIMB_PER_S = 0.1  # share of the budget regained per second of successful launching
MIN_RATE_FRACTION = 1 / 16  # halving stops here, so recovery never waits on a huge spacing
LATE_ALLOWANCE = 0.5  # in spacings: a launch this late still keeps the schedule,
LATE_FLOOR_S = 0.02  # and one this late (whichever is longer): at high budgets a busy loop
# is later than half a spacing, and a new schedule each time would cost rate
# The window cap holds the (ceil(budget)+1)-th launch this long past one second after the
# first: launches reach Twilio with a few milliseconds of jitter, and Twilio counts arrivals.
# It costs at most 0.5% of the rate, when the cap binds (whole-number budgets, even spacing).
WINDOW_GUARD_S = 0.005


def account_rate(
    account_cps: float,
    cps_share: float,
    studio_limit: float = STUDIO_EXECUTIONS_PER_SECOND,
) -> float:
    """min(cps_share x account_cps, studio_limit): launches/s this service may use.

    Calls above the account CPS are queued by Twilio (they start late, which ruins pacing);
    Studio answers 429 above 20 executions/s unless Twilio raised the account's limit. Raises
    ValueError on a negative or non-finite input."""
    _check_rate("account_cps", account_cps)
    _check_rate("cps_share", cps_share)
    _check_rate("studio_limit", studio_limit)
    return min(cps_share * account_cps, studio_limit)


def late_allowance(rate: float) -> float:
    """How late (s) a launch at `rate` launches/s may go and still keep its schedule: half a
    spacing or `LATE_FLOOR_S`, whichever is longer (`LATE_FLOOR_S` for a rate of 0). The
    runner's schedule and the account's shared one both keep to it."""
    return max(LATE_ALLOWANCE / rate, LATE_FLOOR_S) if rate > 0 else LATE_FLOOR_S


def share_rates(total: float, shares: Mapping[str, float]) -> dict[str, float]:
    """Split the account rate among running executions in proportion to their cps_share.

    The rates sum to `total` (up to rounding); every rate is 0 when every share is 0.
    Raises ValueError on a negative or non-finite total or share."""
    _check_rate("total", total)
    for key, share in shares.items():
        _check_rate(f"share of {key}", share)
    whole = math.fsum(shares.values())
    if whole <= 0:
        return dict.fromkeys(shares, 0.0)
    return {key: total * share / whole for key, share in shares.items()}


class LaunchRateController:
    """Spaces one execution's launches within its budget and backs off on 429s.

    A schedule sets the next launch one spacing (1/rate) after the previous one was due, and
    no more than ceil(budget) launches within one second and the guard of each other. A
    launch that went up to half a spacing (or `LATE_FLOOR_S`, whichever is longer) late keeps
    that schedule, so a loop that wakes late loses no throughput; a later one (the loop was
    idle) starts a new schedule from itself, so idle time never turns into a burst.

    The schedule's window counts the times launches were due, not when they went: counted on
    the late times, every wake-up's lateness would push the launch a window later and all
    that follow it, a loss of rate as large as the loop's mean lateness. A second log, of the
    times launches went, caps every real 1-second window at ceil(budget) whatever the
    schedule says; what it holds back does not move the schedule, so the next launches catch
    up by the guard. `rng` (default: a fresh `random.Random()`) draws the backoff jitter.
    """

    def __init__(
        self,
        budget: float,
        *,
        rng: random.Random | None = None,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 60.0,
    ) -> None:
        _check_rate("budget", budget)
        if not 0 < backoff_base_s <= backoff_cap_s < math.inf:
            raise ValueError("backoff needs 0 < backoff_base_s <= backoff_cap_s < inf")
        self._budget = budget
        self._rate = budget
        self._rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter only
        self._base = backoff_base_s
        self._cap = backoff_cap_s
        self._next = -math.inf  # when the next launch is due on the schedule
        self._last_take: float | None = None
        self._due = _WindowLog(_window_cap(budget), 1.0 + WINDOW_GUARD_S)  # when launches were due
        self._went = _WindowLog(_window_cap(budget), 1.0)  # when they went
        self._hold_until = -math.inf
        self._strikes = 0  # consecutive 429 episodes, for the backoff exponent

    @property
    def budget(self) -> float:
        """Launches/s this execution may use."""
        return self._budget

    @property
    def rate(self) -> float:
        """The current allowed rate: the budget, or less while recovering from 429s."""
        return self._rate

    @property
    def hold_until(self) -> float:
        """Monotonic time before which no launch may go after a 429; -inf when never held."""
        return self._hold_until

    def set_budget(self, budget: float, now: float) -> None:
        """Executions started or stopped: take a new budget, keeping the rate's share of it.

        The wait for the next launch is rescaled from the last launch, so `now` is not needed
        today; the caller passes it so that a time-based policy would not change the port."""
        _check_rate("budget", budget)
        fraction = self._rate / self._budget if self._budget > 0 else 1.0
        self._budget = budget
        self._due.resize(_window_cap(budget))
        self._went.resize(_window_cap(budget))
        self._set_rate(budget * fraction if budget > 0 else 0.0)

    def delay(self, now: float) -> float:
        """Seconds until the next launch may go; 0.0 means now, inf when the budget is 0."""
        if self._rate <= 0:
            return math.inf
        ready = max(self._due_at(), self._went.ready_at())
        return max(0.0, ready - now)

    def take(self, now: float) -> None:
        """One launch happened at `now`. Call it only when `delay(now)` is 0."""
        due = self._due_at()
        on_schedule = due if now - due < late_allowance(self._rate) else now
        self._due.add(on_schedule)
        self._went.add(now)
        self._last_take = now
        if self._rate > 0:
            self._next = on_schedule + 1 / self._rate

    def rate_limited(self, now: float, retry_after_s: float | None) -> None:
        """A launch got 429: halve the rate and hold every launch.

        The hold is `retry_after_s` when given, else base x 2^(n-1) capped, with jitter drawn
        in [half, whole] (n = consecutive 429 episodes). A 429 arriving during a hold answers a
        launch sent before it: it may lengthen the hold, but does not halve the rate again."""
        honoured = retry_after_s if retry_after_s is not None and retry_after_s >= 0 else None
        if now < self._hold_until:
            if honoured is not None:
                self._hold(now + honoured)
            return
        self._strikes += 1
        if honoured is None:
            ceiling = min(self._cap, self._base * 2.0 ** min(self._strikes - 1, 64))
            honoured = self._rng.uniform(ceiling / 2, ceiling)
        self._set_rate(max(self._rate / 2, self._budget * MIN_RATE_FRACTION))
        self._hold(now + honoured)

    def succeeded(self, now: float) -> None:
        """A launch was accepted: the rate climbs back by budget/10 per second of launching.

        Each success credits one spacing (1/rate) of launching time. Successes reported during
        a hold answer launches sent before the 429 and are ignored."""
        if now < self._hold_until:
            return
        self._strikes = 0
        if 0 < self._rate < self._budget:
            climbed = self._rate + CLIMB_PER_S * self._budget / self._rate
            self._set_rate(min(self._budget, climbed))

    def _due_at(self) -> float:
        """When the next launch is due: on the schedule, out of any hold, and no more than
        ceil(budget) due within one second and the guard; -inf when it may go at any time."""
        return max(self._hold_until, self._next, self._due.ready_at())

    def _hold(self, until: float) -> None:
        # The first launch after the hold is due at its end, and starts no catch-up burst.
        self._hold_until = max(self._hold_until, until)
        self._next = max(self._next, self._hold_until)

    def _set_rate(self, rate: float) -> None:
        """Change the rate, stretching the wait for the next launch with the spacing.

        The wait is measured from the last launch, or from the end of a hold that came after
        it: a hold is a fixed time, only the spacing after it scales with the rate."""
        old = self._rate
        self._rate = rate
        if rate <= 0 or self._next == -math.inf:
            return  # nothing scheduled yet: the first launch may go at once
        anchor = max(self._hold_until, -math.inf if self._last_take is None else self._last_take)
        if old > 0:
            self._next = anchor + max(0.0, self._next - anchor) * old / rate
        else:
            self._next = anchor + 1 / rate


@dataclass(slots=True)
class Sent:
    """One launch counted by a `SendWindow`, and the time it counts at (`at`)."""

    at: float
    counted: bool = True  # still in its window's log (a send is forgotten a window later)


class SendWindow:
    """At most floor(rate) launches (at least one) sent in any second, counted on the times
    they are actually sent.

    The schedules say when a launch may go; a loop that wakes late sends it late (they keep
    their pace for up to `late_allowance`), and the launches after it go on time, so on a
    schedule alone floor(rate) + 1 launches can reach Twilio within one second. Counted on the
    sends, the launch floor(rate) after a late one waits until one second and half the guard
    have passed since it. The schedules space floor(rate) launches over one second and the
    whole guard, so such a delay shrinks by half the guard every floor(rate) launches and is
    soon gone, while the other launches go on their schedule: the pace is kept.

    A launch is counted when it is let go (`sent`). Where the moment its bytes are written is
    known and later (an HTTP client that writes in a task of its own), `delay(now, moving=)`
    says whether it may be counted there instead, and `moved` counts it there: the cap then
    holds on the times the bytes left. Pure: time is passed in (monotonic seconds).
    """

    def __init__(self, rate: float, guard_s: float = WINDOW_GUARD_S) -> None:
        _check_rate("rate", rate)
        if not 0 <= guard_s < math.inf:
            raise ValueError(f"guard_s must be finite and >= 0, got {guard_s}")
        self._cap = max(1, math.floor(rate))
        self._span = 1.0 + guard_s / 2
        self._sent: deque[Sent] = deque()  # in the order they were let go

    @property
    def cap(self) -> int:
        """Launches allowed in any window of one second and half the guard."""
        return self._cap

    def delay(self, now: float, moving: Sent | None = None) -> float:
        """Seconds until one more launch may be sent, or until `moving` (counted already) may
        be counted at a later time; 0.0 means now.

        Counted at `w`, a launch shares a window with the others counted after `w - span`
        only, so it may be counted once fewer than `cap` of them are."""
        self._forget(now)
        if len(self._sent) < self._cap + (moving is not None and moving.counted):
            return 0.0
        later = sorted(s.at for s in self._sent if s is not moving and s.at > now - self._span)
        if len(later) < self._cap:
            return 0.0
        return max(0.0, later[-self._cap] + self._span - now)

    def sent(self, now: float) -> Sent:
        """A launch was let go at `now`. Call it only when `delay(now)` is 0."""
        send = Sent(now)
        self._sent.append(send)
        return send

    def moved(self, send: Sent, now: float) -> None:
        """`send` left at `now`, no earlier than it was counted: it counts from then on. Call
        it only when `delay(now, moving=send)` is 0."""
        send.at = max(send.at, now)
        if not send.counted:  # let go more than a window before it left
            send.counted = True
            self._sent.append(send)

    def _forget(self, now: float) -> None:
        # The oldest sends (in the order let go) counted a whole window ago hold nothing back.
        while self._sent and self._sent[0].at <= now - self._span:
            self._sent.popleft().counted = False


class _WindowLog:
    """The last `cap` times, so that no window of `span` seconds holds more than `cap`."""

    def __init__(self, cap: int, span: float) -> None:
        self._span = span
        self._times: deque[float] = deque(maxlen=cap)

    @property
    def cap(self) -> int:
        return self._times.maxlen or 1

    def ready_at(self) -> float:
        """The earliest time one more may be added; -inf while fewer than `cap` are logged."""
        if len(self._times) < self.cap:
            return -math.inf
        return self._times[0] + self._span

    def add(self, now: float) -> None:
        self._times.append(now)

    def resize(self, cap: int) -> None:
        """Keep the last `cap` times from now on (the newest, when there were more)."""
        self._times = deque(self._times, maxlen=cap)


def _check_rate(name: str, value: float) -> None:
    if not 0 <= value < math.inf:
        raise ValueError(f"{name} must be finite and >= 0, got {value}")


def _window_cap(budget: float) -> int:
    return max(1, math.ceil(budget))
