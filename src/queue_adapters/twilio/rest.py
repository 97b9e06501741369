"""One twilio-python REST client on the project's HTTP client, opened and closed as a pair."""

from __future__ import annotations

from dataclasses import dataclass

from twilio.rest import Client  # type: ignore[import-untyped]

from queue_adapters.twilio.http_client import AiohttpAsyncHttpClient

__all__ = ["TwilioRest", "open_twilio_rest"]


@dataclass(frozen=True, slots=True)
class TwilioRest:
    """A `twilio.rest.Client` and the HTTP client it sends through (for `last_response`)."""

    client: Client
    http: AiohttpAsyncHttpClient

    async def close(self) -> None:
        await self.http.close()


def open_twilio_rest(
    *,
    account_sid: str,
    auth_token: str | None = None,
    api_key: str | None = None,
    api_secret: str | None = None,
    base_url: str | None = None,
    timeout_s: float = 10.0,
    max_connections: int = 100,
) -> TwilioRest:
    """Build the client inside the running loop; `await rest.close()` when done.

    Authenticates with `api_key`/`api_secret` when both are given, else with the auth token.
    `base_url` (`QUEUE_TWILIO_BASE_URL`) redirects every `https://*.twilio.com` request there,
    path kept. At most `max_connections` requests are in flight at once. Raises `ValueError`
    when no credentials are given.
    """
    if api_key and api_secret:
        username, password = api_key, api_secret
    elif auth_token:
        username, password = account_sid, auth_token
    else:
        raise ValueError("Twilio credentials: an auth token or an API key and secret are needed")
    http = AiohttpAsyncHttpClient(
        base_url=base_url, timeout_s=timeout_s, max_connections=max_connections
    )
    client = Client(username, password, account_sid, http_client=http)
    return TwilioRest(client=client, http=http)
