"""The queue supervisor: the runners of one service instance, and what they share.

It turns control commands into runners, holds a lease on every execution it runs (so that one
instance at a time drives an execution, and another takes over within the lease time when
one dies), shares the account's launch budget among all live executions of every instance in
proportion to their `cps_share` (its `LaunchSchedule`, ADR 0017), wakes a runner when one of
its contacts finishes, times out contacts that never finish, and drains on shutdown. Each
runner reads its own stored state and pacing stats; the composition root may make those reads
once for all of them (`queue_app.shared_reads`, ADR 0010, ADR 0020).

Nothing one execution holds stops the others: a stored execution that cannot be run (its
document invalid, or anything unforeseen) is logged and skipped, and a runner that crashes is
counted (`on_restart("runner")`) and its execution run again after a capped, jittered backoff
(`queue_core.services.supervision.RESTART`). Its loops (the control consumer, the
contact-timeout reaper, lease renewal and takeover) run under `Supervision`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.errors import InvalidCampaignExecution, StoreUnavailable
from queue_core.domain.launch_schedule import (
    DEFAULT_GUARD_S,
    STUDIO_EXECUTIONS_PER_SECOND,
    LaunchSchedule,
    account_rate,
)
from queue_core.domain.pacer import Pacer
from queue_core.domain.state import LIVE_STATES, QueueState
from queue_core.domain.tokens import CallstatusTokens
from queue_core.ports import (
    AssemblyStore,
    CampaignExecutionStore,
    ControlStream,
    ExecutionLeases,
)
from queue_core.services.control import ControlCommandHandler, StateChange
from queue_core.services.launch_line import LaunchLine
from queue_core.services.runner import QueueRunner, RunnerPorts, RunnerSettings
from queue_core.services.supervision import Backoff, Jitter, Restarts, Supervision, full_jitter
from queue_core.services.tracker import ContactTracker

__all__ = ["BudgetSettings", "QueueSupervisor"]

log = logging.getLogger(__name__)

RENEWALS_PER_REQUEST = 100


@dataclass(frozen=True, slots=True)
class BudgetSettings:
    account_cps: float = 1.0
    cps_share: float = 0.9
    contact_timeout_s: float = 7200.0
    settle_grace_s: float = 30.0
    lease_ttl_s: float = 10.0
    studio_executions_per_s: float = STUDIO_EXECUTIONS_PER_SECOND
    # The spread of the way from a launch slot to Twilio that every launch cap leaves free.
    launch_guard_s: float = DEFAULT_GUARD_S

    @property
    def account_rate(self) -> float:
        """Launches/s this service may use (`queue_core.domain.launch_schedule.account_rate`)."""
        return account_rate(self.account_cps, self.cps_share, self.studio_executions_per_s)

    def schedule(self) -> LaunchSchedule:
        """A process's launch schedule at the account rate and the launch guard."""
        return LaunchSchedule(self.account_rate, self.launch_guard_s)


class QueueSupervisor:
    """The runners of one instance, their leases, their shared budget (module docstring)."""

    def __init__(
        self,
        ports: RunnerPorts,
        control: ControlStream,
        executions: CampaignExecutionStore,
        assembly: AssemblyStore,
        runner_settings: RunnerSettings,
        budget_settings: BudgetSettings,
        tokens: CallstatusTokens,
        pacer_factory: Callable[[CampaignExecution], Pacer] | None = None,
        leases: ExecutionLeases | None = None,
        on_restart: Callable[[str], None] | None = None,
        jitter: Jitter = full_jitter,
        schedule: LaunchSchedule | None = None,
    ) -> None:
        """`on_restart(loop)` counts each restart of a loop (`"runner"`, `"control consumer"`,
        `"contact-timeout reaper"`, `"lease renewal"`, `"lease takeover"`) after an unexpected
        error; `jitter` draws each wait of a backoff below its ceiling. `schedule`: the
        process's launch schedule (default: `budget_settings.schedule()`); every launch of it
        waits in one line."""
        self.ports = ports
        self._executions = executions
        self._runner_settings = runner_settings
        self._budget_settings = budget_settings
        self._tokens = tokens
        self._pacer_factory = pacer_factory or (lambda execution: Pacer(execution.pacing))
        self._leases = leases
        self._owner = runner_settings.owner
        self.runners: dict[str, QueueRunner] = {}
        self._tasks: dict[str, asyncio.Task[QueueState]] = {}
        self._starting: set[str] = set()  # executions whose lease is being acquired here
        # The cps_share of every running execution, of every instance: only those take budget
        # (a paused, draining or stopping one launches nothing).
        self._shares: dict[str, float] = {}
        self._documents: dict[str, CampaignExecution] = {}
        self._closing = False
        self.schedule = schedule or budget_settings.schedule()
        self._line = LaunchLine(self.schedule, ports.limiter, ports.clock)
        # When the reaper next needs to look at an execution's contacts (wall clock): no
        # contact of it can reach the contact timeout before then.
        self._reap_at: dict[str, float] = {}
        self._restarted = on_restart or (lambda loop: None)
        self._restarts = Restarts(ports.clock, jitter)  # of crashed runners, by execution
        self._refused: dict[str, str] = {}  # why an execution could not be run, last logged
        self.tracker = ContactTracker(
            ports.calls,
            assembly,
            ports.cache,
            ports.clock,
            self.wake,
            self._is_our_flow,
            settle_grace_s=budget_settings.settle_grace_s,
        )
        shared = (ports.states, ports.events, ports.calls, ports.clock)
        self.commands = ControlCommandHandler(
            control, executions, *shared, self._changed, ports.abandonment
        )

    @property
    def account_rate(self) -> float:
        return self.schedule.account_rate

    def _is_our_flow(self, flow_sid: str) -> bool:
        return any(e.studio_flow_sid == flow_sid for e in self._documents.values())

    def wake(self, execution_id: str) -> None:
        runner = self.runners.get(execution_id)
        if runner is not None:
            runner.wake()

    async def resume_stored(self) -> list[str]:
        """Run every stored live execution whose lease is free (after a restart, or when the
        instance driving it died); return the ones started here."""
        started = []
        running: dict[str, float] = {}
        ids = await self.ports.states.executions()
        # A runner here knows its execution's state (read at most IDLE_STATE_READ_S ago);
        # the others' are read in one request.
        states: dict[str, QueueState] = {
            e: r.state for e, r in self.runners.items() if r.state is not QueueState.IDLE
        }
        unknown = [e for e in ids if e not in states]
        if unknown:
            states.update(zip(unknown, await self.ports.states.load_states(unknown), strict=True))
        for execution_id in ids:
            state = states[execution_id]
            if state not in LIVE_STATES:
                continue
            try:
                execution = await self._document(execution_id)
                if execution is None:
                    continue
                if state is QueueState.RUNNING:
                    running[execution_id] = execution.pacing.cps_share
                if self._restarts.waiting(execution_id):
                    continue  # its runner crashed: wait out the backoff
                if execution_id not in self._tasks and await self._run(execution):
                    started.append(execution_id)
            except StoreUnavailable:
                raise
            except Exception:  # one execution never keeps the others from running
                log.exception(
                    "cannot run %s", execution_id, extra={"campaign_execution_id": execution_id}
                )
        self._shares = running
        self._rebalance()
        return started

    async def _document(self, execution_id: str) -> CampaignExecution | None:
        known = self._documents.get(execution_id)
        if known is not None:
            return known
        try:
            execution = await self._executions.load(execution_id)
        except InvalidCampaignExecution as exc:
            if self._refused.get(execution_id) != str(exc):  # once, not every sweep
                self._refused[execution_id] = str(exc)
                log.error(
                    "cannot run %s: %s",
                    execution_id,
                    exc,
                    extra={"campaign_execution_id": execution_id},
                )
            return None
        self._refused.pop(execution_id, None)
        self._documents[execution_id] = execution
        return execution

    async def _changed(self, change: StateChange) -> None:
        execution_id = change.command.campaign_execution_id
        runner = self.runners.get(execution_id)
        document = change.execution or self._documents.get(execution_id)
        if change.new is QueueState.RUNNING and document is not None:
            self._shares[execution_id] = document.pacing.cps_share
        else:
            self._shares.pop(execution_id, None)
        self._rebalance()
        if change.execution is not None:
            self._documents[execution_id] = change.execution
            self._shares[execution_id] = change.execution.pacing.cps_share
            if runner is None:
                await self._run(change.execution)
                return
        if runner is not None:
            runner.state_changed()

    async def _run(self, execution: CampaignExecution) -> bool:
        """Start a runner here if this instance gets the execution's lease."""
        execution_id = execution.campaign_execution_id
        if execution_id in self._starting or (
            execution_id in self._tasks and not self._tasks[execution_id].done()
        ):
            return True
        if self._closing:
            return False
        token = None
        if self._leases is not None:
            # `start` and the sweep for free executions may both get here for one execution:
            # the second one finds it starting, and never makes a second runner of it.
            self._starting.add(execution_id)
            try:
                token = await self._leases.acquire(
                    execution_id, self._owner, self._budget_settings.lease_ttl_s
                )
            finally:
                self._starting.discard(execution_id)
            if token is None:
                return False
        runner = QueueRunner(
            execution,
            self.ports,
            self._runner_settings,
            self._tokens,
            self.schedule.controller(),
            self._pacer_factory(execution),
            line=self._line,
            lease_token=token,
        )
        runner.on_recorded = self.tracker.adopt
        self.runners[execution_id] = runner
        began = self.ports.clock.monotonic()
        task = asyncio.create_task(runner.run(), name=f"runner:{execution_id}")
        self._tasks[execution_id] = task
        task.add_done_callback(lambda _: self._ended(execution_id, runner, task, began))
        self._rebalance()
        return True

    def _ended(
        self,
        execution_id: str,
        runner: QueueRunner,
        task: asyncio.Task[QueueState],
        began: float,
    ) -> None:
        if self._tasks.get(execution_id) is task:
            del self._tasks[execution_id]
        if self.runners.get(execution_id) is runner:
            del self.runners[execution_id]
        finished = not task.cancelled()
        if finished and task.exception() is not None:
            wait = self._restarts.crashed(execution_id, self.ports.clock.monotonic() - began)
            self._restarted("runner")
            log.error(
                "runner of %s crashed; run again in %.1fs at the soonest",
                execution_id,
                wait,
                exc_info=task.exception(),
                extra={"campaign_execution_id": execution_id},
            )
        elif finished:
            self._restarts.ended(execution_id)
        if finished and task.exception() is None and task.result() not in LIVE_STATES:
            self._shares.pop(execution_id, None)
            self._documents.pop(execution_id, None)
        replaced = execution_id in self.runners  # a newer runner holds the lease now
        if not replaced:
            self._reap_at.pop(execution_id, None)
        if self._leases is not None and runner.lease_token is not None and not replaced:
            asyncio.get_running_loop().create_task(self._release(execution_id, runner.lease_token))
        self._rebalance()

    async def _release(self, execution_id: str, token: int) -> None:
        assert self._leases is not None
        with contextlib.suppress(StoreUnavailable):  # else it expires on its own
            await self._leases.release(execution_id, self._owner, token)

    def _rebalance(self) -> None:
        rates = self.schedule.budgets(self._shares)
        now = self.ports.clock.monotonic()
        for execution_id, runner in self.runners.items():
            rate = rates.get(execution_id, 0.0)
            if rate == runner.budget.budget:
                continue
            rose = rate > runner.budget.budget
            runner.budget.set_budget(rate, now)
            if rose:
                runner.wake()  # its next launch may come sooner than it sleeps for

    async def renew_leases(self) -> None:
        """Extend the lease of every local runner, `RENEWALS_PER_REQUEST` in one request
        (`renew_many`) after another; a runner whose lease is lost leaves."""
        if self._leases is None:
            return
        held = [
            (execution_id, runner, runner.lease_token)
            for execution_id, runner in list(self.runners.items())
            if runner.lease_token is not None
        ]
        kept: list[bool] = []
        for first in range(0, len(held), RENEWALS_PER_REQUEST):
            part = held[first : first + RENEWALS_PER_REQUEST]
            kept += await self._leases.renew_many(
                [(execution_id, token) for execution_id, _, token in part],
                self._owner,
                self._budget_settings.lease_ttl_s,
            )
        for (execution_id, runner, _), still_ours in zip(held, kept, strict=True):
            # Closing, every runner is leaving and lets its lease go, maybe before this answer.
            if not still_ours and not self._closing:
                log.warning(
                    "lease on %s lost: leaving it",
                    execution_id,
                    extra={"campaign_execution_id": execution_id},
                )
                runner.leave()

    async def reap_timeouts(self) -> int:
        """Give contacts with no terminal event after the contact timeout their disposition.
        An execution's contacts are read again only once one of them can have timed out: the
        oldest in flight, or one launched since, reaches the timeout."""
        done = 0
        timeout = self._budget_settings.contact_timeout_s
        clock = self.ports.clock
        for execution_id in list(self.runners):
            asked = clock.now()
            if asked < self._reap_at.get(execution_id, -math.inf):
                continue
            attempts = await self.ports.calls.in_flight(execution_id)
            done += await self.tracker.time_out(attempts, timeout)
            # One timed out just now is looked at again next time (it should be gone).
            self._reap_at[execution_id] = min(
                [a.launched_at + timeout for a in attempts], default=asked + timeout
            )
        return done

    def _supervision(self, stop: asyncio.Event) -> Supervision:
        return Supervision(self.ports.clock, stop, self._restarted, self._restarts.jitter)

    async def run_control(self, stop: asyncio.Event, block_ms: int = 1000) -> None:
        """Consume control commands until `stop` is set; a store error is retried within
        2 s at most (each read blocks up to `block_ms` when there is nothing to read)."""
        await self._supervision(stop).run(
            "control consumer",
            lambda: self.commands.poll(block_ms=block_ms),
            every_s=0.0,
            retry=Backoff(first_s=0.5, cap_s=2.0),
        )

    async def run_leases(self, stop: asyncio.Event) -> None:
        """Renew local leases and take over executions whose lease is free, every third of
        the lease time: an instance that dies is replaced within the lease time. The two run
        apart, so that a long look for free executions never delays a renewal."""
        supervision = self._supervision(stop)
        every_s = self._budget_settings.lease_ttl_s / 3
        await asyncio.gather(
            supervision.run("lease renewal", self.renew_leases, every_s=every_s),
            supervision.run("lease takeover", self.resume_stored, every_s=every_s),
        )

    async def run_reaper(self, stop: asyncio.Event, interval_s: float = 1.0) -> None:
        """Every `interval_s`: settle the contacts whose settle grace is due (of any
        execution: whoever received their end may be gone), then those of this instance's
        executions that reached the contact timeout."""

        async def reap() -> None:
            await self.tracker.settle_graces()
            await self.reap_timeouts()

        await self._supervision(stop).run("contact-timeout reaper", reap, every_s=interval_s)

    async def wait_idle(self) -> dict[str, QueueState]:
        """Wait until every runner has ended; return how each ended."""
        ended: dict[str, QueueState] = {}
        while self._tasks:
            tasks = dict(self._tasks)
            await asyncio.wait(tasks.values())
            for execution_id, task in tasks.items():
                if not task.cancelled() and task.exception() is None:
                    ended[execution_id] = task.result()
        return ended

    async def shutdown(self, grace_s: float = 10.0) -> None:
        """Stop claiming and launching: every runner puts its claimed but unlaunched records
        back at the head of their cache and waits for the launches already sent, up to
        `grace_s`; then any runner still busy is cancelled (its claims are recovered by the next
        runner of the execution). Contacts in flight keep their stored state. No runner starts
        here afterwards: the leases go to other instances."""
        self._closing = True
        for runner in self.runners.values():
            runner.leave()
        tasks = list(self._tasks.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
