"""The runner's launches kept true to what Studio did, whatever answer was lost.

send          launch, in its send turn; when the answer is lost, adopt the execution Studio
              may have created rather than create a second one (which would place a second call)
record        a launch Studio made, in the active-call registry, launched when its create left
              (facts parked before it go to the tracker, `on_recorded`)
release       the (To, From) pair of a launch that did not go (`release_pair`: of a claim
              going back unlaunched, if it holds it); `give_back` also puts claims back
settle_*      a record that cannot be launched (invalid) or whose launch failed for good
recover       after a crash: adopt or re-queue launches whose outcome was never recorded,
              and put back every claim no launch was started for

None of it reads or changes the runner's own state: what may stop a launch being sent again
(the lease, the execution's state, the account's slot) is the runner's to say (`send`'s
`again`). Store steps raise `StoreUnavailable` (the runner retries them), but for
`give_back` and `settle_failed`, which retry until the store answers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from queue_core.domain.assembler import invalid_record_disposition, launch_failed_disposition
from queue_core.domain.campaign import CampaignExecution, PacingMode
from queue_core.domain.contacts import ClaimedRecord, ContactAttempt, ContactRecord, ContactRef
from queue_core.domain.errors import InvalidContactRecord, StoreUnavailable
from queue_core.domain.facts import ContactFact
from queue_core.domain.launch import Ambiguous, Launched, LaunchOutcome, LaunchRequest, Rejected
from queue_core.domain.launch_schedule import SendTurn
from queue_core.domain.tokens import CallstatusTokens
from queue_core.services.runner_config import RunnerPorts, RunnerSettings
from queue_core.services.store_retry import StoreRetry

__all__ = ["OnRecorded", "Reconciler"]

# Hands facts parked before a launch was recorded to the tracker.
OnRecorded = Callable[[ContactAttempt, Sequence[ContactFact]], Awaitable[None]]


class Reconciler:
    """Sends, records, releases and recovers the launches of one execution (module
    docstring). Owned by its `QueueRunner`, with the runner's ports, settings and log."""

    def __init__(
        self,
        execution: CampaignExecution,
        ports: RunnerPorts,
        settings: RunnerSettings,
        send_turn: Callable[[], Awaitable[SendTurn]],
        tokens: CallstatusTokens,
        retry: StoreRetry,
        log: logging.LoggerAdapter[logging.Logger],
    ) -> None:
        """`send_turn` waits for a create's turn among the process's sends. With
        `settings.expect_task_events`, a person-answered call goes to TaskRouter's agents and
        the sink gets TaskRouter's events (ADR 0025); never for a `fixed` execution, which
        needs no agents."""
        self.execution = execution
        self._id = execution.campaign_execution_id
        self._cache = ports.cache
        self._calls = ports.calls
        self._launcher = ports.launcher
        self._send_turn = send_turn
        self._clock = ports.clock
        self._tokens = tokens
        self._callstatus_url = settings.callstatus_url
        self._expect_voice_events = settings.expect_voice_events
        self._expect_task_events = (
            settings.expect_task_events and execution.pacing.mode is not PacingMode.FIXED
        )
        self._campaign_id = execution.campaign_id or ""
        self._max_launch_attempts = settings.max_launch_attempts
        self._reconcile_margin_s = settings.reconcile_margin_s
        self._reconcile_after_s = settings.reconcile_after_s
        self._retry = retry
        self._log = log
        self.on_recorded: OnRecorded | None = None

    def request(self, contact: ContactRecord, ref: ContactRef) -> LaunchRequest:
        """The launch of `contact` (claimed as `ref`), with a callstatus token issued for this
        launch: it stops counting once the contact has settled (`token_lifetime`)."""
        execution = self.execution
        return LaunchRequest(
            flow_sid=execution.studio_flow_sid,
            to=contact.phone_number,
            from_=execution.from_number,
            parameters={
                "campaign_execution_id": self._id,
                "record_id": contact.record_id,
                "callstatus_url": self._callstatus_url,
                "callstatus_token": self._tokens.issue(self._id, contact.record_id, ref.claim_id),
                "attributes": dict(contact.attributes),
            },
        )

    async def send(
        self,
        request: LaunchRequest,
        ref: ContactRef,
        reserved_at: float,
        again: Callable[[], Awaitable[bool]],
    ) -> LaunchOutcome:
        """Launch; when the answer is lost, adopt the execution Studio may have created rather
        than create a second one (which would place a second call). A launch is sent again
        only when it never left (the launcher raised `StoreUnavailable`) or when Studio's list
        shows it made nothing, and only when `again()` says it still may go; while the list
        cannot be read, it is asked again, never sent."""
        outcome: LaunchOutcome = Ambiguous("not tried")
        unsure = False  # a create may have reached Studio and lost its answer
        for attempt in range(self._max_launch_attempts):
            if attempt:
                await self._clock.sleep(min(5.0, 0.5 * 2**attempt))
            if not unsure:
                if attempt and not await again():
                    return outcome
                try:
                    outcome = await self._launcher.launch(request, await self._send_turn())
                except StoreUnavailable as exc:
                    self._log.warning("launch of %s not sent, sending it again: %s", ref, exc)
                    outcome = Ambiguous(f"not sent: {exc}")
                    continue
                if not isinstance(outcome, Ambiguous):
                    return outcome
                unsure = True
            try:
                sid = await self._launcher.find_execution(
                    request.flow_sid, request.to, reserved_at - self._reconcile_margin_s
                )
            except StoreUnavailable:
                continue
            if sid is not None:
                return Launched(sid, adopted=True)
            unsure = False
        return outcome

    async def reserve_again(self, ref: ContactRef, request: LaunchRequest, token: int) -> None:
        """Reserve a launch about to be sent again: idempotent for the same contact, it checks
        the fencing `token`. Raises `LeaseLost`; retries until the store answers."""
        await self._retry.until_done(
            lambda: self._calls.reserve(ref, request.to, request.from_, self._clock.now(), token)
        )

    async def record(
        self,
        record: ClaimedRecord,
        contact: ContactRecord,
        launched: Launched,
        request: LaunchRequest,
    ) -> None:
        """Record the launch Studio made for the claim `record` as in flight, launched when its
        create left (when the launcher told, else now), with its attempt number and the
        execution's retry policy; hand over facts parked before it."""
        ref = ContactRef(self._id, record.claim_id)
        now = self._clock.now()
        if launched.sent_at is not None:
            now -= max(0.0, self._clock.monotonic() - launched.sent_at)
        attempt = ContactAttempt(
            ref=ref,
            record_id=contact.record_id,
            to=request.to,
            from_=request.from_,
            flow_sid=request.flow_sid,
            execution_sid=launched.execution_sid,
            launched_at=now,
            expect_voice_events=self._expect_voice_events,
            campaign_id=self._campaign_id,
            expect_task_events=self._expect_task_events,
            attempt=record.attempt,
            retry=self.execution.retry,
        )
        parked = await self._calls.record_launch(attempt)
        if parked and self.on_recorded is not None:
            await self.on_recorded(attempt, parked)

    async def release(self, ref: ContactRef, to: str) -> None:
        """Let go of the reservation (and the (To, From) pair) of a launch that did not go."""
        await self._calls.release(ref, to, self.execution.from_number, "")

    async def release_pair(self, ref: ContactRef, record: ClaimedRecord) -> None:
        """Let go of the pair index of a claim going back unlaunched, if it holds it."""
        try:
            contact = ContactRecord.parse(record.raw)
        except InvalidContactRecord:
            return  # never reserved: an invalid record is settled, not dialed
        await self.release(ref, contact.phone_number)

    async def give_back(
        self, ref: ContactRef, contact: ContactRecord, records: list[ClaimedRecord]
    ) -> None:
        """A launch that did not go: release it, and put `records` (its own claim first) back
        at the head of the cache, retrying until the store answers."""
        await self._retry.until_done(lambda: self.release(ref, contact.phone_number))
        await self._retry.until_done(lambda: self._cache.return_to_head(self._id, records))

    async def settle_invalid(self, record: ClaimedRecord, exc: InvalidContactRecord) -> None:
        """Settle a claimed record that cannot be launched (nothing was reserved for it)."""
        disposition = invalid_record_disposition(
            self._id,
            record,
            str(exc),
            self._clock.now(),
            self.execution.from_number,
            self._campaign_id,
            record.attempt,
        )
        await self._cache.settle(self._id, record.claim_id, disposition)

    async def settle_failed(
        self, record: ClaimedRecord, contact: ContactRecord, ref: ContactRef, rejected: Rejected
    ) -> None:
        """Settle a launch Twilio refused for good, and release it, retrying until the store
        answers."""
        failed = launch_failed_disposition(
            self._id,
            contact,
            self.execution.from_number,
            rejected,
            self._clock.now(),
            self._campaign_id,
        )
        disposition = self.execution.retry.mark(failed, record.attempt)
        await self._retry.until_done(
            lambda: self._cache.settle(self._id, record.claim_id, disposition)
        )
        await self._retry.until_done(lambda: self.release(ref, contact.phone_number))

    async def recover(self) -> None:
        """After a crash: adopt or re-queue launches whose outcome was never recorded, and put
        back every claim no launch was started for."""
        launching = dict(await self._calls.launching(self._id))
        back: list[ClaimedRecord] = []
        for record in await self._cache.claimed(self._id):
            ref = ContactRef(self._id, record.claim_id)
            if ref not in launching:
                # Its reservation may have held the (To, From) pair and died before marking the
                # claim (a crash or an outage between the two steps): let the pair go, or the
                # record, claimed again under a new id, would find it held until its TTL.
                await self.release_pair(ref, record)
                back.append(record)
                continue
            if self._clock.now() - launching[ref] < self._reconcile_after_s:
                continue  # its launch may still be under way (here or at a previous owner)
            try:
                contact = ContactRecord.parse(record.raw)
            except InvalidContactRecord:
                back.append(record)
                continue
            sid = await self._launcher.find_execution(
                self.execution.studio_flow_sid,
                contact.phone_number,
                launching[ref] - self._reconcile_margin_s,
            )
            if sid is None:
                await self.release(ref, contact.phone_number)
                back.append(record)
            else:
                request = LaunchRequest(
                    self.execution.studio_flow_sid,
                    contact.phone_number,
                    self.execution.from_number,
                    {},
                )
                await self.record(record, contact, Launched(sid, adopted=True), request)
        if back:
            await self._cache.return_to_head(self._id, back)
