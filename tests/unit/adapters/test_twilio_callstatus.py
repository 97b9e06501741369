"""The Studio flow's `/callstatus` post: form or JSON -> report and token."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_adapters.twilio.callstatus import CallStatusPost, parse_callstatus, token_is_valid
from queue_core.domain.errors import InvalidWebhook
from queue_core.domain.facts import CallStatusReport
from queue_core.domain.tokens import CallstatusTokens
from tests.support.hostile_json import odd_text, raw_values, spliced_anywhere

TOKENS = CallstatusTokens(b"secret")
EXECUTION = "FN0123456789abcdef0123456789abcdef"
FIELDS = {
    "execution_sid": EXECUTION,
    "campaign_execution_id": "ce-42",
    "record_id": "r-1001",
    "callstatus_token": TOKENS.issue("ce-42", "r-1001", "7"),
    "call_sid": "CA0123456789abcdef0123456789abcdef",
    "call_status": "no-answer",
    "error_code": "",
    "error_message": "",
}
REPORT = CallStatusReport(
    execution_sid=EXECUTION,
    campaign_execution_id="ce-42",
    record_id="r-1001",
    call_sid="CA0123456789abcdef0123456789abcdef",
    call_status="no-answer",
    at=12.5,
)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", urlencode(FIELDS).encode()),
        ("application/x-www-form-urlencoded; charset=utf-8", urlencode(FIELDS).encode()),
        ("application/json", json.dumps(FIELDS).encode()),
        ("application/json; charset=UTF-8", json.dumps(FIELDS).encode()),
        (None, json.dumps(FIELDS).encode()),
        ("", urlencode(FIELDS).encode()),
    ],
)
def test_form_and_json_posts_give_the_report_and_its_token(
    content_type: str | None, body: bytes
) -> None:
    post = parse_callstatus(content_type, body, received_at=12.5)
    assert post == CallStatusPost(report=REPORT, token=FIELDS["callstatus_token"])
    assert token_is_valid(TOKENS, post)


def test_optional_fields_may_be_absent_or_numbers_in_json() -> None:
    required = {k: FIELDS[k] for k in list(FIELDS)[:4]}
    report, _ = parse_callstatus("application/x-www-form-urlencoded", urlencode(required).encode())
    assert (report.call_sid, report.call_status, report.error_code, report.at) == ("", "", "", None)
    report, _ = parse_callstatus(
        "application/json", json.dumps({**required, "error_code": 31005}).encode()
    )
    assert report.error_code == "31005"


def test_a_token_for_another_record_does_not_verify() -> None:
    fields = {**FIELDS, "record_id": "r-1002"}
    post = parse_callstatus("application/json", json.dumps(fields).encode())
    assert not token_is_valid(TOKENS, post)


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("text/plain", b"hello", "unsupported content type 'text/plain'"),
        ("application/json", b"{", "body is not JSON"),
        ("application/json", b"[]", "body must be a JSON object"),
        ("application/json", b"\xff", "body is not UTF-8"),
        (
            "application/json",
            json.dumps({**FIELDS, "execution_sid": "CA1"}).encode(),
            "field 'execution_sid' is malformed",
        ),
        (
            "application/json",
            json.dumps({**FIELDS, "campaign_execution_id": "a b"}).encode(),
            "field 'campaign_execution_id' is malformed",
        ),
        (
            "application/json",
            json.dumps({**FIELDS, "record_id": 7}).encode(),
            "field 'record_id' must be a string",
        ),
        (
            "application/x-www-form-urlencoded",
            urlencode(FIELDS).encode() + b"&record_id=r-2",
            "field 'record_id' is given more than once",
        ),
        (
            "application/x-www-form-urlencoded",
            b"&".join([b"a%d=1" % i for i in range(100)]),
            "form body is malformed",
        ),
    ],
)
def test_bad_posts_are_rejected_with_the_reason(
    content_type: str, body: bytes, message: str
) -> None:
    with pytest.raises(InvalidWebhook) as caught:
        parse_callstatus(content_type, body)
    assert message in str(caught.value)


def test_a_post_without_a_token_parses_with_an_empty_one_for_the_check_to_refuse() -> None:
    body = json.dumps({k: v for k, v in FIELDS.items() if k != "callstatus_token"}).encode()

    post = parse_callstatus("application/json", body)

    assert post.token == ""
    assert not token_is_valid(TOKENS, post)


@given(
    st.sampled_from(
        [None, "", "application/json", "application/x-www-form-urlencoded", "text/html"]
    ),
    st.binary(max_size=300)
    | st.dictionaries(
        st.sampled_from(list(FIELDS)), st.none() | st.integers() | st.text(max_size=300), max_size=8
    ).map(lambda d: json.dumps(d).encode()),
)
def test_any_body_is_parsed_or_rejected_with_invalid_webhook(
    content_type: str | None, body: bytes
) -> None:
    try:
        post = parse_callstatus(content_type, body)
    except InvalidWebhook as exc:
        message = str(exc)
    else:
        assert post.report.execution_sid.startswith("FN")
        return
    assert message.startswith("callstatus: ")


@given(st.data())
def test_fields_nested_deep_or_of_odd_unicode_are_parsed_or_rejected(data: st.DataObject) -> None:
    """JSON whose fields are nested thousands deep, lone surrogates, huge or odd strings; and
    forms whose values are odd text."""
    json_body = data.draw(spliced_anywhere(FIELDS, raw_values(max_depth=5000, max_string=100_000)))
    form = {**FIELDS, data.draw(st.sampled_from(list(FIELDS))): data.draw(odd_text)}
    for content_type, body in (
        # A lone surrogate becomes the bytes a hostile sender would send, not an error here.
        ("application/json", json_body.encode("utf-8", "surrogatepass")),
        ("application/x-www-form-urlencoded", urlencode(form, errors="surrogatepass").encode()),
    ):
        try:
            post = parse_callstatus(content_type, body)
        except InvalidWebhook as exc:
            message = str(exc)
        else:
            assert post.report.execution_sid.startswith("FN")
            continue
        assert message.startswith("callstatus: ")
