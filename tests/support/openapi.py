"""Check an HTTP exchange with a Twilio API (or the emulator) against Twilio's OpenAPI specs.

    response = await client.post(".../v2/Flows/FW.../Executions", data=...)
    assert_conforms(response)

The checking is openapi-core's, on the specs shipped in `twilio_emulator/specs/` (Studio v2
for `/v2/...`, Events v1 for `/v1/...`); error answers are checked against Twilio's error body
(see `twilio_emulator.openapi`). Works with any httpx response whose request is attached.
"""

from __future__ import annotations

import httpx

from twilio_emulator.openapi import Exchange, check_exchange

__all__ = ["assert_conforms", "exchange_of", "spec_violations"]


def exchange_of(response: httpx.Response) -> Exchange:
    """The request and answer of `response` as an `Exchange` (the body is read)."""
    request = response.request
    return Exchange(
        method=request.method,
        path=request.url.path,
        query=tuple(request.url.params.multi_items()),
        headers=dict(request.headers),
        body=request.content,
        status=response.status_code,
        response_headers=dict(response.headers),
        response_body=response.read(),
    )


def spec_violations(response: httpx.Response) -> list[str]:
    """What in the exchange breaks its spec operation; [] when it conforms."""
    return check_exchange(exchange_of(response))


def assert_conforms(response: httpx.Response) -> None:
    """Fail with the list of problems unless the exchange conforms to the spec."""
    problems = spec_violations(response)
    assert not problems, "\n".join(problems)
