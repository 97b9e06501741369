"""Which `X-Forwarded-*` values count: a trusted proxy's only, the last one's, and only valid."""

from __future__ import annotations

from typing import Any

import pytest

from queue_adapters.http.forwarded import (
    ORIGIN_SCOPE_KEY,
    ForwardedOrigin,
    TrustedProxies,
    TrustedProxyHeaders,
)


def headers(*pairs: tuple[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode(), v.encode()) for k, v in pairs]


def test_the_last_values_count_the_clients_own_do_not() -> None:
    sent = headers(
        ("X-Forwarded-Proto", "http, https"),
        ("X-Forwarded-Host", "attacker.example, queue.example.com"),
    )
    assert ForwardedOrigin.from_headers(sent) == ForwardedOrigin("https", "queue.example.com")
    # a proxy that adds a header line rather than appending to the client's
    two_lines = headers(("X-Forwarded-Host", "attacker.example"), ("X-Forwarded-Host", "q:8443"))
    assert ForwardedOrigin.from_headers(two_lines) == ForwardedOrigin(None, "q:8443")
    assert ForwardedOrigin.from_headers([]) == ForwardedOrigin()


@pytest.mark.parametrize(
    "host",
    [
        "queue.example.com/eventstreams?x=",
        "evil.example#",
        "user@queue.example.com",
        "queue example.com",
        "",
        "-x.example",
        "h:123456",
    ],
)
def test_a_host_that_is_not_a_bare_host_and_port_counts_as_absent(host: str) -> None:
    sent = headers(("X-Forwarded-Host", host), ("X-Forwarded-Proto", "ftp"))
    assert ForwardedOrigin.from_headers(sent) == ForwardedOrigin()


@pytest.mark.parametrize("host", ["q.example.com", "q.example.com:8443", "[::1]:8000", "10.0.0.1"])
def test_bare_hosts_count(host: str) -> None:
    assert ForwardedOrigin.from_headers(headers(("X-Forwarded-Host", host))).host == host


def test_trusted_proxies_are_addresses_and_networks() -> None:
    trusted = TrustedProxies(["10.0.0.0/8", "192.168.1.7", "::1"])
    assert trusted.trusts("10.1.2.3")
    assert trusted.trusts("192.168.1.7")
    assert trusted.trusts("::1")
    assert not trusted.trusts("192.168.1.8")
    assert not trusted.trusts("127.0.0.1")
    assert not trusted.trusts("not-an-ip")
    assert not trusted.trusts(None)
    assert not TrustedProxies([])


async def seen_by_the_app(client: str, sent: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """The scope the app gets behind `TrustedProxyHeaders` trusting 10.0.0.1 only."""
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)

    scope = {"type": "http", "client": (client, 5000), "scheme": "http", "headers": sent}
    await TrustedProxyHeaders(app, ["10.0.0.1"])(scope, None, None)  # type: ignore[arg-type]
    return seen


async def test_only_a_trusted_peers_headers_reach_the_app() -> None:
    sent = headers(
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "q.example.com"),
        ("X-Forwarded-For", "203.0.113.9"),
    )

    proxied = await seen_by_the_app("10.0.0.1", sent)
    direct = await seen_by_the_app("203.0.113.50", sent)

    assert proxied[ORIGIN_SCOPE_KEY] == ForwardedOrigin("https", "q.example.com")
    # uvicorn's own handling, for the trusted peer only: the client and scheme it forwarded
    assert (proxied["scheme"], proxied["client"][0]) == ("https", "203.0.113.9")
    assert ORIGIN_SCOPE_KEY not in direct
    assert (direct["scheme"], direct["client"][0]) == ("http", "203.0.113.50")
