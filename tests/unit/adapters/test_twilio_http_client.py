"""The twilio-python HTTP client on httpx: URL rewrite, timeout, one attempt, last answer."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_adapters.twilio.http_client import (
    HttpxAsyncHttpClient,
    LastResponse,
    TransportFailure,
    rewrite_twilio_url,
)

BASE = "http://127.0.0.1:9999"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://studio.twilio.com/v2/Flows/FW1/Executions?PageSize=50",
            f"{BASE}/v2/Flows/FW1/Executions?PageSize=50",
        ),
        ("https://events.twilio.com/v1/Sinks", f"{BASE}/v1/Sinks"),
        ("https://studio.edge.us1.twilio.com/v2/Flows", f"{BASE}/v2/Flows"),
        ("https://example.com/v1/Sinks", "https://example.com/v1/Sinks"),
        ("http://studio.twilio.com/v2/Flows", "http://studio.twilio.com/v2/Flows"),
        ("https://twilio.com.evil.example/v1", "https://twilio.com.evil.example/v1"),
        (f"{BASE}/v1/Sinks?Page=1", f"{BASE}/v1/Sinks?Page=1"),
    ],
)
def test_rewrite_sends_twilio_hosts_to_the_base_url_path_kept(url: str, expected: str) -> None:
    assert rewrite_twilio_url(url, BASE) == expected


def test_rewrite_keeps_a_base_path_prefix_and_is_off_without_a_base() -> None:
    url = "https://events.twilio.com/v1/Sinks?PageSize=2"
    assert rewrite_twilio_url(url, "http://h:1/twilio/") == "http://h:1/twilio/v1/Sinks?PageSize=2"
    assert rewrite_twilio_url(url, None) == url
    assert rewrite_twilio_url(url, "") == url


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after": " 0.5 "}, 0.5),
        ({"Retry-After": "-3"}, 0.0),
        ({}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        (
            {
                "Retry-After": "Sat, 28 Nov 2026 10:00:07 GMT",
                "Date": "Sat, 28 Nov 2026 10:00:00 GMT",
            },
            7.0,
        ),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(
    headers: dict[str, str], expected: float | None
) -> None:
    assert LastResponse(429, headers).retry_after_s() == expected


@given(st.text(max_size=60))
def test_retry_after_never_raises_and_is_never_negative(value: str) -> None:
    seconds = LastResponse(429, {"Retry-After": value}).retry_after_s()
    assert seconds is None or seconds >= 0.0


async def test_request_goes_once_to_the_rewritten_url_with_form_body_and_auth() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500, json={"code": 20500, "message": "boom"})

    http = HttpxAsyncHttpClient(base_url=BASE, transport=httpx.MockTransport(answer))
    try:
        response = await http.request(
            "post",
            "https://events.twilio.com/v1/Subscriptions",
            data={"SinkSid": "DG1", "Types": ['{"type": "a"}', '{"type": "b"}']},
            auth=("AC1", "secret"),
        )
    finally:
        await http.close()
    assert len(seen) == 1  # a 5xx is not retried
    assert str(seen[0].url) == f"{BASE}/v1/Subscriptions"
    assert seen[0].method == "POST"
    body = seen[0].content.decode()
    assert body.count("Types=") == 2
    assert seen[0].headers["authorization"].startswith("Basic ")
    assert response.status_code == 500
    last = http.last_response
    assert last is not None
    assert (last.status, last.headers["content-type"]) == (500, "application/json")
    assert last.text == response.text == '{"code":20500,"message":"boom"}'


async def test_each_request_gets_the_client_timeout() -> None:
    timeouts: list[dict[str, float]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        return httpx.Response(200, json={})

    http = HttpxAsyncHttpClient(timeout_s=3.5, transport=httpx.MockTransport(answer))
    try:
        await http.request("GET", "https://studio.twilio.com/v2/Flows")
        await http.request("GET", "https://studio.twilio.com/v2/Flows", timeout=1.0)
    finally:
        await http.close()
    assert timeouts[0] == {"connect": 3.5, "read": 3.5, "write": 3.5, "pool": 3.5}
    assert timeouts[1]["read"] == 1.0


@pytest.mark.parametrize(
    ("error", "sent"),
    [
        (httpx.ConnectError("refused"), False),
        (httpx.ConnectTimeout("slow connect"), False),
        (httpx.ReadTimeout("slow answer"), True),
        (httpx.RemoteProtocolError("reset"), True),
        (httpx.WriteError("broken pipe"), True),
    ],
)
async def test_transport_failures_say_whether_the_request_may_have_arrived(
    error: httpx.HTTPError, sent: bool
) -> None:
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise error

    http = HttpxAsyncHttpClient(transport=httpx.MockTransport(answer))
    try:
        with pytest.raises(TransportFailure) as caught:
            await http.request("POST", "https://studio.twilio.com/v2/Flows/FW1/Executions")
    finally:
        await http.close()
    assert caught.value.request_sent is sent
    assert calls == 1
    assert http.last_response is None


async def test_last_response_belongs_to_the_task_that_asked() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(int(request.url.params["status"]), text="")

    http = HttpxAsyncHttpClient(transport=httpx.MockTransport(answer))

    async def ask(status: int) -> int | None:
        await http.request("GET", "https://studio.twilio.com/x", params={"status": status})
        await asyncio.sleep(0)
        last = http.last_response
        return last.status if last else None

    try:
        results = await asyncio.gather(*(ask(s) for s in (200, 429, 404, 503)))
    finally:
        await http.close()
    assert results == [200, 429, 404, 503]
