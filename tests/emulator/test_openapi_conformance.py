"""The emulator's answers conform to Twilio's OpenAPI specs, checked by openapi-core."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx

from tests.emulator.conftest import FLOW_SID, create_execution, phone, subscribe
from tests.support.openapi import assert_conforms, spec_violations
from twilio_emulator import EmulatorHandle
from twilio_emulator.openapi import Exchange, check_exchange

EXECUTIONS = f"/v2/Flows/{FLOW_SID}/Executions"


async def test_execution_create_list_fetch_and_end_conform(
    client: httpx.AsyncClient, emulator: EmulatorHandle
) -> None:
    created = await create_execution(client, phone(1), {"record_id": "r-1"})
    assert created.status_code == 201
    assert_conforms(created)
    sid = created.json()["sid"]
    listed = await client.get(
        EXECUTIONS, params={"DateCreatedFrom": "2000-01-01T00:00:00Z", "PageSize": 10}
    )
    assert [e["sid"] for e in listed.json()["executions"]] == [sid]
    fetched = await client.get(f"{EXECUTIONS}/{sid}")
    ended = await client.post(f"{EXECUTIONS}/{sid}", data={"Status": "ended"})
    assert ended.json()["status"] == "ended"
    context = await client.get(f"{EXECUTIONS}/{sid}/Context")
    assert context.json()["context"]["flow"]["data"] == {"record_id": "r-1"}
    for answer in (listed, fetched, ended, context):
        assert answer.status_code == 200
        assert_conforms(answer)
    assert emulator.violations() == []


async def test_sinks_and_subscriptions_conform(
    client: httpx.AsyncClient, emulator: EmulatorHandle
) -> None:
    sink_sid = await subscribe(
        client, "http://127.0.0.1:9/events", ["com.twilio.studio.flow.execution.ended"]
    )
    answers = [
        await client.get("/v1/Sinks", params={"PageSize": 5}),
        await client.get(f"/v1/Sinks/{sink_sid}"),
        await client.post(f"/v1/Sinks/{sink_sid}", data={"Description": "renamed"}),
    ]
    listed = await client.get("/v1/Subscriptions", params={"SinkSid": sink_sid})
    subscription_sid = listed.json()["subscriptions"][0]["sid"]
    answers += [
        listed,
        await client.get(f"/v1/Subscriptions/{subscription_sid}"),
        await client.get(f"/v1/Subscriptions/{subscription_sid}/SubscribedEvents"),
        await client.post(
            f"/v1/Subscriptions/{subscription_sid}/SubscribedEvents",
            data={"Type": "com.twilio.studio.flow.execution.started", "SchemaVersion": "2"},
        ),
        await client.delete(f"/v1/Subscriptions/{subscription_sid}"),
        await client.delete(f"/v1/Sinks/{sink_sid}"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 200, 200, 201, 204, 204]
    for answer in answers:
        assert_conforms(answer)
    assert emulator.violations() == []


async def test_error_answers_conform_with_twilio_error_bodies(
    client: httpx.AsyncClient, emulator: EmulatorHandle
) -> None:
    emulator.configure(force_429_for_s=5.0, retry_after_s=2.0)
    limited = await create_execution(client, phone(2))
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert limited.json() == {
        "code": 20429,
        "message": "Too Many Requests",
        "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }
    missing = await client.get(f"{EXECUTIONS}/FN{'0' * 32}")
    assert missing.status_code == 404
    unauthorized = await client.get("/v1/Sinks", auth=(emulator.account_sid, "wrong"))
    assert unauthorized.json()["code"] == 20003
    for answer in (limited, missing, unauthorized):
        assert_conforms(answer)
    assert emulator.violations() == []


async def test_a_request_that_breaks_the_spec_is_recorded(
    client: httpx.AsyncClient, emulator: EmulatorHandle
) -> None:
    answer = await client.post(EXECUTIONS, data={"From": "+15005550006"})
    assert answer.status_code == 400
    assert answer.json()["code"] == 20001
    assert any("request" in v for v in spec_violations(answer))
    assert any("POST /v2/Flows" in v and "request" in v for v in emulator.violations())


def test_the_check_fails_an_answer_that_breaks_the_schema() -> None:
    good = {
        "sid": "FN" + "0" * 32,
        "account_sid": "AC" + "0" * 32,
        "flow_sid": FLOW_SID,
        "status": "active",
        "date_created": "2026-11-28T10:00:00Z",
    }
    exchange = Exchange(
        method="GET",
        path=f"{EXECUTIONS}/FN{'0' * 32}",
        headers={"authorization": "Basic QUM6dG9rZW4="},
        status=200,
        response_headers={"content-type": "application/json"},
        response_body=json.dumps(good).encode(),
    )
    assert check_exchange(exchange) == []
    bad = {**good, "status": "running", "sid": "XX1"}
    problems = check_exchange(replace(exchange, response_body=json.dumps(bad).encode()))
    assert any("status" in p for p in problems)
    assert any("sid" in p for p in problems)
    undeclared = check_exchange(replace(exchange, status=202))
    assert undeclared, "a success status the operation does not declare must fail"
