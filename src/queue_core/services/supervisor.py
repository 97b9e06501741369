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
import logging
from collections.abc import Callable

from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.errors import StoreUnavailable
from queue_core.domain.launch_schedule import (
    LaunchSchedule,
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
from queue_core.services.execution_documents import ExecutionDocuments
from queue_core.services.held_leases import HeldLeases
from queue_core.services.launch_line import LaunchLine
from queue_core.services.runner import QueueRunner, RunnerPorts
from queue_core.services.runner_config import BudgetSettings, RunnerSettings
from queue_core.services.supervision import Backoff, Jitter, Restarts, Supervision, full_jitter
from queue_core.services.timeout_reaper import TimeoutReaper
from queue_core.services.tracker import ContactTracker

__all__ = ["BudgetSettings", "QueueSupervisor"]

log = logging.getLogger(__name__)

RENEWALS_PER_REQUEST = 100


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
        self._runner_settings = runner_settings
        self._tokens = tokens
        self._pacer_factory = pacer_factory or (lambda execution: Pacer(execution.pacing))
        self._held = HeldLeases(leases, runner_settings.owner, budget_settings.lease_ttl_s)
        self.runners: dict[str, QueueRunner] = {}
        self._tasks: dict[str, asyncio.Task[QueueState]] = {}
        self._starting: set[str] = set()  # executions whose lease is being acquired here
        # The cps_share of every running execution, of every instance: only those take budget
        # (a paused, draining or stopping one launches nothing).
        self._shares: dict[str, float] = {}
        self._documents = ExecutionDocuments(executions)
        self._closing = False
        self.schedule = schedule or budget_settings.schedule()
        self._line = LaunchLine(self.schedule, ports.limiter, ports.clock)
        self._restarted = on_restart or (lambda loop: None)
        self._restarts = Restarts(ports.clock, jitter)  # of crashed runners, by execution
        self._assemble(control, executions, assembly, budget_settings)

    def _assemble(
        self,
        control: ControlStream,
        executions: CampaignExecutionStore,
        assembly: AssemblyStore,
        budget_settings: BudgetSettings,
    ) -> None:
        """Its contact tracker, timeout reaper and control command handler."""
        ports = self.ports
        self.tracker = ContactTracker(
            ports.calls,
            assembly,
            ports.cache,
            ports.clock,
            self.wake,
            self._documents.runs_flow,
            settle_grace_s=budget_settings.settle_grace_s,
        )
        self._reaper = TimeoutReaper(
            ports.calls, self.tracker, ports.clock, budget_settings.contact_timeout_s
        )
        shared = (ports.states, ports.events, ports.calls, ports.clock)
        self.commands = ControlCommandHandler(
            control, executions, *shared, self._changed, ports.abandonment, ports.dnc
        )

    @property
    def account_rate(self) -> float:
        return self.schedule.account_rate

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
                execution = await self._documents.get(execution_id)
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

    async def _changed(self, change: StateChange) -> None:
        execution_id = change.command.campaign_execution_id
        runner = self.runners.get(execution_id)
        document = change.execution or self._documents.known(execution_id)
        if change.new is QueueState.RUNNING and document is not None:
            self._shares[execution_id] = document.pacing.cps_share
        else:
            self._shares.pop(execution_id, None)
        self._rebalance()
        if change.execution is not None:
            self._documents.put(change.execution)
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
        # `start` and the sweep for free executions may both get here for one execution: the
        # second one finds it starting, and never makes a second runner of it.
        self._starting.add(execution_id)
        try:
            got, token = await self._held.acquire(execution_id)
        finally:
            self._starting.discard(execution_id)
        if not got:
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
            self._documents.forget(execution_id)
        replaced = execution_id in self.runners  # a newer runner holds the lease now
        if not replaced:
            self._reaper.forget(execution_id)
            if runner.lease_token is not None:
                self._held.release_soon(execution_id, runner.lease_token)
        self._rebalance()

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
        """Extend the lease of every local runner (`HeldLeases.renew`); a runner whose lease
        is lost leaves."""
        held = [
            (execution_id, runner, runner.lease_token)
            for execution_id, runner in list(self.runners.items())
            if runner.lease_token is not None
        ]
        await self._held.renew(held, self._closing)

    async def reap_timeouts(self) -> int:
        """Give the contacts of this instance's executions that reached the contact timeout
        their disposition (`TimeoutReaper`)."""
        return await self._reaper.reap(self.runners)

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
        every_s = self._held.ttl_s / 3
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
