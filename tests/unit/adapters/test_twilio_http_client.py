"""The twilio-python HTTP client on aiohttp: URL rewrite, timeout, one attempt, last answer,
over real HTTP to a scripted loopback server (tests/unit/adapters/scripted_twilio.py)."""

from __future__ import annotations

import asyncio
import base64
import ssl
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from urllib.parse import urlencode

import certifi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_adapters.twilio._egress import EnvironmentProxies, Proxy, tls_context
from queue_adapters.twilio.http_client import (
    AiohttpAsyncHttpClient,
    Departure,
    LastResponse,
    TransportFailure,
    _urlencoded,
    departing,
    rewrite_twilio_url,
)
from queue_core.domain.launch_schedule import LaunchSchedule
from tests.unit.adapters.scripted_twilio import (
    Answer,
    Hangup,
    Seen,
    refused_url,
    scripted_twilio,
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
    answer = Answer(500, {"code": 20500, "message": "boom"})
    async with scripted_twilio(lambda seen: answer) as twilio:
        http = AiohttpAsyncHttpClient(base_url=twilio.url)
        try:
            response = await http.request(
                "post",
                "https://events.twilio.com/v1/Subscriptions",
                data={"SinkSid": "DG1", "Types": ['{"type": "a"}', '{"type": "b"}']},
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                auth=("AC1", "sécret"),
            )
        finally:
            await http.close()
    (seen,) = twilio.seen  # a 5xx is not retried
    assert (seen.method, seen.target) == ("POST", "/v1/Subscriptions")
    assert seen.form() == {"SinkSid": ["DG1"], "Types": ['{"type": "a"}', '{"type": "b"}']}
    scheme, token = seen.headers["Authorization"].split(" ")
    assert (scheme, base64.b64decode(token).decode()) == ("Basic", "AC1:sécret")
    assert response.status_code == 500
    last = http.last_response
    assert last is not None
    assert (last.status, last.headers["content-type"]) == (500, "application/json")
    assert last.text == response.text == answer.content.decode()


async def test_a_request_under_a_departure_waits_for_its_send_turn_right_before_it_leaves() -> None:
    """One create a second (no guard): this one was let go long ago, another 0.95 s before
    its bytes are ready. They wait for the rest of that second, and count from when they left."""
    schedule = LaunchSchedule(1.0, guard_s=0.0)
    now = time.monotonic()
    turn = schedule.let_go(now - 2.0)
    schedule.let_go(now - 0.95)
    departure = Departure(turn)
    async with scripted_twilio(lambda seen: Answer(201, {})) as twilio:
        http = AiohttpAsyncHttpClient(base_url=twilio.url)
        token = departing.set(departure)
        try:
            await http.request(
                "POST", "https://studio.twilio.com/v2/Flows/FW1/Executions", data={"To": "+1"}
            )
        finally:
            departing.reset(token)
            await http.close()
    assert len(twilio.seen) == 1
    assert departure.left_at is not None
    assert departure.left_at >= now + 0.05 - 1e-3
    assert turn.at == departure.left_at  # counted from when it left
    await departure.leaving()  # a second chunk of the same request: it leaves once
    assert turn.at == departure.left_at


async def test_query_parameters_are_encoded_as_twilio_python_expects() -> None:
    async with scripted_twilio(lambda seen: Answer(200, {})) as twilio:
        http = AiohttpAsyncHttpClient(base_url=twilio.url)
        try:
            await http.request(
                "GET",
                "https://studio.twilio.com/v2/Flows?PageSize=2",
                params={"Active": True, "Old": False, "To": "+1 415", "Types": ["a&b", "c"]},
            )
            await http.request("GET", "https://studio.twilio.com/v2/Flows", params={})
        finally:
            await http.close()
    first, second = twilio.seen
    assert first.query == {
        "PageSize": ["2"],
        "Active": ["true"],
        "Old": ["false"],
        "To": ["+1 415"],
        "Types": ["a&b", "c"],
    }
    assert second.target == "/v2/Flows"


_form_text = st.text(
    alphabet=st.characters(codec="utf-8") | st.sampled_from(" %+&=~-._!*'()\"{}:,/")
)


@given(st.dictionaries(_form_text, _form_text | st.lists(_form_text, max_size=3), max_size=4))
def test_form_encoding_is_urllib_quote_plus_byte_for_byte(
    fields: dict[str, str | list[str]],
) -> None:
    assert _urlencoded(fields) == urlencode(fields, doseq=True)


def slow(answer_after_s: float) -> Callable[[Seen], Awaitable[Answer]]:
    async def script(seen: Seen) -> Answer:
        await asyncio.sleep(answer_after_s)
        return Answer(200, {})

    return script


async def test_each_request_gets_the_client_timeout_unless_the_call_gives_one() -> None:
    async with scripted_twilio(slow(30.0)) as twilio:
        impatient = AiohttpAsyncHttpClient(base_url=twilio.url, timeout_s=0.2)
        patient = AiohttpAsyncHttpClient(base_url=twilio.url, timeout_s=60.0)
        try:
            with pytest.raises(TransportFailure, match="Timeout") as by_client:
                await impatient.request("GET", "https://studio.twilio.com/v2/Flows")
            with pytest.raises(TransportFailure, match="Timeout") as by_call:
                await patient.request("GET", "https://studio.twilio.com/v2/Flows", timeout=0.2)
        finally:
            await impatient.close()
            await patient.close()
    assert by_client.value.request_sent
    assert by_call.value.request_sent
    assert len(twilio.seen) == 2


@pytest.mark.parametrize(
    ("hangup", "error"),
    [
        (Hangup(), "ServerDisconnectedError"),  # reset after reading the request
        (Hangup(b"HTTP/1.1 201 Created\r\nContent-Length: 9\r\n\r\n{"), "ClientPayloadError"),
        (Hangup(b"NOT HTTP AT ALL\r\n\r\n"), "ClientResponseError"),
    ],
)
async def test_a_lost_answer_may_have_arrived_and_is_never_resent(
    hangup: Hangup, error: str
) -> None:
    def drop(seen: Seen) -> Answer:
        raise hangup

    async with scripted_twilio(drop) as twilio:
        http = AiohttpAsyncHttpClient(base_url=twilio.url)
        try:
            with pytest.raises(TransportFailure, match=error) as caught:
                await http.request(
                    "POST", "https://studio.twilio.com/v2/Flows/FW1/Executions", data={"To": "+1"}
                )
        finally:
            await http.close()
    assert caught.value.request_sent is True
    assert len(twilio.seen) == 1
    assert http.last_response is None


async def test_a_get_on_a_kept_alive_connection_is_not_resent_when_dropped() -> None:
    # aiohttp's default re-sends an idempotent request once on a reused connection
    def first_answered_then_dropped(seen: Seen) -> Answer:
        if seen.query.get("n") == ["2"]:
            raise Hangup()
        return Answer(200, {})

    async with scripted_twilio(first_answered_then_dropped) as twilio:
        http = AiohttpAsyncHttpClient(base_url=twilio.url)
        try:
            await http.request("GET", "https://studio.twilio.com/x", params={"n": 1})
            with pytest.raises(TransportFailure) as caught:
                await http.request("GET", "https://studio.twilio.com/x", params={"n": 2})
        finally:
            await http.close()
    assert caught.value.request_sent is True
    assert [seen.query["n"] for seen in twilio.seen] == [["1"], ["2"]]


async def test_a_refused_connection_never_left() -> None:
    http = AiohttpAsyncHttpClient(base_url=refused_url())
    try:
        with pytest.raises(TransportFailure, match="ClientConnectorError") as caught:
            await http.request(
                "POST", "https://studio.twilio.com/v2/Flows/FW1/Executions", data={"To": "+1"}
            )
    finally:
        await http.close()
    assert caught.value.request_sent is False
    assert http.last_response is None


@pytest.mark.parametrize("base_url", ["ftp://127.0.0.1:21", "http://"])
async def test_a_url_that_cannot_be_sent_never_left(base_url: str) -> None:
    http = AiohttpAsyncHttpClient(base_url=base_url)
    try:
        with pytest.raises(TransportFailure) as caught:
            await http.request("GET", "https://studio.twilio.com/v2/Flows")
    finally:
        await http.close()
    assert caught.value.request_sent is False


async def test_no_free_connection_in_time_never_left() -> None:
    arrived = asyncio.Event()

    async def hold(seen: Seen) -> Answer:
        arrived.set()
        await asyncio.sleep(30.0)
        return Answer(200, {})

    async with scripted_twilio(hold) as twilio:
        http = AiohttpAsyncHttpClient(base_url=twilio.url, max_connections=1)
        try:
            busy = asyncio.create_task(
                http.request("GET", "https://studio.twilio.com/busy", timeout=60.0)
            )
            await arrived.wait()
            with pytest.raises(TransportFailure, match="ConnectionTimeoutError") as caught:
                await http.request("POST", "https://studio.twilio.com/waits", timeout=0.2)
            busy.cancel()
            with pytest.raises(asyncio.CancelledError):
                await busy
        finally:
            await http.close()
    assert caught.value.request_sent is False
    assert [seen.path for seen in twilio.seen] == ["/busy"]


async def test_last_response_belongs_to_the_task_that_asked() -> None:
    def answer(seen: Seen) -> Answer:
        return Answer(int(seen.query["status"][0]), "")

    async with scripted_twilio(answer) as twilio:
        http = AiohttpAsyncHttpClient(base_url=twilio.url)

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


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        ("é".encode("latin-1"), "text/plain; charset=latin-1", "é"),
        ("é".encode(), "text/plain; charset=no-such-codec", "é"),
        (b"\xff{}", "application/json", "\ufffd{}"),
    ],
)
async def test_the_body_is_decoded_as_declared_else_utf8_never_raising(
    body: bytes, content_type: str, text: str
) -> None:
    async with scripted_twilio(
        lambda seen: Answer(200, body, {"Content-Type": content_type})
    ) as twilio:
        http = AiohttpAsyncHttpClient(base_url=twilio.url)
        try:
            response = await http.request("GET", "https://studio.twilio.com/x")
        finally:
            await http.close()
    assert response.text == text


async def test_a_closed_client_sends_nothing() -> None:
    async with scripted_twilio(lambda seen: Answer(200, {})) as twilio:
        http = AiohttpAsyncHttpClient(base_url=twilio.url)
        await http.close()
        with pytest.raises(RuntimeError):
            await http.request("GET", "https://studio.twilio.com/x")
    assert twilio.seen == []


def test_the_client_is_built_inside_a_running_loop_only() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and nothing half-built is left unclosed
        with pytest.raises(RuntimeError):
            AiohttpAsyncHttpClient()


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def test_proxies_come_from_the_environment_with_no_proxy_applied(
    no_proxies: pytest.MonkeyPatch,
) -> None:
    assert EnvironmentProxies().for_url("https://studio.twilio.com/v2/Flows") is None
    no_proxies.setenv("HTTPS_PROXY", "http://user:p%40ss@proxy.example:3128")
    no_proxies.setenv("ALL_PROXY", "plain.example:8080")
    no_proxies.setenv("NO_PROXY", "internal.example")
    proxies = EnvironmentProxies()
    token = base64.b64encode(b"user:p@ss").decode()
    assert proxies.for_url("https://studio.twilio.com/v2/Flows") == Proxy(
        "http://proxy.example:3128", {"Proxy-Authorization": f"Basic {token}"}
    )
    assert proxies.for_url("http://studio.twilio.com/v2") == Proxy("http://plain.example:8080")
    assert proxies.for_url("https://internal.example/v1") is None


async def test_a_request_goes_through_the_environment_proxy(
    no_proxies: pytest.MonkeyPatch,
) -> None:
    async with scripted_twilio(lambda seen: Answer(201, {"sid": "FN1"})) as proxy:
        no_proxies.setenv("HTTP_PROXY", proxy.url)
        http = AiohttpAsyncHttpClient(base_url="http://twilio.invalid/base")
        try:
            response = await http.request("GET", "https://studio.twilio.com/v2/Flows")
        finally:
            await http.close()
    assert response.status_code == 201
    (seen,) = proxy.seen
    assert seen.target == "http://twilio.invalid/base/v2/Flows"


@pytest.fixture
def fresh_tls_context() -> Iterator[None]:
    tls_context.cache_clear()
    yield
    tls_context.cache_clear()


def test_the_trust_store_is_certifi_unless_the_environment_names_one(
    fresh_tls_context: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    default = tls_context()
    assert (default.verify_mode, default.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert default.cert_store_stats()["x509_ca"] > 100
    tls_context.cache_clear()
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where() + ".missing")
    with pytest.raises(FileNotFoundError):
        tls_context()
