"""StudioCallLauncher through the real twilio-python client, with Twilio's answers scripted
on a loopback server (scripted_twilio.py): every HTTP answer maps to one outcome, nothing raises."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_adapters.twilio.launcher import StudioCallLauncher
from queue_adapters.twilio.rest import open_twilio_rest
from queue_core.domain.errors import StoreUnavailable
from queue_core.domain.launch import Ambiguous, Launched, LaunchRequest, RateLimited, Rejected
from tests.unit.adapters.scripted_twilio import (
    Answer,
    Hangup,
    Script,
    Seen,
    refused_url,
    scripted_twilio,
)

FLOW = "FW" + "0" * 32
SID = "FN" + "a" * 32
REQUEST = LaunchRequest(
    flow_sid=FLOW,
    to="+14155550100",
    from_="+15005550006",
    parameters={"campaign_execution_id": "ce-1", "record_id": "r-1", "attributes": {"n": 1}},
)
Scripted = Callable[[Script], Awaitable[tuple[StudioCallLauncher, list[Seen]]]]


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
    async with AsyncExitStack() as stack:

        async def make(script: Script) -> tuple[StudioCallLauncher, list[Seen]]:
            twilio = await stack.enter_async_context(scripted_twilio(script))
            rest = open_twilio_rest(
                account_sid="AC" + "0" * 32, auth_token="token", base_url=twilio.url
            )
            stack.push_async_callback(rest.close)
            return StudioCallLauncher(rest), twilio.seen

        yield make


async def test_created_execution_is_launched_with_the_contract_form(scripted: Scripted) -> None:
    launcher, seen = await scripted(lambda r: Answer(201, execution()))
    assert await launcher.launch(REQUEST) == Launched(execution_sid=SID)
    assert len(seen) == 1
    assert (seen[0].method, seen[0].path) == ("POST", f"/v2/Flows/{FLOW}/Executions")
    form = seen[0].form()
    assert form["To"] == ["+14155550100"]
    assert form["From"] == ["+15005550006"]
    assert json.loads(form["Parameters"][0]) == dict(REQUEST.parameters)


async def test_the_create_is_the_request_twilio_pythons_own_create_sends() -> None:
    request = LaunchRequest(
        flow_sid=FLOW,
        to="+14155550100",
        from_="+15005550006",
        parameters={"record_id": "r 1", "attributes": {"name": "Zoë & co", "n": [1, None]}},
    )
    async with scripted_twilio(lambda r: Answer(201, execution())) as twilio:
        rest = open_twilio_rest(
            account_sid="AC" + "0" * 32, auth_token="token", base_url=twilio.url
        )
        try:
            assert await StudioCallLauncher(rest).launch(request) == Launched(execution_sid=SID)
            executions = rest.client.studio.v2.flows(FLOW).executions
            created = await executions.create_async(
                to=request.to, from_=request.from_, parameters=dict(request.parameters)
            )
            assert created.sid == SID
        finally:
            await rest.close()
    ours, theirs = twilio.seen
    assert (ours.method, ours.target, ours.body) == (theirs.method, theirs.target, theirs.body)
    assert dict(ours.headers) == dict(theirs.headers)


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (
            Answer(429, {"code": 20429, "message": "Too many"}, {"Retry-After": "3"}),
            RateLimited(retry_after_s=3.0),
        ),
        (Answer(429, {"code": 20429, "message": "Too many"}), RateLimited(None)),
        (Answer(429, "slow down"), RateLimited(None)),
        (Answer(400, {"code": 20429, "message": "Too many"}), RateLimited(None)),
        (
            Answer(400, {"code": 21211, "message": "Invalid 'To' Phone Number"}),
            Rejected(400, "21211", "Invalid 'To' Phone Number"),
        ),
        (
            Answer(404, {"code": 20404, "message": "not found", "status": 404}),
            Rejected(404, "20404", "not found"),
        ),
        (Answer(401, "<html>nope</html>"), Rejected(401, "", "<html>nope</html>")),
        (
            Answer(
                409,
                {
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
            Answer(500, {"code": 20500, "message": "oops"}),
            Ambiguous("HTTP 500 from Twilio: oops"),
        ),
        (Answer(503, ""), Ambiguous("HTTP 503 from Twilio")),
    ],
)
async def test_each_http_answer_maps_to_one_outcome_without_retry(
    scripted: Scripted, answer: Answer, outcome: object
) -> None:
    launcher, seen = await scripted(lambda r: answer)
    assert await launcher.launch(REQUEST) == outcome
    assert len(seen) == 1


@pytest.mark.parametrize(
    "answer",
    [
        Answer(201, "not json"),
        Answer(201, ""),
        Answer(201, {"status": "active"}),
        Answer(201, ["FN" + "a" * 32]),
        Answer(201, {"sid": 42}),
    ],
)
async def test_a_success_without_a_readable_sid_is_ambiguous(
    scripted: Scripted, answer: Answer
) -> None:
    launcher, _ = await scripted(lambda r: answer)
    assert isinstance(await launcher.launch(REQUEST), Ambiguous)


@pytest.mark.parametrize(
    "hangup", [Hangup(), Hangup(b"HTTP/1.1 201 Created\r\nContent-Length: 90\r\n\r\n{")]
)
async def test_no_answer_after_sending_is_ambiguous(scripted: Scripted, hangup: Hangup) -> None:
    def fail(seen: Seen) -> Answer:
        raise hangup

    launcher, seen = await scripted(fail)
    outcome = await launcher.launch(REQUEST)
    assert isinstance(outcome, Ambiguous)
    assert "no answer from Twilio" in outcome.reason
    assert len(seen) == 1


async def test_nothing_sent_raises_store_unavailable() -> None:
    rest = open_twilio_rest(account_sid="AC" + "0" * 32, auth_token="t", base_url=refused_url())
    try:
        with pytest.raises(StoreUnavailable, match="unreachable"):
            await StudioCallLauncher(rest).launch(REQUEST)
    finally:
        await rest.close()


def paged(pages: list[list[dict[str, object]]]) -> Script:
    """Studio's executions list, split into pages linked by meta.next_page_url."""

    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("Page", ["0"])[0])
        url = f"https://studio.twilio.com/v2/Flows/{FLOW}/Executions?PageSize=2&Page={page + 1}"
        meta = {
            "page": page,
            "page_size": 2,
            "key": "executions",
            "next_page_url": url if page + 1 < len(pages) else None,
        }
        return Answer(200, {"executions": pages[page], "meta": meta})

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
    launcher, seen = await scripted(paged(pages))
    found = await launcher.find_execution(FLOW, "+14155550100", created_after=1795860000.7)
    assert found == "FN" + "4" * 32
    assert len(seen) == 3
    assert seen[0].query["DateCreatedFrom"] == ["2026-11-28T10:00:00Z"]


async def test_find_execution_returns_none_when_nothing_matches(scripted: Scripted) -> None:
    launcher, _ = await scripted(paged([[execution(to="+14155550199")], []]))
    assert await launcher.find_execution(FLOW, "+14155550100", created_after=0.0) is None


@pytest.mark.parametrize(
    "answer",
    [
        Answer(500, "down"),
        Answer(429, ""),
        Answer(200, "{"),
        Answer(200, []),
        Answer(200, {"executions": [1], "meta": {"key": "executions"}}),
    ],
)
async def test_find_execution_raises_store_unavailable_when_twilio_cannot_answer(
    scripted: Scripted, answer: Answer
) -> None:
    launcher, _ = await scripted(lambda r: answer)
    with pytest.raises(StoreUnavailable):
        await launcher.find_execution(FLOW, "+14155550100", created_after=0.0)


async def test_find_execution_raises_store_unavailable_on_transport_failure(
    scripted: Scripted,
) -> None:
    def fail(seen: Seen) -> Answer:
        raise Hangup()

    launcher, _ = await scripted(fail)
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
        async with scripted_twilio(lambda seen: Answer(status, body, headers)) as twilio:
            rest = open_twilio_rest(
                account_sid="AC" + "0" * 32, auth_token="t", base_url=twilio.url
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
    launcher, _ = await scripted(lambda r: Answer(503, {"code": 20429, "message": "x"}))
    assert await launcher.launch(REQUEST) == Ambiguous("HTTP 503 from Twilio: x")


async def test_the_studio_domain_is_built_before_the_first_launch() -> None:
    """twilio-python builds a domain on first use (about 10 ms with its imports): done in the
    way of the first launch, it would reach Twilio that much later than its slot."""
    rest = open_twilio_rest(account_sid="AC" + "0" * 32, auth_token="t")
    try:
        assert rest.client._studio is None  # a fresh client has not built it
        StudioCallLauncher(rest)
        assert rest.client._studio is not None
    finally:
        await rest.close()
