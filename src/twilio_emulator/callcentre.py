"""The call centre: agents take the tasks of person-answered calls; callers who wait too long
hang up; TaskRouter's events tell it all.

A task is `pending` until a free agent reserves it, `reserved` until the agent accepts it
(`reservation.accepted`), `assigned` while they talk, `wrapping` during wrap-up, then
`completed`; a caller whose patience runs out while it is pending or reserved hangs up, and it
is `canceled` (reason `hangup`). Everything runs on the app's event loop in callbacks armed
with `call_at`, none awaiting between a check and its change: a task goes to one agent.

Each step runs at the time it was due, not the time the loop got to it: its callback takes that
time as `now`, and arms the next steps from it. A busy loop delays the steps but does not
stretch the simulated durations (talk, wrap-up, waits, the agents' time); only what comes from
outside (a hand-over, an execution ended, agents logged in by hand) takes the loop's clock.
The settings are `EmulatorConfig.callcentre` (`twilio_emulator.callcentre_config`).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twilio_emulator._wire import new_sid
from twilio_emulator.agent_tasks import AgentTask, CallRecord, LegEnd, task_attributes
from twilio_emulator.agents import Team
from twilio_emulator.callcentre_config import CallCentreConfig
from twilio_emulator.cloudevents import (
    RESERVATION_ACCEPTED,
    TASK_CANCELED,
    TASK_COMPLETED,
    TASK_CREATED,
)
from twilio_emulator.playout import AgentLeg, CallPlan
from twilio_emulator.resources import Execution
from twilio_emulator.taskrouter import taskrouter_event

if TYPE_CHECKING:
    from twilio_emulator.state import EmulatorState

__all__ = ["CallCentre"]


class CallCentre:
    """Agents, the tasks of one emulator, and their TaskRouter events."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state
        # Its own random source: SIDs here depend on timing, the calls' draws must not.
        self._rng = random.Random(f"{state.config.seed}:callcentre")  # noqa: S311
        self.team = Team(self._rng, lambda: state.config.time_scale)
        self.tasks: dict[str, AgentTask] = {}  # until canceled, or its agent's wrap-up ends
        self.calls: dict[str, CallRecord] = {}  # by execution SID
        self.started: float | None = None  # monotonic
        self._waiting: list[AgentTask] = []  # pending, oldest first
        self._schedule: list[asyncio.TimerHandle] = []

    @property
    def config(self) -> CallCentreConfig:
        return self._state.config.callcentre

    @property
    def scale(self) -> float:
        """Real seconds per simulated second."""
        return self._state.config.time_scale

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Log the agents in and arm the schedule, once, if the call centre is on."""
        if self.started is not None or not self.config.enabled:
            return
        self.started = time.monotonic()
        self.change_agents(self.config.agents, self.started)
        self._arm_schedule()

    def reconfigure(self, old: CallCentreConfig) -> None:
        """Apply a change of settings made while the emulator runs."""
        if self.started is None:
            self.start()
            return
        if self.config.agents != old.agents:
            self.change_agents(self.config.agents - self.team.logged_in)
        if self.config.schedule != old.schedule:
            self._arm_schedule()

    def close(self) -> None:
        for handle in self._schedule:
            handle.cancel()
        for task in self.tasks.values():
            for handle in task.timers:
                handle.cancel()

    def reset(self) -> None:
        """Forget the calls and the time accounted; agents and tasks under way stay."""
        self.calls.clear()
        self.team.restart_accounting(time.monotonic())

    def change_agents(self, count: int, now: float | None = None) -> None:
        """Log `count` agents in (positive) or out (negative) at monotonic `now` (default:
        the loop's clock); waiting tasks may go out."""
        now = time.monotonic() if now is None else now
        self.team.change(count, now)
        self._dispatch(now)

    def _arm_schedule(self) -> None:
        assert self.started is not None
        for handle in self._schedule:
            handle.cancel()
        elapsed = self._simulated(time.monotonic() - self.started)
        self._schedule = [
            self._at(self.started + at * self.scale, self._scheduled_change, change)
            for at, change in self.config.schedule
            if at >= elapsed
        ]

    def _scheduled_change(self, now: float, count: int) -> None:
        self.change_agents(count, now)

    # --- calls -----------------------------------------------------------------------------

    def hands_over(self, plan: CallPlan) -> bool:
        """Whether the flow hands this call to an agent: a person answered (AMD `human`, or
        answered with AMD off)."""
        return self.config.enabled and plan.answered and plan.answered_by in ("human", "")

    def enqueue(self, execution: Execution, leg: AgentLeg, answer_to_task_s: float) -> AgentTask:
        """A new task for the call of `execution`; `task.end` resolves when the call ends."""
        self.start()
        now, queue = time.monotonic(), self.config.queue_of(execution.flow_sid)
        record = CallRecord(new_sid(self._rng, "WT"), queue, answer_to_task_s)
        self.calls[execution.sid] = record
        task = AgentTask(
            sid=record.task_sid,
            queue_sid=queue,
            attributes=task_attributes(execution),
            leg=leg,
            record=record,
            created=now,
            created_wall=time.time(),
            end=asyncio.get_running_loop().create_future(),
        )
        self.tasks[task.sid] = task
        self._waiting.append(task)
        task.timers.append(self._later(now, leg.patience_s, self._give_up, task))
        self._state.counters["callcentre_tasks_created"] += 1
        self._publish(TASK_CREATED, task, now)
        self._dispatch(now)
        return task

    def hang_up(self, task: AgentTask) -> None:
        """The call ended from outside (its execution was ended): the task ends with it."""
        now = time.monotonic()
        if task.status in ("pending", "reserved"):
            self._cancel(now, task)
        elif task.status == "assigned" and task.accepted is not None:
            self._talk_ended(now, task, self._simulated(now - task.accepted))

    # --- steps -----------------------------------------------------------------------------

    def _dispatch(self, now: float) -> None:
        while self._waiting:
            free = self.team.free()
            if not free:
                return
            task, agent = self._waiting.pop(0), free[0]
            # A step the loop got to late may free an agent "before" a task it then takes.
            at = max(now, task.created)
            self.team.move(agent, "reserved", at)
            task.status, task.agent = "reserved", agent
            task.reservation_sid = new_sid(self._rng, "WR")
            task.timers.append(self._later(at, task.leg.accept_s, self._accept, task))

    def _accept(self, now: float, task: AgentTask) -> None:
        assert task.agent is not None
        task.status, task.accepted = "assigned", now
        task.agent.calls += 1
        self.team.move(task.agent, "talking", now)
        waited = self._simulated(now - task.created)
        task.record.worker_sid, task.record.wait_s = task.agent.sid, waited
        leg = task.leg
        talk = leg.talk_s if leg.lasts_s is None else max(0.0, leg.lasts_s - waited)
        self._state.counters["callcentre_tasks_accepted"] += 1
        self._publish(RESERVATION_ACCEPTED, task, now, worker=True)
        self._replace_timers(task, self._later(now, talk, self._talk_ended, task, talk))

    def _talk_ended(self, now: float, task: AgentTask, talk_s: float) -> None:
        assert task.agent is not None
        assert task.record.wait_s is not None
        task.status = "wrapping"
        task.record.talk_s = talk_s
        self.team.move(task.agent, "wrapping", now)
        self._resolve(task, LegEnd(True, task.record.wait_s + talk_s))
        if self.config.task_completed_at == "hangup":
            self._complete(now, task)
        # The wrap-up's end sends `task.completed`: it counts as work until then.
        self._state.work_started()
        self._replace_timers(task, self._later(now, task.leg.wrapup_s, self._wrapped_up, task))

    def call_ended(self, task: AgentTask) -> None:
        """The flow has reported the end of `task`'s call: a wrap-up that ended meanwhile (a
        late loop) finishes now, so that `task.completed` never comes before the call's end."""
        task.call_over = True
        if task.wrapped_at is not None:
            self._wrapped_up(task.wrapped_at, task)

    def _wrapped_up(self, now: float, task: AgentTask) -> None:
        if not task.call_over:
            task.wrapped_at = now
            return
        task.wrapped_at = None
        self._state.work_done()
        assert task.agent is not None
        if task.status == "wrapping":
            self._complete(now, task)
        self.tasks.pop(task.sid, None)
        self.team.done_with_task(task.agent, now)
        self._dispatch(now)

    def _complete(self, now: float, task: AgentTask) -> None:
        # The task stays in `tasks` until its agent's wrap-up ends (its timer is there).
        task.status = "completed"
        self._state.counters["callcentre_tasks_completed"] += 1
        self._publish(TASK_COMPLETED, task, now, worker=True, reason="Task completed")

    def _give_up(self, now: float, task: AgentTask) -> None:
        if task.status in ("pending", "reserved"):
            self._cancel(now, task)

    def _cancel(self, now: float, task: AgentTask) -> None:
        """The caller hangs up before an agent accepted."""
        waited = self._simulated(now - task.created)
        if task in self._waiting:
            self._waiting.remove(task)
        if task.agent is not None:  # a reservation under way is withdrawn
            self.team.done_with_task(task.agent, now)
        self._replace_timers(task)
        task.status = "canceled"
        task.record.abandoned, task.record.wait_s = True, waited
        self.tasks.pop(task.sid, None)
        self._state.counters["callcentre_tasks_canceled"] += 1
        self._publish(TASK_CANCELED, task, now, reason="hangup")
        self._resolve(task, LegEnd(False, waited))
        self._dispatch(now)

    # --- plumbing --------------------------------------------------------------------------

    def _publish(
        self,
        event_type: str,
        task: AgentTask,
        now: float,
        *,
        worker: bool = False,
        reason: str = "",
    ) -> None:
        """Send `event_type` of `task` as it is at monotonic `now`."""
        age_s = self._simulated(now - task.created)
        account, workspace = self._state.config.account_sid, self.config.workspace_sid
        facts = task.facts(account, workspace, age_s, worker=worker, reason=reason)
        nested = self.config.task_payload == "nested"
        event = taskrouter_event(self._rng, event_type, facts, nested=nested, wall=time.time())
        self._state.delivery.publish(event)

    def _resolve(self, task: AgentTask, end: LegEnd) -> None:
        if not task.end.done():
            task.end.set_result(end)

    def _replace_timers(self, task: AgentTask, *new: asyncio.TimerHandle) -> None:
        for handle in task.timers:
            handle.cancel()
        task.timers = list(new)

    def _simulated(self, real_s: float) -> float:
        return max(0.0, real_s) / self.scale

    def _later(
        self, now: float, simulated_s: float, step: Callable[..., None], *args: Any
    ) -> asyncio.TimerHandle:
        """Run `step(due, *args)` `simulated_s` after monotonic `now`."""
        return self._at(now + max(0.0, simulated_s) * self.scale, step, *args)

    def _at(self, due: float, step: Callable[..., None], *args: Any) -> asyncio.TimerHandle:
        """Run `step(due, *args)` at monotonic `due` (at once if it is past)."""
        # The loop's clock is `time.monotonic` (asyncio's default loop).
        return asyncio.get_running_loop().call_at(due, self._guarded, step, due, args)

    def _guarded(self, step: Callable[..., None], due: float, args: tuple[Any, ...]) -> None:
        try:
            step(due, *args)
        except Exception as exc:
            # A bug in the emulator, not a simulated fault: make it visible in the stats.
            self._state.counters["background_errors"] += 1
            self._state.violations.append(f"call centre step failed: {exc!r}")
