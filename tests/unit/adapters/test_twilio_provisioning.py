"""EventStreamsProvisioner's report and its error mapping (Twilio answers scripted in memory);
the whole find-or-create flow runs against the emulator in tests/contract."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from queue_adapters.twilio.provisioning import EventStreamsProvisioner, ProvisioningError
from queue_adapters.twilio.provisioning_report import (
    CONTRACT_EVENT_TYPES,
    ProvisioningReport,
    eventstreams_destination,
)
from queue_adapters.twilio.rest import TwilioRest, open_twilio_rest
from queue_core.errors import StoreUnavailable

Handler = Callable[[httpx.Request], httpx.Response]


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
async def provisioner_for() -> AsyncIterator[Callable[[Handler], EventStreamsProvisioner]]:
    opened: list[TwilioRest] = []

    def make(handler: Handler) -> EventStreamsProvisioner:
        rest = open_twilio_rest(
            account_sid="AC" + "0" * 32, auth_token="t", transport=httpx.MockTransport(handler)
        )
        opened.append(rest)
        return EventStreamsProvisioner(rest)

    yield make
    for rest in opened:
        await rest.close()


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.Response(401, json={"code": 20003, "message": "Authenticate"}), ProvisioningError),
        (httpx.Response(403, json={"code": 20403, "message": "Forbidden"}), ProvisioningError),
        (httpx.Response(429, json={"code": 20429, "message": "Too many"}), StoreUnavailable),
        (httpx.Response(503, text="down"), StoreUnavailable),
    ],
)
async def test_refusals_and_outages_are_told_apart(
    provisioner_for: Callable[[Handler], EventStreamsProvisioner],
    answer: httpx.Response,
    error: type[Exception],
) -> None:
    provisioner = provisioner_for(lambda request: answer)
    with pytest.raises(error):
        await provisioner.ensure("https://q.example.com/eventstreams")


async def test_an_unreachable_twilio_is_store_unavailable(
    provisioner_for: Callable[[Handler], EventStreamsProvisioner],
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(StoreUnavailable, match="unreachable"):
        await provisioner_for(refuse).ensure("https://q.example.com/eventstreams")
