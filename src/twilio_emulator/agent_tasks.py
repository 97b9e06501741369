"""A task of the call centre, the end of its call's leg with an agent, and the record of what
the call centre did with the call."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from twilio_emulator.agents import Agent
from twilio_emulator.playout import AgentLeg
from twilio_emulator.resources import Execution
from twilio_emulator.taskrouter import TaskFacts

__all__ = ["AgentTask", "CallRecord", "LegEnd", "task_attributes"]


@dataclass(frozen=True, slots=True)
class LegEnd:
    """How a handed-over call ended: `connected` to an agent or not, after `held_s`
    simulated seconds from the hand-over."""

    connected: bool
    held_s: float


@dataclass(slots=True)
class CallRecord:
    """What the call centre did with one call, in simulated seconds (`GET /_emulator/stats`)."""

    task_sid: str
    queue_sid: str
    answer_to_task_s: float  # from the answer to the hand-over (the AMD delay)
    worker_sid: str = ""
    wait_s: float | None = None  # from the hand-over to acceptance, or to the hang-up
    abandoned: bool = False
    talk_s: float = 0.0


@dataclass(slots=True, eq=False)
class AgentTask:
    """One TaskRouter task: the call it is for, its status and agent, its timers."""

    sid: str
    queue_sid: str
    attributes: str
    leg: AgentLeg
    record: CallRecord
    created: float  # monotonic
    created_wall: float
    end: asyncio.Future[LegEnd]
    status: str = "pending"
    agent: Agent | None = None
    reservation_sid: str = ""
    accepted: float | None = None
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    call_over: bool = False  # the flow has reported the call's end
    wrapped_at: float | None = None  # a wrap-up that ended before the call's end was reported

    def facts(
        self, account_sid: str, workspace_sid: str, age_s: float, *, worker: bool, reason: str
    ) -> TaskFacts:
        """What an event says of this task; `worker`: with its agent and reservation."""
        agent = self.agent if worker else None
        return TaskFacts(
            account_sid=account_sid,
            workspace_sid=workspace_sid,
            task_queue_sid=self.queue_sid,
            task_sid=self.sid,
            task_attributes=self.attributes,
            assignment_status=self.status,
            age_s=round(age_s),
            created_wall=self.created_wall,
            worker_sid=agent.sid if agent else "",
            worker_name=agent.name if agent else "",
            reservation_sid=self.reservation_sid if agent else "",
            canceled_reason=reason if self.status == "canceled" else "",
            completed_reason=reason if self.status == "completed" else "",
        )


def task_attributes(execution: Execution) -> str:
    """The task's attributes, a JSON string as TaskRouter carries them: the call's SID as Send
    to Flex and Enqueue Call write it, and its direction and numbers."""
    call = {"call_sid": execution.call_sid, "direction": "outbound"}
    call |= {"from": execution.from_, "to": execution.to}
    return json.dumps(call, separators=(",", ":"))
