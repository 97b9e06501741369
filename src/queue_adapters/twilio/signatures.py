"""Checks on Twilio's webhooks: the Event Streams signature and the URL Twilio called.

Pure functions over what an HTTP route already has (scheme, host, raw path, headers, raw
body), so any web framework can use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

__all__ = [
    "SIGNATURE_HEADER",
    "public_url",
    "verify_event_streams_signature",
    "verify_form_signature",
]

SIGNATURE_HEADER = "X-Twilio-Signature"


def verify_event_streams_signature(
    auth_token: str, full_url: str, raw_body: bytes, signature: str | None
) -> bool:
    """True when `signature` (the `X-Twilio-Signature` header) signs this URL and body.

    Event Streams signs the full URL, which carries `bodySHA256` = hex SHA-256 of the raw
    body; both the HMAC and the body hash must match. A missing or garbled signature, a URL
    without `bodySHA256`, a body that is not UTF-8, or an empty token all fail the check.
    """
    if not auth_token or not signature:
        return False
    try:
        query = parse_qs(urlsplit(full_url).query, keep_blank_values=True)
        body = raw_body.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return False
    if not query.get("bodySHA256", [""])[0]:
        return False
    try:
        return bool(RequestValidator(auth_token).validate(full_url, body, signature))
    except (TypeError, ValueError):
        # the validator raises TypeError when it falls back to form-parameter signing
        return False


def verify_form_signature(
    auth_token: str, full_url: str, fields: Mapping[str, str], signature: str | None
) -> bool:
    """True when `signature` signs a form post: the URL followed by the sorted field names and
    values (how Twilio signs a form-encoded webhook, such as a Studio HTTP request widget's)."""
    if not auth_token or not signature:
        return False
    try:
        return bool(RequestValidator(auth_token).validate(full_url, dict(fields), signature))
    except (TypeError, ValueError):
        return False


def public_url(
    scheme: str,
    host: str,
    path_and_query: str,
    headers: Mapping[str, str],
    trust_proxy: bool,
) -> str:
    """The URL as Twilio called it: `scheme://host/path?query`.

    `path_and_query` must be the raw request target (undecoded path plus the raw query string),
    since the signature covers it byte for byte. Behind a trusted reverse proxy
    (`trust_proxy=True`), the first `X-Forwarded-Proto` and `X-Forwarded-Host` values replace
    the scheme and host the server saw; otherwise those headers are ignored, since a caller
    could set them.
    """
    if trust_proxy:
        scheme = _first(headers, "x-forwarded-proto") or scheme
        host = _first(headers, "x-forwarded-host") or host
    if not path_and_query.startswith("/"):
        path_and_query = "/" + path_and_query
    return f"{scheme.lower()}://{host}{path_and_query}"


def _first(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value.split(",")[0].strip()
    return ""
