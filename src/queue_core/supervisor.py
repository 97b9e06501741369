"""The queue supervisor: the runners of one service instance, and what they share.

It turns control commands into runners, shares the account's launch budget among running
executions in proportion to their `cps_share`, wakes a runner when one of its contacts
finishes, resumes stored executions after a restart, times out contacts that never finish,
and drains on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from queue_core.budget import LaunchRateController, account_rate, share_rates
from queue_core.campaign import CampaignExecution
from queue_core.control import ControlCommandHandler, StateChange
from queue_core.errors import InvalidCampaignExecution, StoreUnavailable
from queue_core.pacer import Pacer
from queue_core.ports import (
    AssemblyStore,
    CampaignExecutionStore,
    ControlStream,
)
from queue_core.runner import QueueRunner, RunnerPorts, RunnerSettings
from queue_core.state import LIVE_STATES, QueueState
from queue_core.tokens import CallstatusTokens
from queue_core.tracker import ContactTracker

__all__ = ["BudgetSettings", "QueueSupervisor"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BudgetSettings:
    account_cps: float = 1.0
    cps_share: float = 0.9
    contact_timeout_s: float = 7200.0


class QueueSupervisor:
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
    ) -> None:
        self.ports = ports
        self._executions = executions
        self._runner_settings = runner_settings
        self._budget_settings = budget_settings
        self._tokens = tokens
        self._pacer_factory = pacer_factory or (lambda execution: Pacer(execution.pacing))
        self.runners: dict[str, QueueRunner] = {}
        self._tasks: dict[str, asyncio.Task[QueueState]] = {}
        self.tracker = ContactTracker(ports.calls, assembly, ports.cache, ports.clock, self.wake)
        self.commands = ControlCommandHandler(
            control, executions, ports.states, ports.events, ports.calls, ports.clock, self._changed
        )

    @property
    def account_rate(self) -> float:
        settings = self._budget_settings
        return account_rate(settings.account_cps, settings.cps_share)

    def wake(self, execution_id: str) -> None:
        runner = self.runners.get(execution_id)
        if runner is not None:
            runner.wake()

    async def resume_stored(self) -> list[str]:
        """Start a runner for every stored execution that is still live (after a restart)."""
        resumed = []
        for execution_id in await self.ports.states.executions():
            status = await self.ports.states.load(execution_id)
            if status is None or status.state not in LIVE_STATES:
                continue
            try:
                execution = await self._executions.load(execution_id)
            except InvalidCampaignExecution as exc:
                log.error("cannot resume %s: %s", execution_id, exc)
                continue
            self._spawn(execution)
            resumed.append(execution_id)
        return resumed

    async def _changed(self, change: StateChange) -> None:
        execution_id = change.command.campaign_execution_id
        runner = self.runners.get(execution_id)
        if change.execution is not None and runner is None:
            self._spawn(change.execution)
        elif runner is not None:
            runner.wake()

    def _spawn(self, execution: CampaignExecution) -> None:
        execution_id = execution.campaign_execution_id
        if execution_id in self._tasks and not self._tasks[execution_id].done():
            return
        runner = QueueRunner(
            execution,
            self.ports,
            self._runner_settings,
            self._tokens,
            LaunchRateController(0.0),
            self._pacer_factory(execution),
        )
        self.runners[execution_id] = runner
        task = asyncio.create_task(runner.run(), name=f"runner:{execution_id}")
        self._tasks[execution_id] = task
        task.add_done_callback(lambda _: self._ended(execution_id))
        self._rebalance()

    def _ended(self, execution_id: str) -> None:
        task = self._tasks.pop(execution_id, None)
        self.runners.pop(execution_id, None)
        if task is not None and not task.cancelled() and task.exception() is not None:
            log.error("runner of %s crashed", execution_id, exc_info=task.exception())
        self._rebalance()

    def _rebalance(self) -> None:
        shares = {eid: r.execution.pacing.cps_share for eid, r in self.runners.items()}
        rates = share_rates(self.account_rate, shares)
        now = self.ports.clock.monotonic()
        for execution_id, runner in self.runners.items():
            runner.budget.set_budget(rates[execution_id], now)

    async def reap_timeouts(self) -> int:
        """Give contacts with no terminal event after the contact timeout their disposition."""
        done = 0
        for execution_id in list(self.runners):
            attempts = await self.ports.calls.in_flight(execution_id)
            done += await self.tracker.time_out(attempts, self._budget_settings.contact_timeout_s)
        return done

    async def run_control(self, stop: asyncio.Event, block_ms: int = 1000) -> None:
        """Consume control commands until `stop` is set; store errors are retried."""
        while not stop.is_set():
            try:
                await self.commands.poll(block_ms=block_ms)
            except StoreUnavailable as exc:
                log.warning("control stream unavailable: %s", exc)
                await self.ports.clock.sleep(1.0)

    async def run_reaper(self, stop: asyncio.Event, interval_s: float = 5.0) -> None:
        while not stop.is_set():
            try:
                await self.reap_timeouts()
            except StoreUnavailable as exc:
                log.warning("reaper: store unavailable: %s", exc)
            await self.ports.clock.sleep(interval_s)

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
        runner of the execution). Contacts in flight keep their stored state."""
        for runner in self.runners.values():
            runner.leave()
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=grace_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
