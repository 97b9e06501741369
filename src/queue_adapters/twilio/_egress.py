"""How the Twilio HTTP client leaves the host: the CA bundle and the proxies from the environment.

The same sources httpx read (`SSL_CERT_FILE`/`SSL_CERT_DIR`, else certifi; `HTTP(S)_PROXY`,
`ALL_PROXY`, `NO_PROXY`), looked up once per client and host rather than with aiohttp's
`trust_env`, which hops to a thread on every request and forbids our own `Authorization`
header when a `.netrc` matches.
"""

from __future__ import annotations

import base64
import functools
import os
import ssl
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

import certifi

__all__ = ["EnvironmentProxies", "Proxy", "basic_authorization", "tls_context"]


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The trust store: `SSL_CERT_FILE`, else `SSL_CERT_DIR`, else certifi (read once)."""
    if cafile := os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=cafile)
    if capath := os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=capath)
    return ssl.create_default_context(cafile=certifi.where())


def basic_authorization(username: str, password: str) -> str:
    """An `Authorization: Basic` value (UTF-8, as httpx sent it; a `:` in the name allowed)."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


@dataclass(frozen=True, slots=True)
class Proxy:
    """A proxy URL without credentials, and the `Proxy-Authorization` header they became."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


class EnvironmentProxies:
    """The proxy for each URL, from the environment as it was when this object was built."""

    def __init__(self) -> None:
        found = urllib.request.getproxies()
        self._by_scheme = {
            scheme: _split_credentials(found.get(scheme) or found.get("all") or "")
            for scheme in ("http", "https")
        }
        self._by_origin: dict[tuple[str, str], Proxy | None] = {}

    def for_url(self, url: str) -> Proxy | None:
        """The proxy to send `url` through, or None to go direct (`NO_PROXY` applied)."""
        if not any(self._by_scheme.values()):
            return None
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            return None  # aiohttp refuses the URL itself, as never sent
        origin = (parts.scheme, parts.netloc)
        if origin not in self._by_origin:
            proxy = self._by_scheme.get(parts.scheme)
            bypass = bool(proxy) and urllib.request.proxy_bypass(host)
            self._by_origin[origin] = proxy if proxy and not bypass else None
        return self._by_origin[origin]


def _split_credentials(proxy_url: str) -> Proxy | None:
    if not proxy_url:
        return None
    if "://" not in proxy_url:
        proxy_url = f"http://{proxy_url}"
    parts = urlsplit(proxy_url)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    bare = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    if parts.username is None:
        return Proxy(bare)
    user, password = unquote(parts.username), unquote(parts.password or "")
    return Proxy(bare, {"Proxy-Authorization": basic_authorization(user, password)})
