"""The launch schedule: when each launch of this process may be sent (ADR 0017).

    budgets     the account rate, min(cps_share x account CPS, Studio's 20/s), shared by the
                running executions in proportion to their cps_share
    execution   one launch every 1/rate s, at most ceil(budget) in any second and the guard;
                on a 429 the rate halves and every launch is held, then climbs back
    account     across instances, slots a spacing apart, at most floor(rate) in
                floor(rate)/rate s and the guard, kept by the `LaunchLimiter` port (`SlotTerms`)
    process     at most floor(account rate) creates leave in any second and half the guard,
                counted when their bytes leave (`SendTurn`, handed to the launcher)
    lateness    one rule (`late_allowance`): a launch, an ask or a slot up to max(half a
                spacing, 20 ms, half the guard) late keeps its place; a later one starts anew
                or lets its slot go
    guard       one setting: the spread of the way from a slot to Twilio, left free by each cap

Pure: time is passed in (monotonic seconds); jitter comes from an injected `random.Random`.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "CLIMB_PER_S",
    "DEFAULT_GUARD_S",
    "LATE_FLOOR_S",
    "MIN_RATE_FRACTION",
    "STUDIO_EXECUTIONS_PER_SECOND",
    "LaunchRateController",
    "LaunchSchedule",
    "SendTurn",
    "SlotTerms",
    "account_rate",
    "late_allowance",
    "share_rates",
]

STUDIO_EXECUTIONS_PER_SECOND = 20.0
CLIMB_PER_S = 0.1  # share of the budget regained per second of successful launching
MIN_RATE_FRACTION = 1 / 16  # halving stops here, so recovery never waits on a huge spacing
DEFAULT_GUARD_S = 0.005  # covers a quiet host; it costs that share of the rate where a cap binds
LATE_FLOOR_S = 0.02  # a busy loop at a high rate is later than half a spacing: still on time
_LATE_SPACINGS = 0.5


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


def late_allowance(rate: float, guard_s: float = DEFAULT_GUARD_S) -> float:
    """The lateness rule: how late (s) a launch at `rate` launches/s may go, an ask reach the
    account's schedule, or a slot be used, and still keep its place: half a spacing, 20 ms or
    half the guard, whichever is longest (a rate of 0 has no spacing)."""
    spacing_part = _LATE_SPACINGS / rate if rate > 0 else 0.0
    return max(spacing_part, LATE_FLOOR_S, guard_s / 2)


@dataclass(frozen=True, slots=True)
class SlotTerms:
    """What the account's schedule of slots keeps to (`LaunchLimiter.acquire`): slots
    `spacing_s` apart, at most `capacity` in any `window_s`; an ask up to `late_s` late keeps
    the pace, a later one starts the schedule again. `capacity` 0: reserve nothing."""

    capacity: int
    spacing_s: float
    window_s: float
    late_s: float

    @classmethod
    def of(cls, rate: float, guard_s: float = DEFAULT_GUARD_S) -> SlotTerms:
        """The terms at `rate` launches/s (0, negative or NaN: none). Raises ValueError on an
        infinite rate or a guard that is negative or not finite."""
        _check_rate("guard_s", guard_s)
        if math.isinf(rate):
            raise ValueError("rate must be finite")
        if not rate > 0:
            return cls(0, math.inf, math.inf, 0.0)
        cap = max(1, math.floor(rate))
        return cls(cap, 1 / rate, cap / rate + guard_s, late_allowance(rate, guard_s))


class LaunchSchedule:
    """This process's launch decisions at one account rate and guard (module docstring)."""

    def __init__(self, account_rate: float, guard_s: float = DEFAULT_GUARD_S) -> None:
        _check_rate("account_rate", account_rate)
        _check_rate("guard_s", guard_s)
        self.account_rate = account_rate
        self.guard_s = guard_s
        self.send_cap = max(1, math.floor(account_rate))  # creates in any window of sends
        self._send_span = 1.0 + guard_s / 2
        self._sends: deque[SendTurn] = deque()  # counted, in the order they were let go

    def controller(self, rng: random.Random | None = None) -> LaunchRateController:
        """A new execution's schedule, with no budget until `budgets` gives it one."""
        return LaunchRateController(0.0, guard_s=self.guard_s, rng=rng)

    def budgets(self, shares: Mapping[str, float]) -> dict[str, float]:
        """Each running execution's budget: the account rate in proportion to its share."""
        return share_rates(self.account_rate, shares)

    def slot_terms(self) -> SlotTerms:
        """The terms of the account's schedule of slots."""
        return SlotTerms.of(self.account_rate, self.guard_s)

    def slot_in_time(self, due: float, now: float) -> bool:
        """A slot due at `due` may still be used at `now` (the lateness rule); a later one is
        let go, so that a stalled loop never sends the slots it slept through in a bunch."""
        return now - due <= late_allowance(self.account_rate, self.guard_s)

    def send_delay(self, now: float) -> float:
        """Seconds until one more create may be let go; 0.0 means now.

        A loop that wakes late sends one launch late and the next on time (the schedules keep
        their pace): the create floor(rate) after a late one waits until a second and half the
        guard have passed since it. The schedules spread floor(rate) launches over a second and
        the whole guard, so that delay shrinks by half the guard each second, and launches on
        their schedule are never held."""
        return self._send_delay(now, None)

    def let_go(self, now: float) -> SendTurn:
        """A create is let go at `now` (call it only when `send_delay(now)` is 0): it counts
        from now, or from when its bytes leave if its launcher says (`SendTurn`)."""
        turn = SendTurn(now, self)
        self._sends.append(turn)
        return turn

    def _send_delay(self, now: float, moving: SendTurn | None) -> float:
        # Counted at `w`, a create shares a window with those counted after `w - span` only.
        span = self._send_span
        while self._sends and self._sends[0].at <= now - span:
            self._sends.popleft().counted = False
        if len(self._sends) < self.send_cap + (moving is not None and moving.counted):
            return 0.0
        later = sorted(s.at for s in self._sends if s is not moving and s.at > now - span)
        if len(later) < self.send_cap:
            return 0.0
        return max(0.0, later[-self.send_cap] + span - now)

    def _left(self, turn: SendTurn, now: float) -> None:
        turn.at = max(turn.at, now)
        if not turn.counted:  # let go more than a window before its bytes left
            turn.counted = True
            self._sends.append(turn)


@dataclass(eq=False, slots=True)
class SendTurn:
    """One create let go by a `LaunchSchedule`, counted from `at`, and handed to the launcher.

    Right before the create's bytes leave (an HTTP client may write them later, in a task of
    its own), the launcher waits until `delay(now)` is 0 and calls `leave(now)`: the create
    counts from then on, so the cap holds on the times bytes left. A launcher that cannot tell
    does neither, and the create counts from when it was let go."""

    at: float
    schedule: LaunchSchedule = field(repr=False)
    counted: bool = True  # in its schedule's log (a send is forgotten a window later)

    def delay(self, now: float) -> float:
        """Seconds until this create's bytes may leave; 0.0 means now."""
        return self.schedule._send_delay(now, self)

    def leave(self, now: float) -> None:
        """The bytes leave at `now`, no earlier than the create was let go."""
        self.schedule._left(self, now)


class LaunchRateController:
    """One execution's schedule: spaces its launches within its budget, backs off on 429s.

    The next launch is due one spacing (1/rate) after the previous one was due, and no more
    than ceil(budget) are due within a second and the guard. A launch up to `late_allowance`
    late keeps that schedule (a loop that wakes late loses no rate); a later one starts a new
    schedule from itself (idle time never turns into a burst). Counted on the late times, the
    window would pass each wake-up's lateness on to every later launch; a second log, of the
    times launches went, caps every real second at ceil(budget) without moving the schedule.
    `rng` (default: a fresh `random.Random()`) draws the backoff jitter."""

    def __init__(
        self,
        budget: float,
        *,
        guard_s: float = DEFAULT_GUARD_S,
        rng: random.Random | None = None,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 60.0,
    ) -> None:
        _check_rate("budget", budget)
        _check_rate("guard_s", guard_s)
        if not 0 < backoff_base_s <= backoff_cap_s < math.inf:
            raise ValueError("backoff needs 0 < backoff_base_s <= backoff_cap_s < inf")
        self._budget = budget
        self._rate = budget
        self._guard_s = guard_s
        self._rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter only
        self._base = backoff_base_s
        self._cap = backoff_cap_s
        self._next = -math.inf  # when the next launch is due on the schedule
        self._last_take: float | None = None
        self._due: deque[float] = deque(maxlen=_window_cap(budget))  # when launches were due
        self._went: deque[float] = deque(maxlen=_window_cap(budget))  # when they went
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
        """A new budget, keeping the rate's share of it; the wait for the next launch is
        rescaled from the last launch (`now` is not needed)."""
        _check_rate("budget", budget)
        fraction = self._rate / self._budget if self._budget > 0 else 1.0
        self._budget = budget
        self._due = deque(self._due, maxlen=_window_cap(budget))  # the newest, when shrunk
        self._went = deque(self._went, maxlen=_window_cap(budget))
        self._set_rate(budget * fraction if budget > 0 else 0.0)

    def delay(self, now: float) -> float:
        """Seconds until the next launch may go; 0.0 means now, inf when the budget is 0."""
        if self._rate <= 0:
            return math.inf
        ready = max(self._due_at(), _ready_at(self._went, 1.0))
        return max(0.0, ready - now)

    def take(self, now: float) -> None:
        """One launch happened at `now`. Call it only when `delay(now)` is 0."""
        due = self._due_at()
        on_schedule = due if now - due < late_allowance(self._rate, self._guard_s) else now
        self._due.append(on_schedule)
        self._went.append(now)
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
        return max(self._hold_until, self._next, _ready_at(self._due, 1.0 + self._guard_s))

    def _hold(self, until: float) -> None:
        # The first launch after the hold is due at its end, and starts no catch-up burst.
        self._hold_until = max(self._hold_until, until)
        self._next = max(self._next, self._hold_until)

    def _set_rate(self, rate: float) -> None:
        """Change the rate, stretching the wait for the next launch with the spacing, from the
        last launch or the end of a hold after it (a hold is a fixed time)."""
        old = self._rate
        self._rate = rate
        if rate <= 0 or self._next == -math.inf:
            return  # nothing scheduled yet: the first launch may go at once
        anchor = max(self._hold_until, -math.inf if self._last_take is None else self._last_take)
        if old > 0:
            self._next = anchor + max(0.0, self._next - anchor) * old / rate
        else:
            self._next = anchor + 1 / rate


def _ready_at(times: deque[float], span: float) -> float:
    """The earliest time one more may join `times` (the last `maxlen` of them) with no window
    of `span` seconds holding more than `maxlen`; -inf while fewer are logged."""
    return times[0] + span if len(times) == times.maxlen else -math.inf


def _check_rate(name: str, value: float) -> None:
    if not 0 <= value < math.inf:
        raise ValueError(f"{name} must be finite and >= 0, got {value}")


def _window_cap(budget: float) -> int:
    return max(1, math.ceil(budget))
