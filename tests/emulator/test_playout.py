"""Call playout: signed CloudEvents batches, callstatus posts, duplicates, modes, retries."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict

import httpx
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from tests.emulator.conftest import (
    FAST,
    FLOW_SID,
    FROM,
    Receiver,
    create_execution,
    phone,
    subscribe,
)
from twilio_emulator import EmulatorConfig, EmulatorHandle, running_emulator
from twilio_emulator.cloudevents import VOICE_PREFIX
from twilio_emulator.config import OUTCOMES, updated_config
from twilio_emulator.playout import MACHINE_VERDICTS, plan_call

STARTED = "com.twilio.studio.flow.execution.started"
ENDED = "com.twilio.studio.flow.execution.ended"
STEP = "com.twilio.studio.flow.step.ended"
COMPLETED = VOICE_PREFIX + "call.completed"
TERMINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
ENVELOPE = {"specversion", "type", "source", "id", "dataschema", "datacontenttype", "time", "data"}
VOICE_FIELDS = {"CallSid", "CallStatus", "To", "From", "SequenceNumber", "Direction", "Timestamp"}


def _client(emulator: EmulatorHandle) -> httpx.AsyncClient:
    auth = (emulator.account_sid, emulator.auth_token)
    return httpx.AsyncClient(base_url=emulator.base_url, auth=auth)


async def _launch(client: httpx.AsyncClient, receiver: Receiver, count: int) -> list[str]:
    sids = []
    for n in range(count):
        parameters = {
            "campaign_execution_id": "ce-1",
            "record_id": f"r-{n}",
            "callstatus_url": receiver.callstatus_url,
            "callstatus_token": f"token-{n}",
            "attributes": {},
        }
        answer = await create_execution(client, phone(n), parameters)
        assert answer.status_code == 201, answer.text
        sids.append(answer.json()["sid"])
    return sids


def _by_type(receiver: Receiver) -> dict[str, list[dict[str, object]]]:
    found: dict[str, list[dict[str, object]]] = defaultdict(list)
    for event in receiver.all_events():
        found[str(event["type"])].append(event)
    return found


async def test_every_execution_plays_out_in_signed_batches(
    client: httpx.AsyncClient, emulator: EmulatorHandle, receiver: Receiver
) -> None:
    await subscribe(client, receiver.events_url)
    sids = await _launch(client, receiver, 12)
    await emulator.wait_idle()

    validator = RequestValidator(emulator.auth_token)
    assert receiver.batches
    for batch in receiver.batches:
        assert "bodySHA256=" in batch.url
        signature = batch.headers["x-twilio-signature"]
        assert validator.validate(batch.url, batch.body.decode(), signature)
        assert all(set(event) == ENVELOPE for event in batch.events())

    events = _by_type(receiver)
    started = Counter(e["data"]["execution_sid"] for e in events[STARTED])  # type: ignore[index]
    ended = Counter(e["data"]["execution_sid"] for e in events[ENDED])  # type: ignore[index]
    assert started == ended == Counter(sids)
    calls = {e.sid: e for e in emulator.executions()}
    terminal = {}
    for event in events[COMPLETED]:
        params = event["data"]["request"]["parameters"]  # type: ignore[index]
        assert VOICE_FIELDS | {"CallDuration", "Duration", "SipResponseCode"} <= set(params)
        assert params["CallStatus"] in TERMINAL
        terminal[(params["To"], params["From"])] = params["CallStatus"]
    # By default a failed call has no voice event (see twilio_emulator.config).
    reported = {(e.to, FROM): e.call_status for e in calls.values() if e.outcome != "failed"}
    assert terminal == reported
    for event in events[STEP]:
        data = event["data"]
        assert data["transitioned_from"] == "call_user"  # type: ignore[index]
        assert data["name"] in {"answered", "busy", "noAnswer", "failed"}  # type: ignore[index]
        assert {"CallSid", "CallStatus"} <= set(data["context"])  # type: ignore[index]
    assert len(events[STEP]) == 12

    assert len(receiver.callstatus) == 12
    for post in receiver.callstatus:
        fields = post.form()
        assert validator.validate(post.url, fields, post.headers["x-twilio-signature"])
        n = int(fields["record_id"].removeprefix("r-"))
        assert fields["callstatus_token"] == f"token-{n}"
        assert fields["campaign_execution_id"] == "ce-1"
        assert fields["call_status"] == calls[fields["execution_sid"]].call_status
        assert fields["call_sid"].startswith("CA")
        assert fields["execution_sid"] in sids
    assert emulator.stats()["executions_active"] == 0
    fetched = await client.get(f"/v2/Flows/{FLOW_SID}/Executions/{sids[0]}")
    assert fetched.json()["status"] == "ended"
    assert emulator.violations() == []


async def test_duplicates_appear_when_the_setting_is_on(receiver: Receiver) -> None:
    config = updated_config(FAST, {"duplicate_probability": 1.0})
    async with running_emulator(config) as emulator, _client(emulator) as client:
        await subscribe(client, receiver.events_url)
        await _launch(client, receiver, 3)
        await emulator.wait_idle()
        ids = Counter(e["id"] for e in receiver.all_events())
        assert ids
        assert all(count == 2 for count in ids.values())
        assert emulator.stats()["counters"]["duplicates_injected"] == len(ids)


async def test_studio_only_mode_sends_no_voice_events(receiver: Receiver) -> None:
    weights = {"failed": 1.0, "busy": 1.0, "human": 1.0}
    settings = {"voice_events": False, "callstatus_on": "failed", "outcome_weights": weights}
    async with running_emulator(updated_config(FAST, settings)) as emulator:
        async with _client(emulator) as client:
            await subscribe(client, receiver.events_url)
            await _launch(client, receiver, 12)
            await emulator.wait_idle()
        events = _by_type(receiver)
        assert not [t for t in events if t.startswith(VOICE_PREFIX)]
        assert len(events[STARTED]) == len(events[ENDED]) == len(events[STEP]) == 12
        failed = {e.sid for e in emulator.executions() if e.outcome == "failed"}
        assert failed, "the seed draws at least one failed call"
        assert {p.form()["execution_sid"] for p in receiver.callstatus} == failed
        assert {p.form()["call_status"] for p in receiver.callstatus} == {"failed"}
        assert {p.form()["error_code"] for p in receiver.callstatus} == {"13224"}


async def test_shuffled_batches_reorder_a_calls_events(receiver: Receiver) -> None:
    settings = {"batch_window_s": 0.3, "shuffle_within_batch": True}
    async with (
        running_emulator(updated_config(FAST, settings)) as emulator,
        _client(emulator) as client,
    ):
        await subscribe(client, receiver.events_url)
        await _launch(client, receiver, 4)
        await emulator.wait_idle()
    sequences: dict[str, list[int]] = defaultdict(list)
    for event in receiver.all_events():
        if str(event["type"]).startswith(VOICE_PREFIX + "call."):
            params = event["data"]["request"]["parameters"]  # type: ignore[index]
            sequences[params["CallSid"]].append(int(params["SequenceNumber"]))
    assert len(sequences) == 4
    assert any(seq != sorted(seq) for seq in sequences.values())


async def test_delivery_jitter_moves_events_across_batches(receiver: Receiver) -> None:
    settings = {"delivery_jitter_s": 0.2, "outcome_weights": {"human": 1.0}}
    async with (
        running_emulator(updated_config(FAST, settings)) as emulator,
        _client(emulator) as client,
    ):
        await subscribe(client, receiver.events_url)
        await _launch(client, receiver, 4)
        await emulator.wait_idle()
    assert len(receiver.batches) > 1
    arrival: dict[str, list[int]] = defaultdict(list)
    for event in receiver.all_events():
        if str(event["type"]).startswith(VOICE_PREFIX + "call."):
            params = event["data"]["request"]["parameters"]  # type: ignore[index]
            arrival[params["CallSid"]].append(int(params["SequenceNumber"]))
    assert sorted(len(seq) for seq in arrival.values()) == [4, 4, 4, 4]
    assert any(seq != sorted(seq) for seq in arrival.values())


async def test_failed_deliveries_are_retried(receiver: Receiver) -> None:
    async with running_emulator(FAST) as emulator, _client(emulator) as client:
        await subscribe(client, receiver.events_url, [STARTED])
        receiver.fail_first = 2
        await create_execution(client, phone(1))
        await emulator.wait_idle()
        counters = emulator.stats()["counters"]
    assert [e["type"] for e in receiver.all_events()] == [STARTED]
    assert counters["delivery_failures"] == 2
    assert counters["batches_delivered"] == 1


async def test_ending_an_execution_hangs_up_its_call(receiver: Receiver) -> None:
    settings = {"time_scale": 1.0, "dial_delay_s": 0.0, "outcome_weights": {"human": 1.0}}
    async with (
        running_emulator(updated_config(FAST, settings)) as emulator,
        _client(emulator) as client,
    ):
        await subscribe(client, receiver.events_url)
        sid = (await create_execution(client, phone(1))).json()["sid"]
        # The flow sets a plain attribute when it places the call: poll it.
        while not emulator.state.executions[sid].call_sid:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        path = f"/v2/Flows/{FLOW_SID}/Executions/{sid}"
        ended = await client.post(path, data={"Status": "ended"})
        assert ended.json()["status"] == "ended"
        await emulator.wait_idle()
    events = _by_type(receiver)
    [completed] = events[COMPLETED]
    assert completed["data"]["request"]["parameters"]["CallStatus"] == "canceled"  # type: ignore[index]
    [end] = events[ENDED]
    assert end["data"]["ended_reason"] == "API"  # type: ignore[index]


async def test_a_seed_replays_the_same_sids_and_outcomes() -> None:
    async def run() -> list[tuple[str, str]]:
        async with running_emulator(FAST) as emulator, _client(emulator) as client:
            for n in range(6):
                await create_execution(client, phone(n))
            await emulator.wait_idle()
            return [(e.sid, e.outcome) for e in emulator.executions()]

    first = await run()
    assert await run() == first
    assert len({outcome for _, outcome in first}) > 1


@given(
    st.sampled_from(OUTCOMES),
    st.integers(min_value=0, max_value=2**32),
    st.booleans(),
)
def test_a_plan_follows_the_outcome_and_its_ranges(outcome: str, seed: int, amd: bool) -> None:
    import random

    config = EmulatorConfig(outcome_weights={outcome: 1.0}, amd=amd)
    plan = plan_call(random.Random(seed), config)
    assert plan.outcome == outcome
    if plan.answered:
        talk = config.talk_human_s if outcome == "human" else config.talk_machine_s
        assert talk[0] <= plan.talk_s <= talk[1]
        assert config.ring_s[0] <= plan.ring_s <= config.ring_s[1]
        assert plan.final_status == "completed"
        if amd:
            expected = {"human"} if outcome == "human" else set(MACHINE_VERDICTS)
            assert plan.answered_by in expected
            assert 0 < plan.amd_after_s <= plan.talk_s
        else:
            assert plan.answered_by == ""
    else:
        assert plan.answered_by == ""
        assert plan.call_duration_s == 0
        assert plan.final_status in TERMINAL - {"completed"}
