"""twilio-python's async HTTP client, rebuilt on httpx: base-URL rewrite, timeout, no retry.

twilio-python's own `AsyncTwilioHttpClient` ignores its constructor timeout, retries 5xx on
POST when `max_retries` is set (a retried create can place a second call) and its exceptions
carry no response headers. This client wraps an `httpx.AsyncClient` instead: it sends each
request once, applies a timeout to every request, keeps the last answer (status, headers,
body) where the caller can read it, and reports transport failures as `TransportFailure`,
saying whether the request may have reached Twilio.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx
from twilio.http import AsyncHttpClient  # type: ignore[import-untyped]
from twilio.http.response import Response  # type: ignore[import-untyped]

__all__ = ["HttpxAsyncHttpClient", "LastResponse", "TransportFailure", "rewrite_twilio_url"]

_logger = logging.getLogger("queue_adapters.twilio.http")

# Failures that happen before any byte of the request is written: nothing reached Twilio.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class TransportFailure(Exception):
    """No HTTP answer came back. `request_sent` is False only when nothing reached Twilio."""

    def __init__(self, reason: str, *, request_sent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request_sent = request_sent


@dataclass(frozen=True, slots=True)
class LastResponse:
    """The status, headers and body of one answer."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    text: str = ""

    def retry_after_s(self) -> float | None:
        """`Retry-After` in seconds (delta-seconds or HTTP-date), or None when absent/garbled."""
        value = _header(self.headers, "retry-after")
        if value is None:
            return None
        value = value.strip()
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
            sent = _header(self.headers, "date")
            try:
                base = email.utils.parsedate_to_datetime(sent).timestamp() if sent else None
            except (TypeError, ValueError, IndexError, OverflowError):
                base = None
            seconds = when - (base if base is not None else time.time())
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            return None
        return max(0.0, seconds)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def rewrite_twilio_url(url: str, base_url: str | None) -> str:
    """`https://<anything>.twilio.com/path?query` -> `base_url/path?query`; others unchanged."""
    if not base_url:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not (host == "twilio.com" or host.endswith(".twilio.com")):
        return url
    base = urlsplit(base_url)
    path = base.path.rstrip("/") + parts.path
    return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


class HttpxAsyncHttpClient(AsyncHttpClient):  # type: ignore[misc]
    """An `AsyncHttpClient` for `twilio.rest.Client(http_client=...)`.

    Create it inside the running event loop and `await close()` it. `last_response` is the
    last answer seen by the *current task* (a context variable), so concurrent launches on one
    client each read their own answer.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(logger=_logger, is_async=True, timeout=timeout_s)
        self.base_url = base_url or None
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s), transport=transport, follow_redirects=False
        )
        self._last: ContextVar[LastResponse | None] = ContextVar("twilio_last_response")

    @property
    def last_response(self) -> LastResponse | None:
        """The last answer this task received through this client, or None."""
        return self._last.get(None)

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (twilio-python's interface)
        allow_redirects: bool = False,
    ) -> Response:
        """Send once; raise `TransportFailure` when no answer comes back."""
        self._last.set(None)
        url = rewrite_twilio_url(uri, self.base_url)
        try:
            answer = await self._client.request(
                method.upper(),
                url,
                params=params,  # type: ignore[arg-type]
                data=data,
                headers=headers,
                auth=auth,
                timeout=httpx.Timeout(timeout) if timeout else httpx.USE_CLIENT_DEFAULT,
                follow_redirects=allow_redirects,
            )
        except _NOT_SENT as exc:
            raise TransportFailure(f"{type(exc).__name__}: {exc}", request_sent=False) from exc
        except httpx.HTTPError as exc:
            raise TransportFailure(f"{type(exc).__name__}: {exc}", request_sent=True) from exc
        last = LastResponse(answer.status_code, dict(answer.headers.items()), answer.text)
        self._last.set(last)
        return Response(answer.status_code, answer.text, answer.headers)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
