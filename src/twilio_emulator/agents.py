"""The call centre's agents (TaskRouter workers): who is logged in, who is free, and where
their staffed time went.

An agent is `offline` or on duty: `available`, `reserved` (a task offered, not yet accepted),
`talking` or `wrapping`. Logging out takes a free agent at once; when none is free, a busy one
leaves after the task in hand (`leaving`). Time is accounted in simulated seconds per on-duty
state; staffed time is their sum, and occupancy the share of it spent talking.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from twilio_emulator._wire import new_sid

__all__ = ["ON_DUTY", "Agent", "Team"]

ON_DUTY = ("available", "reserved", "talking", "wrapping")


@dataclass(slots=True, eq=False)
class Agent:
    sid: str  # WK...
    name: str
    state: str = "offline"
    since: float = 0.0  # monotonic time it entered `state`
    leaving: bool = False  # logs out once the task in hand is done
    calls: int = 0  # tasks accepted


class Team:
    """Every agent that ever logged in, and the simulated seconds spent in each state."""

    def __init__(self, rng: random.Random, time_scale: Callable[[], float]) -> None:
        self._rng = rng
        self._scale = time_scale
        self.agents: list[Agent] = []
        self._closed: dict[str, float] = dict.fromkeys(ON_DUTY, 0.0)  # spans that have ended

    @property
    def logged_in(self) -> int:
        """Agents on duty that are not about to leave."""
        return sum(1 for a in self.agents if a.state in ON_DUTY and not a.leaving)

    def free(self) -> list[Agent]:
        """Available agents, the one idle longest first."""
        return sorted((a for a in self.agents if a.state == "available"), key=lambda a: a.since)

    def states(self) -> Counter[str]:
        return Counter(a.state for a in self.agents)

    def move(self, agent: Agent, state: str, now: float) -> None:
        """`agent` enters `state` at monotonic `now`; the span it leaves is accounted. A
        step due before the agent's last change counts as at that change."""
        now = max(now, agent.since)
        if agent.state in ON_DUTY:
            self._closed[agent.state] += (now - agent.since) / self._scale()
        agent.state, agent.since = state, now

    def done_with_task(self, agent: Agent, now: float) -> None:
        """`agent` is free again, or logs out if it was leaving."""
        self.move(agent, "offline" if agent.leaving else "available", now)
        agent.leaving = False

    def change(self, count: int, now: float) -> None:
        """Log `count` agents in (positive) or out (negative)."""
        for _ in range(max(0, count)):
            self._log_in(now)
        for _ in range(max(0, -count)):
            self._log_out(now)

    def _log_in(self, now: float) -> None:
        leaving = next((a for a in self.agents if a.leaving), None)
        if leaving is not None:  # one about to leave stays instead
            leaving.leaving = False
            return
        agent = next((a for a in self.agents if a.state == "offline"), None)
        if agent is None:
            agent = Agent(new_sid(self._rng, "WK"), f"agent-{len(self.agents) + 1}")
            self.agents.append(agent)
        self.move(agent, "available", now)

    def _log_out(self, now: float) -> None:
        free = self.free()
        if free:
            self.move(free[-1], "offline", now)
            return
        busy = next((a for a in self.agents if a.state in ON_DUTY and not a.leaving), None)
        if busy is not None:
            busy.leaving = True

    def seconds(self, now: float) -> dict[str, float]:
        """Simulated seconds spent in each on-duty state so far, spans under way included."""
        totals = dict(self._closed)
        for agent in self.agents:
            if agent.state in ON_DUTY:
                totals[agent.state] += max(0.0, now - agent.since) / self._scale()
        return totals

    def restart_accounting(self, now: float) -> None:
        """Forget the time accounted so far; spans under way count from `now`."""
        self._closed = dict.fromkeys(ON_DUTY, 0.0)
        for agent in self.agents:
            agent.since = now
