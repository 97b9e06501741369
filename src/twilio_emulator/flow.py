"""One execution of the dialer's Studio flow, played out in (scaled) time.

The flow: REST API trigger -> Make Outgoing Call widget (`call_widget`, AMD on) -> Make HTTP
Request to `Parameters.callstatus_url` (per `callstatus_on`) -> end. It publishes, in order:
Studio `execution.started`; voice `call.initiated`, `call.ringing`, `call.answered`,
`amd.detected` (when they happen); the call widget's `step.ended` when the widget
transitions (on answer, or when the call ends unanswered); voice `call.completed` with the
final status; then the callstatus post; then Studio `execution.ended`, after which the
execution is no longer active. With the call centre on, a call a person answered is handed to
an agent after AMD (`twilio_emulator.callcentre`), and its talk is the agent's, or ends when
the caller gives up waiting. Which of them are published, and how late they are delivered,
follows the sources settings (`twilio_emulator.sources`).

Ending the execution through the API (`Status=ended`) hangs the call up (`canceled` before an
answer, `completed` after), publishes that terminal voice event and `execution.ended` at once,
and stops the flow.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from twilio_emulator import cloudevents as ce
from twilio_emulator._wire import new_sid
from twilio_emulator.callstatus import callstatus_fields, post_callstatus, wants_callstatus
from twilio_emulator.playout import CallPlan, plan_call, plan_leg
from twilio_emulator.resources import Execution
from twilio_emulator.sources import voice_event_wanted

if TYPE_CHECKING:
    from twilio_emulator.agent_tasks import AgentTask
    from twilio_emulator.state import EmulatorState

__all__ = ["CallFlow", "start_flow"]

_RING_AFTER_S = 0.5  # simulated seconds from `initiated` to `ringing`
_TERMINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


class CallFlow:
    def __init__(self, state: EmulatorState, execution: Execution) -> None:
        self._state = state
        self._execution = execution
        self._rng = state.execution_rng(execution)
        self.plan: CallPlan = plan_call(self._rng, state.config)
        execution.outcome = self.plan.outcome
        self._ended = asyncio.Event()
        self._seq = 0
        self._answered_at: float | None = None
        self._widget_started = time.time()
        self._task: AgentTask | None = None  # the agent's task, once handed over

    # --- the script ------------------------------------------------------------------------

    async def run(self) -> None:
        ex, plan = self._execution, self.plan
        self._publish(ce.execution_event(self._rng, ex, ended=False, wall=time.time()))
        assert ex.call_at_monotonic is not None
        if await self._pause_real(ex.call_at_monotonic - time.monotonic()):
            return
        ex.call_sid = new_sid(self._rng, "CA")
        self._widget_started = time.time()
        self._call_status("initiated", "call.initiated")
        ring_lead = min(_RING_AFTER_S, plan.ring_s)
        if plan.outcome == "failed":
            if await self._pause(_RING_AFTER_S):
                return
        else:
            if await self._pause(ring_lead):
                return
            self._call_status("ringing", "call.ringing")
            if await self._pause(plan.ring_s - ring_lead):
                return
        duration = plan.call_duration_s
        if plan.answered:
            talked = await self._answered()
            if talked is None:
                return
            duration = round(talked)
        else:
            self._step_ended(plan.final_status)
        self._call_completed(plan.final_status, duration, plan.sip_response_code)
        if wants_callstatus(self._state, ex, plan):
            url = str(ex.parameters["callstatus_url"])
            fields = callstatus_fields(ex, plan, self._state.config)
            await post_callstatus(self._state, url, fields)
        if not self._ended.is_set():
            self._finish("FLOW_END")

    async def _answered(self) -> float | None:
        """Play the answered call: AMD, then the talk, with an agent when the flow hands it
        over. Simulated seconds from the answer to the hang-up; None if ended meanwhile."""
        plan = self.plan
        self._answered_at = time.monotonic()
        self._call_status("in-progress", "call.answered")
        if plan.answered_by:
            if await self._pause(plan.amd_after_s):
                return None
            self._amd_detected()
        self._step_ended("in-progress")
        if self._state.callcentre.hands_over(plan):
            held = await self._agent_leg()
            return None if held is None else plan.amd_after_s + held
        if await self._pause(plan.talk_s - plan.amd_after_s):
            return None
        return plan.talk_s

    async def _agent_leg(self) -> float | None:
        """Hand the call to an agent (a TaskRouter task) and wait until it ends: simulated
        seconds from the hand-over, None if the execution was ended meanwhile."""
        state, ex = self._state, self._execution
        leg = plan_leg(state.execution_rng(ex, "agent"), state.config.callcentre, self.plan)
        self._task = state.callcentre.enqueue(ex, leg, self.plan.amd_after_s)
        ended = asyncio.ensure_future(self._ended.wait())
        either: set[asyncio.Future[Any]] = {self._task.end, ended}
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
        if self._ended.is_set():
            return None
        return self._task.end.result().held_s

    def end_by_api(self) -> None:
        """`Status=ended`: hang up a call in progress, end the execution now."""
        ex = self._execution
        if self._ended.is_set():
            return
        if self._task is not None:
            self._state.callcentre.hang_up(self._task)
        if ex.call_sid and ex.call_status not in _TERMINAL:
            if self._answered_at is None:
                self._call_completed("canceled", 0, "487")
            else:
                talked = (time.monotonic() - self._answered_at) / self._state.config.time_scale
                self._call_completed("completed", round(talked), "200")
        self._finish("API")

    # --- steps -----------------------------------------------------------------------------

    def _finish(self, reason: str) -> None:
        self._ended.set()
        self._state.end_execution(self._execution, reason)
        event = ce.execution_event(self._rng, self._execution, ended=True, wall=time.time())
        self._publish(event)

    def _call_status(self, status: str, kind: str, **extra: str | int | None) -> None:
        ex = self._execution
        ex.call_status = status
        if not voice_event_wanted(self._state.config, self.plan, ce.VOICE_PREFIX + kind):
            return
        wall = time.time()
        params = ce.call_parameters(ex, status, wall, SequenceNumber=self._seq, **extra)
        self._seq += 1
        self._publish(ce.voice_event(self._rng, ex, ce.VOICE_PREFIX + kind, params, wall))

    def _call_completed(self, status: str, duration_s: int, sip: str) -> None:
        answered_by = self.plan.answered_by if self._answered_at is not None else None
        self._call_status(
            status,
            "call.completed",
            CallDuration=duration_s,
            Duration=-(-duration_s // 60),
            SipResponseCode=sip,
            AnsweredBy=answered_by or None,
        )
        if self._task is not None:
            self._state.callcentre.call_ended(self._task)

    def _amd_detected(self) -> None:
        if not voice_event_wanted(self._state.config, self.plan, ce.VOICE_AMD):
            return
        ex, wall = self._execution, time.time()
        params = ce.call_parameters(
            ex,
            ex.call_status,
            wall,
            AnsweredBy=self.plan.answered_by,
            MachineDetectionDuration=round(self.plan.amd_after_s * 1000),
        )
        self._publish(ce.voice_event(self._rng, ex, ce.VOICE_AMD, params, wall))

    def _step_ended(self, call_status: str) -> None:
        if not self._state.config.step_events:
            return
        ex, plan = self._execution, self.plan
        context: dict[str, Any] = {
            "CallSid": ex.call_sid,
            "CallStatus": call_status,
            "To": ex.to,
            "From": ex.from_,
        }
        if plan.answered_by:
            context["AnsweredBy"] = plan.answered_by
        if plan.answered:
            next_widget = "connect_agent"
        elif wants_callstatus(self._state, ex, plan):
            next_widget = "post_callstatus"
        else:
            next_widget = "Ended"
        event = ce.step_event(
            self._rng,
            ex,
            name=plan.transition,
            transitioned_from=self._state.config.call_widget,
            transitioned_to=next_widget,
            context=context,
            step_started_wall=self._widget_started,
            wall=time.time(),
        )
        self._publish(event)

    def _publish(self, event: dict[str, Any]) -> None:
        self._state.delivery.publish(event)

    # --- time ------------------------------------------------------------------------------

    async def _pause(self, simulated_s: float) -> bool:
        """Wait `simulated_s` scaled; True when the execution was ended meanwhile."""
        return await self._pause_real(simulated_s * self._state.config.time_scale)

    async def _pause_real(self, seconds: float) -> bool:
        if seconds > 0:
            try:
                async with asyncio.timeout(seconds):
                    await self._ended.wait()
            except TimeoutError:
                pass
        return self._ended.is_set()


def start_flow(state: EmulatorState, execution: Execution) -> CallFlow:
    """Play `execution` out in the background; its flow is reachable until it ends."""
    flow = CallFlow(state, execution)
    state.flows[execution.sid] = flow
    task = state.spawn(flow.run())
    task.add_done_callback(lambda _: state.flows.pop(execution.sid, None))
    return flow
