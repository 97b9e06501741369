"""StudioCallLauncher through the real twilio-python client, with Twilio's answers scripted
in memory (httpx.MockTransport): every HTTP answer maps to one outcome, nothing raises."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from urllib.parse import parse_qs

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_adapters.twilio.launcher import StudioCallLauncher
from queue_adapters.twilio.rest import TwilioRest, open_twilio_rest
from queue_core.errors import StoreUnavailable
from queue_core.launch import Ambiguous, Launched, LaunchRequest, RateLimited, Rejected

FLOW = "FW" + "0" * 32
SID = "FN" + "a" * 32
REQUEST = LaunchRequest(
    flow_sid=FLOW,
    to="+14155550100",
    from_="+15005550006",
    parameters={"campaign_execution_id": "ce-1", "record_id": "r-1", "attributes": {"n": 1}},
)
Handler = Callable[[httpx.Request], httpx.Response]
Scripted = Callable[[Handler], tuple[StudioCallLauncher, list[httpx.Request]]]


def execution(
    sid: str = SID, to: str = "+14155550100", created: str = "2026-11-28T10:00:00Z"
) -> dict[str, object]:
    return {
        "sid": sid,
        "account_sid": "AC" + "0" * 32,
        "flow_sid": FLOW,
        "contact_channel_address": to,
        "status": "active",
        "date_created": created,
        "date_updated": created,
        "url": f"https://studio.twilio.com/v2/Flows/{FLOW}/Executions/{sid}",
    }


@pytest.fixture
async def scripted() -> AsyncIterator[Scripted]:
    opened: list[TwilioRest] = []

    def make(handler: Handler) -> tuple[StudioCallLauncher, list[httpx.Request]]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        rest = open_twilio_rest(
            account_sid="AC" + "0" * 32,
            auth_token="token",
            base_url="http://twilio.test",
            transport=httpx.MockTransport(record),
        )
        opened.append(rest)
        return StudioCallLauncher(rest), seen

    yield make
    for rest in opened:
        await rest.close()


async def test_created_execution_is_launched_with_the_contract_form(scripted: Scripted) -> None:
    launcher, seen = scripted(lambda r: httpx.Response(201, json=execution()))
    assert await launcher.launch(REQUEST) == Launched(execution_sid=SID)
    assert len(seen) == 1
    assert seen[0].url.path == f"/v2/Flows/{FLOW}/Executions"
    form = parse_qs(seen[0].content.decode())
    assert form["To"] == ["+14155550100"]
    assert form["From"] == ["+15005550006"]
    assert json.loads(form["Parameters"][0]) == dict(REQUEST.parameters)


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (
            httpx.Response(
                429, headers={"Retry-After": "3"}, json={"code": 20429, "message": "Too many"}
            ),
            RateLimited(retry_after_s=3.0),
        ),
        (httpx.Response(429, json={"code": 20429, "message": "Too many"}), RateLimited(None)),
        (httpx.Response(429, text="slow down"), RateLimited(None)),
        (httpx.Response(400, json={"code": 20429, "message": "Too many"}), RateLimited(None)),
        (
            httpx.Response(400, json={"code": 21211, "message": "Invalid 'To' Phone Number"}),
            Rejected(400, "21211", "Invalid 'To' Phone Number"),
        ),
        (
            httpx.Response(404, json={"code": 20404, "message": "not found", "status": 404}),
            Rejected(404, "20404", "not found"),
        ),
        (httpx.Response(401, text="<html>nope</html>"), Rejected(401, "", "<html>nope</html>")),
        (
            httpx.Response(
                409,
                json={
                    "type": "https://x",
                    "title": "Conflict",
                    "status": 409,
                    "code": 20409,
                    "detail": "busy pair",
                },
            ),
            Rejected(409, "20409", "busy pair"),
        ),
        (
            httpx.Response(500, json={"code": 20500, "message": "oops"}),
            Ambiguous("HTTP 500 from Twilio: oops"),
        ),
        (httpx.Response(503, text=""), Ambiguous("HTTP 503 from Twilio")),
    ],
)
async def test_each_http_answer_maps_to_one_outcome_without_retry(
    scripted: Scripted, answer: httpx.Response, outcome: object
) -> None:
    launcher, seen = scripted(lambda r: answer)
    assert await launcher.launch(REQUEST) == outcome
    assert len(seen) == 1


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(201, text="not json"),
        httpx.Response(201, json={"status": "active"}),
        httpx.Response(201, json=["FN" + "a" * 32]),
        httpx.Response(201, json={"sid": 42}),
    ],
)
async def test_a_success_without_a_readable_sid_is_ambiguous(
    scripted: Scripted, answer: httpx.Response
) -> None:
    launcher, _ = scripted(lambda r: answer)
    assert isinstance(await launcher.launch(REQUEST), Ambiguous)


@pytest.mark.parametrize("error", [httpx.ReadTimeout("t"), httpx.RemoteProtocolError("reset")])
async def test_no_answer_after_sending_is_ambiguous(scripted: Scripted, error: Exception) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    launcher, seen = scripted(fail)
    outcome = await launcher.launch(REQUEST)
    assert isinstance(outcome, Ambiguous)
    assert type(error).__name__ in outcome.reason
    assert len(seen) == 1


async def test_nothing_sent_raises_store_unavailable(scripted: Scripted) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    launcher, _ = scripted(refuse)
    with pytest.raises(StoreUnavailable, match="unreachable"):
        await launcher.launch(REQUEST)


def paged(pages: list[list[dict[str, object]]]) -> Handler:
    """Studio's executions list, split into pages linked by meta.next_page_url."""

    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("Page", "0"))
        url = f"https://studio.twilio.com/v2/Flows/{FLOW}/Executions?PageSize=2&Page={page + 1}"
        meta = {
            "page": page,
            "page_size": 2,
            "key": "executions",
            "next_page_url": url if page + 1 < len(pages) else None,
        }
        return httpx.Response(200, json={"executions": pages[page], "meta": meta})

    return answer


async def test_find_execution_reads_every_page_and_returns_the_newest_match(
    scripted: Scripted,
) -> None:
    other = "+14155550199"
    pages = [
        [
            execution("FN" + "1" * 32, other, "2026-11-28T10:00:09Z"),
            execution("FN" + "2" * 32, created="2026-11-28T10:00:01Z"),
        ],
        [execution("FN" + "3" * 32, other, "2026-11-28T10:00:08Z")],
        [execution("FN" + "4" * 32, created="2026-11-28T10:00:05Z")],
    ]
    launcher, seen = scripted(paged(pages))
    found = await launcher.find_execution(FLOW, "+14155550100", created_after=1795860000.7)
    assert found == "FN" + "4" * 32
    assert len(seen) == 3
    assert seen[0].url.params["DateCreatedFrom"] == "2026-11-28T10:00:00Z"


async def test_find_execution_returns_none_when_nothing_matches(scripted: Scripted) -> None:
    launcher, _ = scripted(paged([[execution(to="+14155550199")], []]))
    assert await launcher.find_execution(FLOW, "+14155550100", created_after=0.0) is None


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, text="down"),
        httpx.Response(429, text=""),
        httpx.Response(200, text="{"),
        httpx.Response(200, json=[]),
        httpx.Response(200, json={"executions": [1], "meta": {"key": "executions"}}),
    ],
)
async def test_find_execution_raises_store_unavailable_when_twilio_cannot_answer(
    scripted: Scripted, answer: httpx.Response
) -> None:
    launcher, _ = scripted(lambda r: answer)
    with pytest.raises(StoreUnavailable):
        await launcher.find_execution(FLOW, "+14155550100", created_after=0.0)


async def test_find_execution_raises_store_unavailable_on_transport_failure(
    scripted: Scripted,
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    launcher, _ = scripted(fail)
    with pytest.raises(StoreUnavailable):
        await launcher.find_execution(FLOW, "+14155550100", created_after=0.0)


@settings(max_examples=60, deadline=None)
@given(
    status=st.integers(min_value=200, max_value=599),
    body=st.one_of(
        st.binary(max_size=80),
        st.dictionaries(
            st.sampled_from(["sid", "code", "message", "status", "detail", "title", "type"]),
            st.none() | st.booleans() | st.integers() | st.text(max_size=40),
        ).map(lambda d: json.dumps(d).encode()),
    ),
    retry_after=st.none()
    | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
)
def test_any_http_answer_gives_an_outcome_and_never_raises(
    status: int, body: bytes, retry_after: str | None
) -> None:
    headers = {} if retry_after is None else {"Retry-After": retry_after}

    async def launch_once() -> object:
        rest = open_twilio_rest(
            account_sid="AC" + "0" * 32,
            auth_token="t",
            transport=httpx.MockTransport(
                lambda r: httpx.Response(status, headers=headers, content=body)
            ),
        )
        try:
            return await StudioCallLauncher(rest).launch(REQUEST)
        finally:
            await rest.close()

    outcome = asyncio.run(launch_once())
    assert isinstance(outcome, Launched | RateLimited | Rejected | Ambiguous)
    if status == 429:
        assert isinstance(outcome, RateLimited)
    elif status >= 500:
        assert isinstance(outcome, Ambiguous)
    if isinstance(outcome, RateLimited) and outcome.retry_after_s is not None:
        assert outcome.retry_after_s >= 0


async def test_a_5xx_is_ambiguous_even_with_the_rate_limit_code(scripted: Scripted) -> None:
    launcher, _ = scripted(lambda r: httpx.Response(503, json={"code": 20429, "message": "x"}))
    assert await launcher.launch(REQUEST) == Ambiguous("HTTP 503 from Twilio: x")
