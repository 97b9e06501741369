"""Event Streams over real HTTP: provisioning against the Twilio emulator, then the webhooks
the emulator delivers (signed batches, the flow's /callstatus post) checked and parsed by the
adapter's pure functions, as the service's routes will."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from queue_adapters.twilio.callstatus import parse_callstatus, token_is_valid
from queue_adapters.twilio.events import parse_event_batch
from queue_adapters.twilio.launcher import StudioCallLauncher
from queue_adapters.twilio.provisioning import EventStreamsProvisioner
from queue_adapters.twilio.provisioning_report import (
    CONTRACT_EVENT_TYPES,
    eventstreams_destination,
)
from queue_adapters.twilio.rest import TwilioRest, open_twilio_rest
from queue_adapters.twilio.signatures import (
    signed_url,
    verify_event_streams_signature,
    verify_form_signature,
)
from queue_core.domain.facts import StudioExecutionEvent, StudioStepEvent, VoiceCallEvent
from queue_core.domain.launch import Launched, LaunchRequest
from queue_core.domain.tokens import CallstatusTokens
from twilio_emulator import EmulatorConfig, EmulatorHandle, running_emulator
from twilio_emulator.server import serving


@dataclass(frozen=True)
class Post:
    url: str
    content_type: str
    signature: str | None
    body: bytes


@dataclass
class Receiver:
    """A stand-in for the service's webhook routes: records what Twilio posts."""

    base_url: str = ""
    posts: dict[str, list[Post]] = field(
        default_factory=lambda: {"eventstreams": [], "callstatus": []}
    )

    def app(self) -> Starlette:
        async def record(request: Request) -> Response:
            raw_path = request.scope["raw_path"].decode("latin-1")
            query = request.scope["query_string"].decode("latin-1")
            url = signed_url(self.base_url, raw_path + (f"?{query}" if query else ""))
            post = Post(
                url,
                request.headers.get("content-type", ""),
                request.headers.get("x-twilio-signature"),
                await request.body(),
            )
            self.posts[request.url.path.strip("/")].append(post)
            return Response(status_code=200)

        return Starlette(
            routes=[
                Route("/eventstreams", record, methods=["POST"]),
                Route("/callstatus", record, methods=["POST"]),
            ]
        )


@dataclass
class World:
    emulator: EmulatorHandle
    rest: TwilioRest
    receiver: Receiver

    def provisioner(self, page_size: int = 100) -> EventStreamsProvisioner:
        return EventStreamsProvisioner(self.rest, page_size=page_size)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    config = EmulatorConfig(account_cps=1000.0, time_scale=0.001, validate_openapi=True)
    receiver = Receiver()
    async with serving(receiver.app()) as receiver_url, running_emulator(config) as emulator:
        receiver.base_url = receiver_url
        rest = open_twilio_rest(
            account_sid=emulator.account_sid,
            auth_token=emulator.auth_token,
            base_url=emulator.base_url,
        )
        try:
            yield World(emulator, rest, receiver)
        finally:
            await rest.close()
        assert emulator.stats()["exchanges_unchecked"] > 0  # the check below had work to do
        assert emulator.violations() == []


DESTINATION = "https://queue.example.com/eventstreams"


def subscribed_types(world: World) -> dict[str, int]:
    (subscription,) = world.emulator.state.subscriptions.values()
    return dict(subscription.types)


async def test_provisioning_creates_the_sink_and_subscription_once(world: World) -> None:
    first = await world.provisioner().ensure(DESTINATION)
    assert first.sink_created
    assert first.subscription_created
    assert first.types_added == CONTRACT_EVENT_TYPES
    (sink,) = world.emulator.state.sinks.values()
    assert sink.sink_type == "webhook"
    assert sink.sink_configuration == {
        "destination": DESTINATION,
        "method": "POST",
        "batch_events": True,
    }
    assert subscribed_types(world) == dict.fromkeys(CONTRACT_EVENT_TYPES, 1)

    second = await world.provisioner().ensure(DESTINATION)
    assert not second.changed
    assert (second.sink_sid, second.subscription_sid) == (first.sink_sid, first.subscription_sid)
    assert second.types_present == CONTRACT_EVENT_TYPES
    assert len(world.emulator.state.sinks) == 1
    assert len(world.emulator.state.subscriptions) == 1
    assert second.lines()[-1] == "nothing to change"


async def test_provisioning_pages_through_every_sink_to_find_its_own(world: World) -> None:
    sinks = world.rest.client.events.v1.sinks
    for n in range(24):
        await sinks.create_async(
            description=f"other {n}",
            sink_configuration={
                "destination": f"https://other.example.com/{n}",
                "method": "POST",
                "batch_events": True,
            },
            sink_type="webhook",
        )
    ours = await sinks.create_async(
        description="ours",
        sink_configuration={"destination": DESTINATION, "method": "POST", "batch_events": True},
        sink_type="webhook",
    )
    report = await world.provisioner(page_size=10).ensure(DESTINATION)
    assert not report.sink_created
    assert report.sink_sid == ours.sid
    assert report.sinks_scanned == 25
    assert len(world.emulator.state.sinks) == 25
    again = await world.provisioner(page_size=10).ensure(DESTINATION)
    assert not again.changed


async def test_provisioning_adds_only_the_missing_types_to_an_existing_subscription(
    world: World,
) -> None:
    events = world.rest.client.events.v1
    sink = await events.sinks.create_async(
        description="ours",
        sink_configuration={"destination": DESTINATION, "method": "POST", "batch_events": True},
        sink_type="webhook",
    )
    have = CONTRACT_EVENT_TYPES[5:]
    await events.subscriptions.create_async(
        description="partial",
        sink_sid=sink.sid,
        types=[{"type": t, "schema_version": 2} for t in have],
    )
    report = await world.provisioner().ensure(DESTINATION)
    assert not report.sink_created
    assert not report.subscription_created
    assert report.types_present == have
    assert report.types_added == CONTRACT_EVENT_TYPES[:5]
    assert subscribed_types(world) == {
        **dict.fromkeys(CONTRACT_EVENT_TYPES[:5], 1),
        **dict.fromkeys(have, 2),
    }
    assert not (await world.provisioner().ensure(DESTINATION)).changed


async def test_delivered_webhooks_verify_and_parse(world: World) -> None:
    receiver = world.receiver
    destination = eventstreams_destination(receiver.base_url)
    await world.provisioner().ensure(destination)
    tokens = CallstatusTokens(b"contract-secret")
    parameters = {
        "campaign_execution_id": "ce-7",
        "record_id": "r-7",
        "callstatus_url": f"{receiver.base_url}/callstatus",
        "callstatus_token": tokens.issue("ce-7", "r-7", "17"),
        "attributes": {},
    }
    launch = LaunchRequest("FW" + "34" * 16, "+14155550170", "+15005550006", parameters)
    before = time.time()
    outcome = await StudioCallLauncher(world.rest).launch(launch)
    assert isinstance(outcome, Launched)
    await world.emulator.wait_idle()
    token = world.emulator.auth_token

    batches = receiver.posts["eventstreams"]
    assert batches
    facts = []
    for post in batches:
        assert post.content_type.startswith("application/json")
        assert verify_event_streams_signature(token, post.url, post.body, post.signature)
        assert not verify_event_streams_signature(token, post.url, post.body + b" ", post.signature)
        assert not verify_event_streams_signature(
            "wrong-token", post.url, post.body, post.signature
        )
        batch = parse_event_batch(post.body)
        assert not batch.unknown_types
        facts.extend(batch.facts)
    executions = [f for f in facts if isinstance(f, StudioExecutionEvent)]
    assert {(f.execution_sid, f.ended) for f in executions} == {
        (outcome.execution_sid, False),
        (outcome.execution_sid, True),
    }
    assert all(f.contact_channel_address == "+14155550170" for f in executions)
    assert all(f.at is not None and f.at >= before - 1 for f in executions)
    voice = [f for f in facts if isinstance(f, VoiceCallEvent)]
    assert voice
    assert {(f.to, f.from_) for f in voice} == {("+14155550170", "+15005550006")}
    steps = [f for f in facts if isinstance(f, StudioStepEvent)]
    assert steps  # the call widget's step, with its context
    assert {f.context.get("CallSid") for f in steps} == {f.call_sid for f in voice}
    assert {f.execution_sid for f in steps} == {outcome.execution_sid}

    (callstatus,) = receiver.posts["callstatus"]
    post = parse_callstatus(callstatus.content_type, callstatus.body, received_at=time.time())
    assert post.report.execution_sid == outcome.execution_sid
    assert (post.report.campaign_execution_id, post.report.record_id) == ("ce-7", "r-7")
    assert token_is_valid(tokens, post)
    fields = dict(parse_qsl(callstatus.body.decode(), keep_blank_values=True))
    assert verify_form_signature(token, callstatus.url, fields, callstatus.signature)
    assert not verify_form_signature(
        token, callstatus.url, {**fields, "call_status": "x"}, callstatus.signature
    )
