"""Event Streams signature checks (bodySHA256 scheme) and the URL Twilio called."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from queue_adapters.twilio.signatures import (
    signed_url,
    verify_event_streams_signature,
    verify_form_signature,
)

TOKEN = "12345678901234567890123456789012"
Tamper = Callable[[str, bytes, str], tuple[str, bytes, str | None]]
BODY = b'[{"specversion":"1.0","type":"com.twilio.studio.flow.execution.started","id":"EZ1"}]'


def url_with_hash(body: bytes, base: str = "https://queue.example.com/eventstreams") -> str:
    return f"{base}?bodySHA256={hashlib.sha256(body).hexdigest()}"


def sign(url: str, token: str = TOKEN) -> str:
    """What Twilio puts in X-Twilio-Signature: HMAC-SHA1 of the full URL (no form params)."""
    return str(RequestValidator(token).compute_signature(url, {}))


def test_a_body_signed_as_twilio_signs_it_passes() -> None:
    url = url_with_hash(BODY)
    assert verify_event_streams_signature(TOKEN, url, BODY, sign(url))


def test_the_url_may_be_signed_with_or_without_the_default_port() -> None:
    url = url_with_hash(BODY, "https://queue.example.com:443/eventstreams")
    assert verify_event_streams_signature(TOKEN, url, BODY, sign(url.replace(":443", "")))


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda url, body, sig: (url, body + b" ", sig), id="changed body"),
        pytest.param(lambda url, body, sig: (url, body[:-1], sig), id="truncated body"),
        pytest.param(
            lambda url, body, sig: (url.replace("queue.", "other."), body, sig), id="changed host"
        ),
        pytest.param(
            lambda url, body, sig: (url.replace("/eventstreams", "/events"), body, sig),
            id="changed path",
        ),
        pytest.param(lambda url, body, sig: (url, body, sig[:-2] + "AA"), id="changed signature"),
        pytest.param(lambda url, body, sig: (url, body, ""), id="empty signature"),
        pytest.param(lambda url, body, sig: (url, body, None), id="missing signature"),
        pytest.param(lambda url, body, sig: (url, body, "not base64 at all!"), id="garbled"),
        pytest.param(
            lambda url, body, sig: (url.split("?")[0], body, sign(url.split("?")[0])),
            id="no bodySHA256, signed URL",
        ),
        pytest.param(
            lambda url, body, sig: (url.replace("bodySHA256", "bodySHA1"), body, sig),
            id="renamed bodySHA256",
        ),
        pytest.param(lambda url, body, sig: (url + "&x=1", body, sig), id="extra query parameter"),
    ],
)
def test_any_change_fails(tamper: Tamper) -> None:
    url = url_with_hash(BODY)
    bad_url, bad_body, bad_sig = tamper(url, BODY, sign(url))
    assert not verify_event_streams_signature(TOKEN, bad_url, bad_body, bad_sig)


def test_another_token_fails_and_an_empty_token_never_passes() -> None:
    url = url_with_hash(BODY)
    assert not verify_event_streams_signature("another-token", url, BODY, sign(url))
    assert not verify_event_streams_signature("", url, BODY, sign(url, token=""))


def test_a_body_that_is_not_utf8_fails_even_when_its_hash_matches() -> None:
    body = b"\xff\xfe[]"
    url = url_with_hash(body)
    assert not verify_event_streams_signature(TOKEN, url, body, sign(url))


def test_an_empty_body_with_its_hash_passes() -> None:
    url = url_with_hash(b"")
    assert verify_event_streams_signature(TOKEN, url, b"", sign(url))


@given(body=st.text(max_size=300))
def test_every_utf8_body_signed_by_twilio_passes_and_one_more_byte_fails(body: str) -> None:
    raw = body.encode()
    url = url_with_hash(raw)
    signature = sign(url)
    assert verify_event_streams_signature(TOKEN, url, raw, signature)
    assert not verify_event_streams_signature(TOKEN, url, raw + b"x", signature)


@given(url=st.text(max_size=120), body=st.binary(max_size=120), signature=st.none() | st.text())
def test_arbitrary_input_never_raises_and_never_passes_unsigned(
    url: str, body: bytes, signature: str | None
) -> None:
    assert verify_event_streams_signature(TOKEN, url, body, signature) in (False, True)
    # a signature not computed with the token cannot pass, whatever the URL and body
    if signature is not None and signature != sign(url):
        assert not verify_event_streams_signature(TOKEN, url, body, signature)


def test_the_signed_url_is_the_public_base_url_and_the_request_target() -> None:
    target = "/eventstreams?bodySHA256=ab"
    assert signed_url("https://queue.example.com", target) == (
        "https://queue.example.com/eventstreams?bodySHA256=ab"
    )
    # A path in the base URL (a proxy that strips a prefix) stays in front of the target.
    assert signed_url("https://example.com/queue/", target) == (
        "https://example.com/queue/eventstreams?bodySHA256=ab"
    )
    assert signed_url("HTTP://h:1", "x") == "http://h:1/x"


def test_a_trusted_proxys_scheme_and_host_replace_the_base_urls() -> None:
    target = "/eventstreams?bodySHA256=ab"
    assert signed_url("http://10.0.0.5:8000", target, scheme="https", host="q.example.com") == (
        "https://q.example.com/eventstreams?bodySHA256=ab"
    )
    assert signed_url("https://queue.example.com", target, host="other.example.com") == (
        "https://other.example.com/eventstreams?bodySHA256=ab"
    )


def test_a_signature_checks_out_on_the_public_base_url_only() -> None:
    url = url_with_hash(BODY)
    target = url.removeprefix("https://queue.example.com")
    pinned = signed_url("https://queue.example.com", target)
    assert verify_event_streams_signature(TOKEN, pinned, BODY, sign(url))
    # Signed for another sink of the account: whatever Host the request carried, refused.
    elsewhere = url_with_hash(BODY, "https://other-sink.example.com/eventstreams")
    assert not verify_event_streams_signature(TOKEN, pinned, BODY, sign(elsewhere))


def test_a_form_post_signed_as_twilio_signs_it_passes_and_a_changed_field_fails() -> None:
    url = "https://queue.example.com/callstatus"
    fields = {"execution_sid": "FN1", "call_status": "busy", "record_id": "r-1"}
    signature = str(RequestValidator(TOKEN).compute_signature(url, fields))
    assert verify_form_signature(TOKEN, url, fields, signature)
    assert not verify_form_signature(TOKEN, url, {**fields, "call_status": "completed"}, signature)
    assert not verify_form_signature(TOKEN, url + "?x=1", fields, signature)
    assert not verify_form_signature(TOKEN, url, fields, None)
    assert not verify_form_signature("", url, fields, signature)
