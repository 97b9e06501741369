"""twilio-python's async HTTP client, rebuilt on aiohttp: base-URL rewrite, timeout, no retry.

twilio-python's own `AsyncTwilioHttpClient` ignores its constructor timeout, retries 5xx on
POST when `max_retries` is set (a retried create can place a second call) and its exceptions
carry no response headers. This client wraps one `aiohttp.ClientSession` instead (kept-alive
connections; aiohttp's C parser costs a fraction of httpx's CPU per request): it sends each
request once, applies a timeout to every request, keeps the last answer (status, headers,
body) where the caller can read it, and reports transport failures as `TransportFailure`,
saying whether the request may have reached Twilio.

A request made under a `Departure` (`departing`, set by the launcher for its create) tells it
right before its bytes leave: aiohttp writes them in a task of its own, after other work of
the loop, and awaits its trace's `on_request_chunk_sent` first. There the create waits for its
turn among the process's sends (the core's `SendTurn`) and notes when it left.
"""

from __future__ import annotations

import asyncio
import codecs
import email.utils
import functools
import logging
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from twilio.http import AsyncHttpClient  # type: ignore[import-untyped]
from twilio.http.response import Response  # type: ignore[import-untyped]

from queue_adapters.twilio._egress import EnvironmentProxies, basic_authorization, tls_context
from queue_core.domain.launch_schedule import SendTurn

__all__ = [
    "AiohttpAsyncHttpClient",
    "Departure",
    "LastResponse",
    "TransportFailure",
    "departing",
    "rewrite_twilio_url",
]

_logger = logging.getLogger("queue_adapters.twilio.http")

# Failures before any byte of the request is written: no connection (refused, DNS, TLS
# handshake), none free in the pool within the timeout, or a URL that cannot be sent.
_NOT_SENT = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
    aiohttp.InvalidURL,
    aiohttp.NonHttpUrlClientError,
)
# Close idle connections before Twilio's side does (httpx's keep-alive expiry): a request
# written into a connection the server is closing is lost, and would be reported ambiguous.
_KEEPALIVE_S = 5.0
# What `urllib.parse.quote_plus` leaves as it is; every other byte of the UTF-8 text is %XX.
_FORM_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_FORM_ESCAPES = {chr(b): f"%{b:02X}" for b in range(256) if chr(b) not in _FORM_SAFE}


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


@dataclass(slots=True)
class Departure:
    """How one request's bytes leave: right before they are written they wait for `turn` (a
    create's turn among the process's sends, None: no wait) and tell it they leave. `left_at`
    is when they left, on `time.monotonic()` (None: not yet, or nothing was written)."""

    turn: SendTurn | None = None
    left_at: float | None = None
    _leaving: bool = False

    async def leaving(self) -> None:
        """The bytes are about to be written: once per request (a body sent in chunks)."""
        if self._leaving:
            return
        self._leaving = True
        turn = self.turn
        if turn is not None:
            wait = turn.delay(time.monotonic())
            while wait > 0:  # the sends filled since the create was let go: wait its turn
                await asyncio.sleep(wait)
                wait = turn.delay(time.monotonic())
        self.left_at = time.monotonic()
        if turn is not None:
            turn.leave(self.left_at)


# The departure of the request this task makes next: twilio-python stands between the
# launcher and `request`, with no way to pass it along. `request` hands it to aiohttp's trace.
departing: ContextVar[Departure | None] = ContextVar("twilio_departure", default=None)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


@functools.lru_cache(maxsize=256)
def rewrite_twilio_url(url: str, base_url: str | None) -> str:
    """`https://<anything>.twilio.com/path?query` -> `base_url/path?query`; others unchanged.

    Remembered per URL: a launch sends the same create URL every time (per flow).
    """
    if not base_url:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not (host == "twilio.com" or host.endswith(".twilio.com")):
        return url
    base = urlsplit(base_url)
    path = base.path.rstrip("/") + parts.path
    return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


class AiohttpAsyncHttpClient(AsyncHttpClient):  # type: ignore[misc]
    """An `AsyncHttpClient` for `twilio.rest.Client(http_client=...)`.

    Create it inside the running event loop and `await close()` it. At most `max_connections`
    requests are in flight; a request waits up to its timeout for a free connection. Each
    request gets `timeout_s` (or twilio-python's per-call `timeout`) to connect, and again for
    each read of the answer. `last_response` is the last answer seen by the *current task*
    (a context variable), so concurrent launches on one client each read their own answer.
    """

    def __init__(
        self, *, base_url: str | None = None, timeout_s: float = 10.0, max_connections: int = 100
    ) -> None:
        super().__init__(logger=_logger, is_async=True, timeout=timeout_s)
        self.base_url = base_url or None
        self._timeout = _timeout(timeout_s)
        self._proxies = EnvironmentProxies()
        connector = aiohttp.TCPConnector(
            limit=max_connections, keepalive_timeout=_KEEPALIVE_S, ssl=tls_context()
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            cookie_jar=aiohttp.DummyCookieJar(),
            trace_configs=[_leaving_trace()],
        )
        # aiohttp re-sends a GET/PUT/DELETE once when a kept-alive connection turns out closed;
        # one request must be one send (tests/unit/adapters/test_twilio_http_client.py checks).
        self._session._retry_connection = False
        self._last: ContextVar[LastResponse | None] = ContextVar("twilio_last_response")
        self._authorization: tuple[tuple[str, str], str] | None = None  # the last one built

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
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{_urlencoded(params)}"
        sent_headers = dict(headers) if headers else {}
        if auth is not None:
            sent_headers["Authorization"] = self._basic(auth)
        proxy = self._proxies.for_url(url)
        try:
            async with self._session.request(
                method.upper(),
                url,
                data=_urlencoded(data).encode("ascii") if data else None,
                headers=sent_headers,
                timeout=_timeout(timeout) if timeout else self._timeout,
                allow_redirects=allow_redirects,
                proxy=proxy.url if proxy else None,
                proxy_headers=proxy.headers if proxy else None,
                trace_request_ctx=departing.get(),
            ) as answer:
                body = await answer.read()
        except _NOT_SENT as exc:
            raise TransportFailure(f"{type(exc).__name__}: {exc}", request_sent=False) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransportFailure(f"{type(exc).__name__}: {exc}", request_sent=True) from exc
        text = body.decode(_charset(answer.charset), errors="replace")
        self._last.set(LastResponse(answer.status, answer.headers, text))
        return Response(answer.status, text, answer.headers)

    def _basic(self, auth: tuple[str, str]) -> str:
        """The `Authorization` value for `auth`; the credentials rarely change, so kept."""
        if self._authorization is None or self._authorization[0] != auth:
            self._authorization = (auth, basic_authorization(*auth))
        return self._authorization[1]

    async def close(self) -> None:
        """Close the connection pool."""
        await self._session.close()


def _leaving_trace() -> aiohttp.TraceConfig:
    """aiohttp writes a request's headers and body together, in a task of its own that the
    loop runs after other work, and tells its traces right before: that is when a request
    made under a `Departure` leaves (it may wait there for its send turn)."""

    async def leaving(_: aiohttp.ClientSession, trace: SimpleNamespace, __: object) -> None:
        departure = trace.trace_request_ctx
        if isinstance(departure, Departure):
            await departure.leaving()

    trace = aiohttp.TraceConfig()
    trace.on_request_chunk_sent.append(leaving)
    return trace


def _timeout(seconds: float) -> aiohttp.ClientTimeout:
    # httpx's shape: a limit per phase (connect incl. waiting for the pool, each read), no total
    return aiohttp.ClientTimeout(total=None, connect=seconds, sock_read=seconds)


def _urlencoded(fields: Mapping[str, object]) -> str:
    """A form or query string as httpx encoded it: lists repeat the key, True -> "true"."""
    return "&".join(
        f"{_form_quoted(key)}={_form_quoted(_text(item))}"
        for key, value in fields.items()
        for item in (value if isinstance(value, list | tuple) else (value,))
    )


def _form_quoted(text: str) -> str:
    """`urllib.parse.quote_plus(text)`, character for character, at a fraction of its CPU.

    quote_plus looks each byte up in Python; here each distinct unsafe character is one
    `str.replace` (a launch's JSON `Parameters` has a handful: braces, quotes, colons, commas).
    """
    if not text.isascii():
        text = text.encode().decode("latin-1")  # one character per UTF-8 byte, as quoted
    unsafe = set(text).difference(_FORM_SAFE)
    if not unsafe:
        return text
    if "%" in unsafe:  # first: the escapes below add "%"
        text = text.replace("%", "%25")
        unsafe.discard("%")
    space = " " in unsafe  # last: "+" is escaped before spaces become "+"
    unsafe.discard(" ")
    for char in unsafe:
        text = text.replace(char, _FORM_ESCAPES[char])
    return text.replace(" ", "+") if space else text


def _text(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def _charset(declared: str | None) -> str:
    """The answer's declared charset when Python knows it, else UTF-8 (as httpx decoded)."""
    if declared:
        try:
            return codecs.lookup(declared).name
        except LookupError:
            pass
    return "utf-8"
