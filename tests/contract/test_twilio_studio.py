"""StudioCallLauncher over real HTTP: the real twilio-python client, through the project's
HTTP client, against the Twilio emulator on loopback, with OpenAPI checks on both ways."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from queue_adapters.twilio.launcher import StudioCallLauncher
from queue_adapters.twilio.rest import TwilioRest, open_twilio_rest
from queue_core.domain.errors import StoreUnavailable
from queue_core.domain.launch import Ambiguous, Launched, LaunchRequest, RateLimited, Rejected
from queue_core.domain.launch_schedule import LaunchSchedule, SendTurn
from twilio_emulator import EmulatorConfig, EmulatorHandle, running_emulator

FLOW = "FW" + "12" * 16
FROM = "+15005550006"


def request(to: str = "+14155550100") -> LaunchRequest:
    return LaunchRequest(
        flow_sid=FLOW,
        to=to,
        from_=FROM,
        parameters={"campaign_execution_id": "ce-1", "record_id": f"r-{to}", "attributes": {}},
    )


@dataclass
class Studio:
    emulator: EmulatorHandle
    rest: TwilioRest
    launcher: StudioCallLauncher


@pytest.fixture
async def studio() -> AsyncIterator[Studio]:
    config = EmulatorConfig(account_cps=1000.0, time_scale=0.001, validate_openapi=True)
    async with running_emulator(config) as emulator:
        rest = open_twilio_rest(
            account_sid=emulator.account_sid,
            auth_token=emulator.auth_token,
            base_url=emulator.base_url,
            timeout_s=5.0,
        )
        try:
            yield Studio(emulator, rest, StudioCallLauncher(rest, page_size=2))
        finally:
            await rest.close()
        assert emulator.stats()["exchanges_unchecked"] > 0  # the check below had work to do
        assert emulator.violations() == []


async def test_a_launch_creates_one_execution(studio: Studio) -> None:
    outcome = await studio.launcher.launch(request())
    assert isinstance(outcome, Launched)
    (execution,) = studio.emulator.executions()
    assert (execution.sid, execution.to, execution.from_) == (
        outcome.execution_sid,
        "+14155550100",
        FROM,
    )
    assert execution.parameters == dict(request().parameters)
    # Without a send turn too, the launcher says when the create's bytes left.
    assert outcome.sent_at is not None
    assert outcome.sent_at <= execution.created_monotonic


async def test_a_429_without_retry_after_is_rate_limited_without_a_delay(studio: Studio) -> None:
    studio.emulator.configure(force_429_for_s=30)
    assert await studio.launcher.launch(request()) == RateLimited(retry_after_s=None)
    assert studio.emulator.executions() == []


async def test_a_429_with_retry_after_is_rate_limited_with_its_delay(studio: Studio) -> None:
    studio.emulator.configure(force_429_for_s=30, retry_after_s=2.5)
    assert await studio.launcher.launch(request()) == RateLimited(retry_after_s=2.5)
    assert studio.emulator.executions() == []


async def test_going_over_the_account_rate_is_rate_limited(studio: Studio) -> None:
    studio.emulator.configure(account_cps=1.0)
    first = await studio.launcher.launch(request("+14155550101"))
    second = await studio.launcher.launch(request("+14155550102"))
    assert isinstance(first, Launched)
    assert second == RateLimited(retry_after_s=None)
    assert len(studio.emulator.executions()) == 1


async def test_a_request_twilio_refuses_is_rejected_with_its_code(studio: Studio) -> None:
    outcome = await studio.launcher.launch(request(to=""))
    assert isinstance(outcome, Rejected)
    assert (outcome.status, outcome.error_code) == (400, "20001")
    assert "To" in outcome.error_message
    assert studio.emulator.executions() == []


async def test_a_second_launch_to_an_active_pair_is_rejected(studio: Studio) -> None:
    studio.emulator.configure(time_scale=1.0)  # keep the first call in progress
    assert isinstance(await studio.launcher.launch(request()), Launched)
    outcome = await studio.launcher.launch(request())
    assert isinstance(outcome, Rejected)
    assert (outcome.status, outcome.error_code) == (409, "20409")
    assert len(studio.emulator.executions()) == 1


@pytest.mark.parametrize("drop_mode", ["close", "500"])
async def test_a_lost_answer_is_ambiguous_and_the_execution_is_found(
    studio: Studio, drop_mode: str
) -> None:
    before = time.time()
    studio.emulator.configure(drop_next_creates=1, drop_mode=drop_mode)
    outcome = await studio.launcher.launch(request())
    assert isinstance(outcome, Ambiguous)
    (execution,) = studio.emulator.executions()
    found = await studio.launcher.find_execution(FLOW, "+14155550100", created_after=before)
    assert found == execution.sid
    assert len(studio.emulator.executions()) == 1  # finding placed nothing


async def test_a_5xx_before_creating_is_ambiguous_and_nothing_is_found(studio: Studio) -> None:
    before = time.time()
    studio.emulator.configure(fail_next=1, error_5xx_status=503)
    outcome = await studio.launcher.launch(request())
    assert isinstance(outcome, Ambiguous)
    assert "503" in outcome.reason
    assert studio.emulator.stats()["requests"] == 1  # answered 5xx once, never retried
    assert await studio.launcher.find_execution(FLOW, "+14155550100", created_after=before) is None


async def test_a_slow_answer_times_out_as_ambiguous_and_the_execution_is_found(
    studio: Studio,
) -> None:
    before = time.time()
    studio.emulator.configure(response_delay_s=2.0)
    impatient = open_twilio_rest(
        account_sid=studio.emulator.account_sid,
        auth_token=studio.emulator.auth_token,
        base_url=studio.emulator.base_url,
        timeout_s=0.3,
    )
    try:
        outcome = await StudioCallLauncher(impatient).launch(request())
    finally:
        await impatient.close()
    assert isinstance(outcome, Ambiguous)
    assert "Timeout" in outcome.reason
    studio.emulator.configure(response_delay_s=0.0)
    (execution,) = studio.emulator.executions()
    assert await studio.launcher.find_execution(FLOW, "+14155550100", before) == execution.sid


async def test_find_execution_pages_through_every_execution(studio: Studio) -> None:
    before = time.time()
    sids = {}
    for n in range(7):
        to = f"+1415555011{n}"
        outcome = await studio.launcher.launch(request(to))
        assert isinstance(outcome, Launched)
        sids[to] = outcome.execution_sid
    # page size 2: the oldest execution is on the fourth page
    assert (
        await studio.launcher.find_execution(FLOW, "+14155550110", before) == sids["+14155550110"]
    )
    assert (
        await studio.launcher.find_execution(FLOW, "+14155550116", before) == sids["+14155550116"]
    )
    assert await studio.launcher.find_execution(FLOW, "+14155550199", before) is None
    assert await studio.launcher.find_execution(FLOW, "+14155550110", time.time() + 5) is None


async def test_find_execution_raises_store_unavailable_when_twilio_fails(studio: Studio) -> None:
    studio.emulator.configure(fault_scope="all", fail_next=1)
    with pytest.raises(StoreUnavailable):
        await studio.launcher.find_execution(FLOW, "+14155550100", created_after=0.0)


async def test_an_unreachable_twilio_raises_store_unavailable() -> None:
    async with running_emulator(EmulatorConfig()) as emulator:
        base_url = emulator.base_url
    rest = open_twilio_rest(account_sid="AC" + "0" * 32, auth_token="t", base_url=base_url)
    try:
        with pytest.raises(StoreUnavailable):
            await StudioCallLauncher(rest).launch(request())
    finally:
        await rest.close()


class SpyTurn:
    """A create's send turn that notes when the launcher asked whether its bytes may leave,
    and when it said they left."""

    def __init__(self, turn: SendTurn) -> None:
        self.turn = turn
        self.asked: list[float] = []
        self.left: list[float] = []

    def delay(self, now: float) -> float:
        self.asked.append(now)
        return self.turn.delay(now)

    def leave(self, now: float) -> None:
        self.left.append(now)
        self.turn.leave(now)


async def test_a_create_takes_its_send_turn_right_before_its_bytes_leave(
    studio: Studio,
) -> None:
    schedule = LaunchSchedule(10.0)
    let_go = time.monotonic()
    turn = SpyTurn(schedule.let_go(let_go))
    outcome = await studio.launcher.launch(request(), turn)  # type: ignore[arg-type]

    assert isinstance(outcome, Launched)
    (leaving,) = turn.asked  # once per create, from aiohttp's writer
    (execution,) = studio.emulator.executions()
    # The emulator times a create by the kernel's stamp of its bytes' arrival.
    assert let_go <= leaving <= turn.left[0] == outcome.sent_at <= execution.created_monotonic
    assert turn.turn.at == outcome.sent_at  # counted from when it left
    assert schedule.send_delay(time.monotonic()) == 0.0  # counted once: nine more may go
    find = await studio.launcher.find_execution(FLOW, "+14155550100", time.time() - 60)
    assert find == outcome.execution_sid
    assert turn.asked == [leaving]  # a list read is no create: it takes no turn
