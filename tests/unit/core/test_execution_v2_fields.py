"""The version-2 fields of a campaign execution document (`campaign_id`, `calling_window`,
`retry`, `dnc_sets`) and of a contact record (`timezone`): each is optional, a document or record
without them reads exactly as before, and each invalid value fails naming its field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain.calling_window import CallingWindow
from queue_core.domain.campaign import MAX_DNC_SETS, CampaignExecution, PacingSettings
from queue_core.domain.contacts import ContactRecord
from queue_core.domain.disposition import DispositionStatus
from queue_core.domain.errors import InvalidCampaignExecution, InvalidContactRecord
from queue_core.domain.retry import MAX_RETRY_DELAY_S, RetryPolicy
from tests.unit.core.test_bounds import DOCUMENT, KEY, json_values

V2_FIELDS = ["campaign_id", "calling_window", "retry", "dnc_sets"]
RECORD = {"record_id": "r-1", "phone_number": "+14155550100", "attributes": {"a": 1}}


def read(**fields: Any) -> CampaignExecution:
    return CampaignExecution.from_document({**DOCUMENT, **fields}, key=KEY)


def fails(field: str, **fields: Any) -> None:
    with pytest.raises(InvalidCampaignExecution, match=f"^{KEY}: field '{field}'"):
        read(**fields)


def test_a_document_without_the_new_fields_reads_and_writes_as_in_version_1() -> None:
    execution = read()
    assert execution.campaign_id is None
    assert execution.calling_window is None
    assert execution.retry == RetryPolicy(max_attempts=1)
    assert execution.dnc_sets == ()
    assert execution.to_document() == {**DOCUMENT, "pacing": PacingSettings().to_document()}
    assert read(campaign_id=None, calling_window=None, retry=None, dnc_sets=None) == execution


def test_the_contracts_example_reads_and_writes_back() -> None:
    fields = {
        "campaign_id": "c-7",
        "calling_window": {"start": "08:00", "end": "21:00", "days": ["mon", "tue", "sat"]},
        "retry": {"max_attempts": 3, "after_s": {"busy": 600, "no-answer": 3600, "failed": 1800}},
        "dnc_sets": ["dnc:national", "dnc:c-7", "dnc:national"],
    }
    execution = read(**fields)
    assert execution.campaign_id == "c-7"
    assert execution.calling_window == CallingWindow(480, 1260, frozenset({0, 1, 5}))
    assert execution.retry.max_attempts == 3
    assert execution.retry.delay_after(DispositionStatus.NO_ANSWER) == 3600
    assert execution.dnc_sets == ("dnc:national", "dnc:c-7")
    written = execution.to_document()
    assert set(V2_FIELDS) <= set(written)
    assert CampaignExecution.from_document(written, key=KEY) == execution


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("campaign_id", "", "campaign_id"),
        ("campaign_id", "c 7", "campaign_id"),
        ("campaign_id", 7, "campaign_id"),
        ("campaign_id", "c" * 129, "campaign_id"),
        ("calling_window", ["08:00", "21:00"], "calling_window"),
        ("calling_window", {"start": "25:00", "end": "21:00"}, "calling_window.start"),
        ("calling_window", {"start": "08:00", "end": "08:00"}, "calling_window.end"),
        ("calling_window", {"start": "08:00", "end": "9pm"}, "calling_window.end"),
        (
            "calling_window",
            {"start": "08:00", "end": "21:00", "days": ["xyz"]},
            "calling_window.days",
        ),
        ("retry", 3, "retry"),
        ("retry", {"after_s": {"busy": 600}}, "retry.max_attempts"),
        ("retry", {"max_attempts": 0}, "retry.max_attempts"),
        ("retry", {"max_attempts": -1}, "retry.max_attempts"),
        ("retry", {"max_attempts": 101}, "retry.max_attempts"),
        ("retry", {"max_attempts": 2.0}, "retry.max_attempts"),
        ("retry", {"max_attempts": True}, "retry.max_attempts"),
        ("retry", {"max_attempts": 3, "after_s": [600]}, "retry.after_s"),
        ("retry", {"max_attempts": 3, "after_s": {"busy": -1}}, "retry.after_s.busy"),
        ("retry", {"max_attempts": 3, "after_s": {"busy": "600"}}, "retry.after_s.busy"),
        ("retry", {"max_attempts": 3, "after_s": {"busy": float("nan")}}, "retry.after_s.busy"),
        ("retry", {"max_attempts": 3, "after_s": {"busy": 10**400}}, "retry.after_s.busy"),
        (
            "retry",
            {"max_attempts": 3, "after_s": {"busy": MAX_RETRY_DELAY_S + 1}},
            "retry.after_s.busy",
        ),
        ("retry", {"max_attempts": 3, "after_s": {"no_answer": 60}}, "retry.after_s"),
        ("retry", {"max_attempts": 3, "after_s": {"invalid_record": 60}}, "retry.after_s"),
        ("dnc_sets", "dnc:national", "dnc_sets"),
        ("dnc_sets", ["dnc:national", 7], "dnc_sets"),
        ("dnc_sets", [""], "dnc_sets"),
        ("dnc_sets", ["dnc national"], "dnc_sets"),
        ("dnc_sets", ["dnc:\n"], "dnc_sets"),
        ("dnc_sets", ["dnc:\ud800"], "dnc_sets"),
        ("dnc_sets", ["dnc:\x85"], "dnc_sets"),
        ("dnc_sets", ["k" * 257], "dnc_sets"),
        ("dnc_sets", [f"dnc:{n}" for n in range(MAX_DNC_SETS + 1)], "dnc_sets"),
    ],
)
def test_an_invalid_value_fails_naming_its_field(field: str, value: object, named: str) -> None:
    fails(named, **{field: value})


def test_a_retry_policy_says_when_the_next_attempt_may_be_dialed() -> None:
    policy = read(retry={"max_attempts": 3, "after_s": {"busy": 600, "unknown": 0}}).retry
    assert policy.retry_at(DispositionStatus.BUSY, 1, 1000.0) == 1600.0
    assert policy.retry_at(DispositionStatus.BUSY, 2, 1000.0) == 1600.0
    assert policy.retry_at(DispositionStatus.BUSY, 3, 1000.0) is None  # the third was the last
    assert policy.retry_at(DispositionStatus.UNKNOWN, 1, 1000.0) == 1000.0
    assert policy.retry_at(DispositionStatus.COMPLETED, 1, 1000.0) is None
    assert policy.delay_after(DispositionStatus.NO_ANSWER) is None
    assert RetryPolicy().retry_at(DispositionStatus.BUSY, 1, 1000.0) is None


def test_max_attempts_alone_retries_nothing() -> None:
    policy = read(retry={"max_attempts": 5}).retry
    assert policy == RetryPolicy(max_attempts=5)
    assert all(policy.delay_after(status) is None for status in DispositionStatus)


# ---------------------------------------------------------------- the record's timezone


def record(**fields: Any) -> ContactRecord:
    return ContactRecord.parse(json.dumps({**RECORD, **fields}))


def test_a_record_without_a_timezone_reads_and_writes_as_in_version_1() -> None:
    parsed = record()
    assert parsed.timezone is None
    assert json.loads(parsed.to_json()) == RECORD
    assert record(timezone=None) == parsed


def test_a_record_names_its_own_zone() -> None:
    parsed = record(timezone="America/Chicago")
    assert parsed.timezone == "America/Chicago"
    assert ContactRecord.parse(parsed.to_json()) == parsed


@pytest.mark.parametrize(
    "zone",
    [
        "",
        "Mars/Base",
        "america/chicago ",
        "../etc/passwd",
        "/etc/localtime",
        "localtime",
        5,
        ["UTC"],
    ],
)
def test_a_timezone_that_is_not_an_iana_zone_makes_the_record_invalid(zone: object) -> None:
    with pytest.raises(InvalidContactRecord, match=r"^field 'timezone' must be an IANA time zone"):
        record(timezone=zone)


# ---------------------------------------------------------------- hostile values


@settings(max_examples=200)
@given(field=st.sampled_from(V2_FIELDS), value=json_values, inner=json_values)
def test_any_value_of_a_new_field_reads_or_fails_naming_it(
    field: str, value: object, inner: object
) -> None:
    shaped: dict[str, object] = {
        "campaign_id": value,
        "calling_window": {"start": "08:00", "end": value, "days": [value]},
        "retry": {"max_attempts": 2, "after_s": {"busy": value, str(inner): inner}},
        "dnc_sets": [value, inner],
    }
    for candidate in (value, shaped[field]):
        message = f"field '{field}"
        try:
            read(**{field: candidate})
        except InvalidCampaignExecution as exc:
            message = str(exc)
        assert f"field '{field}" in message
        assert len(message) <= 400


@settings(max_examples=200)
@given(zone=json_values)
def test_any_timezone_value_reads_or_makes_the_record_invalid(zone: object) -> None:
    message = ""
    try:
        parsed = record(timezone=zone)
    except InvalidContactRecord as exc:
        message = str(exc)
    if message:
        # NaN and Infinity are no JSON: the record is refused before its fields are read.
        assert message.startswith(("field 'timezone'", "record: the value is not JSON"))
    else:
        assert parsed.timezone == zone
