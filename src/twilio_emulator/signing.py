"""Webhook signatures as Twilio computes them, with twilio-python's `RequestValidator`.

JSON bodies (Event Streams) are signed over the destination URL extended with
`bodySHA256=<hex sha256 of the body>`; form bodies (a Studio HTTP request widget) over the URL
and the sorted form fields.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

# twilio-python ships no type information.
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

__all__ = ["sign_form", "sign_json_body"]


def sign_json_body(destination: str, body: bytes, auth_token: str) -> tuple[str, str]:
    """(URL to call, `X-Twilio-Signature`) for a JSON `body` sent to `destination`."""
    separator = "&" if "?" in destination else "?"
    url = f"{destination}{separator}bodySHA256={hashlib.sha256(body).hexdigest()}"
    return url, str(RequestValidator(auth_token).compute_signature(url, {}))


def sign_form(url: str, fields: Mapping[str, str], auth_token: str) -> str:
    """`X-Twilio-Signature` of a form post of `fields` to `url`."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(fields)))
