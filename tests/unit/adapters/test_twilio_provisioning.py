"""EventStreamsProvisioner's report and its error mapping (Twilio answers scripted on a loopback
server); the whole find-or-create flow runs against the emulator in tests/contract."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest

from queue_adapters.twilio.provisioning import EventStreamsProvisioner, ProvisioningError
from queue_adapters.twilio.provisioning_report import (
    CONTRACT_EVENT_TYPES,
    ProvisioningReport,
    eventstreams_destination,
)
from queue_adapters.twilio.rest import open_twilio_rest
from queue_core.domain.errors import StoreUnavailable
from tests.unit.adapters.scripted_twilio import Answer, refused_url, scripted_twilio

ProvisionerFor = Callable[[Answer], Awaitable[EventStreamsProvisioner]]


def report(**changes: object) -> ProvisioningReport:
    values: dict[str, object] = {
        "destination": "https://q.example.com/eventstreams",
        "sink_sid": "DG1",
        "sink_status": "active",
        "sink_created": False,
        "sinks_scanned": 120,
        "subscription_sid": "DF1",
        "subscription_created": False,
        "types_present": CONTRACT_EVENT_TYPES,
        "types_added": (),
    }
    values.update(changes)
    return ProvisioningReport(**values)  # type: ignore[arg-type]


def test_destination_is_the_public_base_url_plus_eventstreams() -> None:
    assert (
        eventstreams_destination("https://q.example.com/") == "https://q.example.com/eventstreams"
    )
    assert eventstreams_destination("https://q.example.com/base") == (
        "https://q.example.com/base/eventstreams"
    )


def test_a_report_with_nothing_new_says_so() -> None:
    found = report()
    assert not found.changed
    lines = found.lines()
    assert (
        lines[0] == "sink DG1 (active) -> https://q.example.com/eventstreams: found among 120 sinks"
    )
    assert lines[1] == "subscription DF1: found"
    assert lines[-1] == "nothing to change"
    assert len(lines) == 3 + len(CONTRACT_EVENT_TYPES)


def test_a_report_lists_what_was_created_and_added() -> None:
    added = CONTRACT_EVENT_TYPES[-2:]
    made = report(sink_created=True, types_present=CONTRACT_EVENT_TYPES[:-2], types_added=added)
    assert made.changed
    assert "created" in made.lines()[0]
    assert [line for line in made.lines() if line.startswith("  added: ")] == [
        f"  added: {t}" for t in added
    ]
    assert made.lines()[-1] == "changes made"


@pytest.fixture
async def provisioner_for() -> AsyncIterator[ProvisionerFor]:
    async with AsyncExitStack() as stack:

        async def make(answer: Answer) -> EventStreamsProvisioner:
            twilio = await stack.enter_async_context(scripted_twilio(lambda seen: answer))
            rest = open_twilio_rest(
                account_sid="AC" + "0" * 32, auth_token="t", base_url=twilio.url
            )
            stack.push_async_callback(rest.close)
            return EventStreamsProvisioner(rest)

        yield make


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Answer(401, {"code": 20003, "message": "Authenticate"}), ProvisioningError),
        (Answer(403, {"code": 20403, "message": "Forbidden"}), ProvisioningError),
        (Answer(429, {"code": 20429, "message": "Too many"}), StoreUnavailable),
        (Answer(503, "down"), StoreUnavailable),
    ],
)
async def test_refusals_and_outages_are_told_apart(
    provisioner_for: ProvisionerFor,
    answer: Answer,
    error: type[Exception],
) -> None:
    provisioner = await provisioner_for(answer)
    with pytest.raises(error):
        await provisioner.ensure("https://q.example.com/eventstreams")


async def test_an_unreachable_twilio_is_store_unavailable() -> None:
    rest = open_twilio_rest(account_sid="AC" + "0" * 32, auth_token="t", base_url=refused_url())
    try:
        with pytest.raises(StoreUnavailable, match="unreachable"):
            await EventStreamsProvisioner(rest).ensure("https://q.example.com/eventstreams")
    finally:
        await rest.close()
