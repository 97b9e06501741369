"""Checks on Twilio's webhooks: the Event Streams signature and the URL it must cover.

Pure functions over what an HTTP route already has (the raw request target, the headers, the
raw body), so any web framework can use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

__all__ = [
    "SIGNATURE_HEADER",
    "signed_url",
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


def signed_url(
    public_base_url: str, target: str, *, scheme: str | None = None, host: str | None = None
) -> str:
    """The URL a Twilio signature must cover: `public_base_url` followed by the request target.

    `target` is the raw request target (the undecoded path, and `?` and the raw query string
    when there is one), since the signature covers it byte for byte. The scheme and host are the
    public base URL's, whatever `Host` the request carried, so a batch signed for another sink
    of the account never passes; a trusted proxy's values (`scheme`, `host`, already checked by
    the caller) replace them. A path in the base URL (a proxy that strips a prefix) stays in
    front of the target.
    """
    base = urlsplit(public_base_url)
    if not target.startswith("/"):
        target = "/" + target
    origin = f"{(scheme or base.scheme).lower()}://{host or base.netloc}"
    return f"{origin}{base.path.rstrip('/')}{target}"
