"""Which `X-Forwarded-*` values to believe: a trusted proxy's only, and only the last one's.

A client can send any `X-Forwarded-Proto`/`-Host` it likes; a proxy appends its own value (or
replaces the header). So the values count only when the peer that opened the connection is a
trusted proxy, and then only the last one, the one that proxy wrote. A value that is not a bare
`http`/`https` or a bare `host[:port]` (a `/`, `?`, `@` or space in it would change the URL the
signature is checked against) counts as absent.

`TrustedProxyHeaders` is the ASGI middleware that does this. It must see the peer the server
saw, so the server's own proxy handling (uvicorn's `proxy_headers`) stays off; for a trusted
peer it then applies uvicorn's `ProxyHeadersMiddleware` itself (the client address and scheme
of `X-Forwarded-For`/`-Proto`), with the same list of proxies.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

__all__ = ["ORIGIN_SCOPE_KEY", "ForwardedOrigin", "TrustedProxies", "TrustedProxyHeaders"]

ORIGIN_SCOPE_KEY = "queue.forwarded_origin"
_HOST = re.compile(
    r"^(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)"
    r"(?::[0-9]{1,5})?$"
)
_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True, slots=True)
class ForwardedOrigin:
    """The scheme and host the last trusted proxy says the caller used; None: not said (or
    not a valid value)."""

    scheme: str | None = None
    host: str | None = None

    @classmethod
    def from_headers(cls, headers: Iterable[tuple[bytes, bytes]]) -> ForwardedOrigin:
        """The last `X-Forwarded-Proto` and `X-Forwarded-Host` values, each kept only when valid."""
        scheme = _last(headers, b"x-forwarded-proto").lower()
        host = _last(headers, b"x-forwarded-host")
        return cls(
            scheme if scheme in _SCHEMES else None,
            host if _HOST.fullmatch(host) else None,
        )


class TrustedProxies:
    """IP addresses and networks (`10.0.0.7`, `10.0.0.0/8`, `::1`) of trusted proxies."""

    def __init__(self, entries: Iterable[str]) -> None:
        self._networks = tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries)

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._networks)


class TrustedProxyHeaders:
    """For a request whose peer is a trusted proxy: put its `ForwardedOrigin` in the scope
    (`ORIGIN_SCOPE_KEY`) and let uvicorn's `ProxyHeadersMiddleware` set the client and scheme.
    Any other request goes through untouched."""

    def __init__(self, app: ASGIApp, trusted: Sequence[str]) -> None:
        self._app = app
        self._trusted = TrustedProxies(trusted)
        # uvicorn's ASGI types are its own spelling of Starlette's.
        self._proxied = cast(
            ASGIApp, ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=list(trusted))
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client") if scope["type"] == "http" else None
        if client and self._trusted.trusts(client[0]):
            scope[ORIGIN_SCOPE_KEY] = ForwardedOrigin.from_headers(scope["headers"])
            await self._proxied(scope, receive, send)
            return
        await self._app(scope, receive, send)


def _last(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str:
    """The last comma-separated value of every `name` header line, stripped ("" when none)."""
    values = [value for key, value in headers if key.lower() == name]
    if not values:
        return ""
    last = b",".join(values).decode("latin-1").split(",")[-1]
    return last.strip()
