"""Rate limits (account CPS, Studio's 20/s), the launch stats, and the one-active-execution rule."""

from __future__ import annotations

import asyncio
import json

import httpx
from hypothesis import given
from hypothesis import strategies as st

from tests.emulator.conftest import FAST, FLOW_SID, create_execution, phone
from tests.support.openapi import assert_conforms
from twilio_emulator import EmulatorConfig, EmulatorHandle, running_emulator
from twilio_emulator.config import updated_config
from twilio_emulator.launches import LaunchLog, max_in_window

EXECUTIONS = f"/v2/Flows/{FLOW_SID}/Executions"


def _client(emulator: EmulatorHandle) -> httpx.AsyncClient:
    auth = (emulator.account_sid, emulator.auth_token)
    return httpx.AsyncClient(base_url=emulator.base_url, auth=auth)


def _brute_force_max(times: list[float], window: float) -> int:
    return max((sum(1 for u in times if t <= u < t + window) for t in times), default=0)


async def test_above_the_account_cps_the_answer_is_429_and_stats_count_it() -> None:
    config = updated_config(FAST, {"account_cps": 2.0})
    async with running_emulator(config) as emulator, _client(emulator) as client:
        answers = await asyncio.gather(*(create_execution(client, phone(n)) for n in range(8)))
        refused = [a for a in answers if a.status_code == 429]
        assert refused, "eight creations at once must exceed 2 per second"
        assert {a.status_code for a in answers} == {201, 429}
        for answer in refused:
            assert answer.json() == {
                "code": 20429,
                "message": "Too Many Requests",
                "more_info": "https://www.twilio.com/docs/errors/20429",
                "status": 429,
            }
        assert_conforms(refused[0])
        stats = emulator.stats()
        assert stats["answered_429"] == len(refused)
        assert stats["counters"]["answered_429_cps"] == len(refused)
        assert stats["executions_created"] == 8 - len(refused)
        created = sorted(e["created_monotonic"] for e in stats["executions"])
        assert stats["max_launches_in_1s"] == _brute_force_max(created, 1.0) <= 2


async def test_studio_allows_twenty_executions_per_second_whatever_the_cps() -> None:
    config = updated_config(FAST, {"account_cps": 100.0, "studio_executions_per_s": 20})
    async with running_emulator(config) as emulator, _client(emulator) as client:
        answers = await asyncio.gather(*(create_execution(client, phone(n)) for n in range(30)))
        statuses = [a.status_code for a in answers]
        assert statuses.count(429) >= 1
        assert emulator.stats()["counters"]["answered_429_studio_limit"] == statuses.count(429)
        assert emulator.stats()["max_launches_in_1s"] <= 20


async def test_queue_mode_accepts_all_and_spaces_the_calls_to_the_cps() -> None:
    config = updated_config(FAST, {"account_cps": 4.0, "cps_mode": "queue"})
    async with running_emulator(config) as emulator, _client(emulator) as client:
        answers = await asyncio.gather(*(create_execution(client, phone(n)) for n in range(6)))
        assert {a.status_code for a in answers} == {201}
        stats = emulator.stats()
        assert stats["max_launches_in_1s"] == 6
        assert stats["max_calls_placed_in_1s"] == 4
        call_times = sorted(e["call_at_monotonic"] for e in stats["executions"])
        assert _brute_force_max(call_times, 1.0) == 4


async def test_a_forced_429_storm_ends_on_time(
    client: httpx.AsyncClient, emulator: EmulatorHandle
) -> None:
    set_storm = await client.post(
        "/_emulator/config", content=json.dumps({"force_429_until": 0.3, "retry_after_s": 0.5})
    )
    assert set_storm.json()["faults"]["force_429_remaining_s"] > 0
    during = await create_execution(client, phone(1))
    assert (during.status_code, during.headers["Retry-After"]) == (429, "0.5")
    await asyncio.sleep(0.35)
    after = await create_execution(client, phone(1))
    assert after.status_code == 201
    assert emulator.stats()["counters"]["answered_429_forced"] == 1


async def test_5xx_faults_create_nothing(
    client: httpx.AsyncClient, emulator: EmulatorHandle
) -> None:
    emulator.configure(fail_next=2, error_5xx_status=500)
    failed = [await create_execution(client, phone(n)) for n in range(2)]
    assert [f.status_code for f in failed] == [500, 500]
    assert failed[0].json()["code"] == 20500
    assert emulator.stats()["executions_created"] == 0
    assert (await create_execution(client, phone(3))).status_code == 201


async def test_a_dropped_answer_still_creates_the_execution(
    client: httpx.AsyncClient, emulator: EmulatorHandle
) -> None:
    emulator.configure(drop_next_creates=1)
    try:
        lost = await create_execution(client, phone(1))
    except httpx.HTTPError:
        lost = None
    assert lost is None, "the answer must be lost on the wire"
    listed = await client.get(EXECUTIONS, params={"DateCreatedFrom": "2000-01-01T00:00:00Z"})
    assert [e["contact_channel_address"] for e in listed.json()["executions"]] == [phone(1)]
    emulator.configure(drop_next_creates=1, drop_mode="500")
    answer = await create_execution(client, phone(2))
    assert answer.status_code == 500
    assert emulator.stats()["executions_created"] == 2
    assert emulator.stats()["dropped_answers"] == 2


async def test_one_active_execution_per_to_from_pair(
    client: httpx.AsyncClient, emulator: EmulatorHandle
) -> None:
    emulator.configure(time_scale=1.0)  # the first call stays active during the test
    first = await create_execution(client, phone(7))
    second = await create_execution(client, phone(7))
    assert second.status_code == 409
    assert second.json()["code"] == 20409
    assert_conforms(second)
    ended = await client.post(f"{EXECUTIONS}/{first.json()['sid']}", data={"Status": "ended"})
    assert ended.json()["status"] == "ended"
    assert (await create_execution(client, phone(7))).status_code == 201


async def test_api_keys_authenticate_and_wrong_secrets_do_not() -> None:
    config = EmulatorConfig(api_keys={"SK" + "1" * 32: "key-secret"})
    async with running_emulator(config) as emulator, httpx.AsyncClient() as http:
        url = f"{emulator.base_url}/v1/Sinks"
        assert (await http.get(url, auth=("SK" + "1" * 32, "key-secret"))).status_code == 200
        denied = await http.get(url, auth=("SK" + "1" * 32, "nope"))
        assert (denied.status_code, denied.json()["code"]) == (401, 20003)
        assert (await http.get(url)).status_code == 401


@given(st.lists(st.floats(min_value=0, max_value=20, allow_nan=False), max_size=40))
def test_max_in_window_matches_a_brute_force_count(times: list[float]) -> None:
    times.sort()
    assert max_in_window(times, 1.0) == _brute_force_max(times, 1.0)


@given(
    st.lists(st.floats(min_value=0, max_value=0.5, allow_nan=False), max_size=60),
    st.integers(min_value=1, max_value=5),
)
def test_admitting_by_count_within_keeps_the_window_limit(gaps: list[float], limit: int) -> None:
    log, now = LaunchLog(), 0.0
    for gap in gaps:
        now += gap
        if log.count_within(now, 1.0) < limit:
            log.record(now)
    assert log.max_in_window(1.0) <= limit
