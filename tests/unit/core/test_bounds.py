"""Values from other services, read within bounds: every parser of what another service wrote
in Redis returns a value or raises the project's own error, whatever the text holds (deep
nesting, huge strings, odd Unicode), and echoed text is cut to its stated length."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from queue_core.domain.assembler import invalid_record_disposition
from queue_core.domain.bounds import (
    MAX_ATTRIBUTES_BYTES,
    MAX_DOCUMENT_CHARS,
    MAX_ECHO_CHARS,
    MAX_ID_ECHO_CHARS,
    MAX_JSON_DEPTH,
    MAX_RECORD_CHARS,
    cut,
    load_json,
)
from queue_core.domain.campaign import CampaignExecution
from queue_core.domain.commands import ControlCommand
from queue_core.domain.contacts import ClaimedRecord, ContactRecord
from queue_core.domain.disposition import DispositionStatus
from queue_core.domain.errors import (
    ContractViolation,
    InvalidCampaignExecution,
    InvalidCommand,
    InvalidContactRecord,
)
from queue_core.domain.queue_events import QueueEvent, QueueEventType
from queue_core.domain.stats import QueueStats

KEY = "campaign_execution:ce-42"
DOCUMENT = {
    "campaign_execution_id": "ce-42",
    "studio_flow_sid": "FW" + "0" * 32,
    "from_number": "+15005550006",
    "task_queue_sid": "WQ" + "0" * 32,
}
PROPERTY = settings(max_examples=150)
PACING_FIELDS = [
    "mode",
    "dial_ratio",
    "max_concurrent_calls",
    "cps_share",
    "max_dial_ratio",
    "abandon_target",
]
DEEP = "[" * 2_000 + "]" * 2_000  # past json.loads' recursion limit

# ---------------------------------------------------------------- hostile text

ODD = [
    "\x00",  # NUL
    "\ud800",  # lone high surrogate
    "\udfff",  # lone low surrogate
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\ufeff",  # byte order mark
    "\u2028",  # line separator
    "\U0001f4de",
    "\\",
    '"',
    "\\u0000",
    "\\ud800",
    "\\",
]
odd_text = st.lists(
    st.sampled_from(ODD) | st.characters(codec=None) | st.characters(categories=["Cs"]),
    max_size=12,
).map("".join)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**1000), max_value=10**1000)
    | st.floats(allow_nan=True, allow_infinity=True)
    | odd_text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def deep(draw: st.DrawFn, inner: st.SearchStrategy[str]) -> str:
    """`inner` nested in arrays and objects, from a few levels to far past any recursion
    limit, closed or left open."""
    edges = [1, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1]
    depth = draw(st.sampled_from(edges) | st.integers(0, 5_000))
    opener = draw(st.sampled_from(["[", '{"a":', '{"attributes":', '[{"x":[']))
    closer = {"[": "]", '{"a":': "}", '{"attributes":': "}", '[{"x":[': "]}]"}[opener]
    body = draw(inner)
    closed = draw(st.booleans())
    return opener * depth + body + (closer * depth if closed else "")


@st.composite
def huge(draw: st.DrawFn) -> str:
    """A JSON string of up to a few times the largest bound, made of one repeated piece."""
    piece = draw(st.sampled_from(ODD) | st.text(min_size=1, max_size=3))
    length = draw(
        st.sampled_from([MAX_DOCUMENT_CHARS, MAX_RECORD_CHARS, MAX_ATTRIBUTES_BYTES])
        | st.integers(1, 3 * MAX_RECORD_CHARS)
    )
    return json.dumps(piece * (length // len(piece) + 1), ensure_ascii=draw(st.booleans()))


def dumped(value: object, ensure_ascii: bool) -> str:
    try:
        return json.dumps(value, ensure_ascii=ensure_ascii)
    except ValueError:  # an int of more digits than Python writes
        return "0"


any_json = st.builds(dumped, json_values, st.booleans())
hostile = (
    any_json
    | odd_text
    | huge()
    | deep(any_json | huge())
    | deep(st.just(""))
    | st.binary(max_size=64).map(lambda b: b.decode("latin-1"))
)


@st.composite
def record_text(draw: st.DrawFn) -> str:
    """A record-shaped object whose fields are hostile."""
    fields = {
        "record_id": draw(st.just("r-1") | json_values),
        "phone_number": draw(st.just("+14155550100") | json_values),
        "attributes": draw(st.just({"first_name": "Ada"}) | json_values),
    }
    text = dumped(fields, draw(st.booleans()))
    if draw(st.booleans()):  # something hostile in place of the attributes
        text = text.replace(dumped(fields["attributes"], True), draw(hostile), 1)
    return text


@st.composite
def document_text(draw: st.DrawFn) -> str:
    """A campaign document whose pacing or fields are hostile."""
    doc: dict[str, object] = dict(DOCUMENT)
    name = draw(st.sampled_from([*DOCUMENT, "pacing"]))
    doc[name] = draw(json_values)
    if draw(st.booleans()):
        doc["pacing"] = {draw(st.sampled_from(PACING_FIELDS)): draw(json_values)}
    text = dumped(doc, draw(st.booleans()))
    if draw(st.booleans()):
        text = text[:-1] + ', "extra": ' + draw(hostile) + "}"
    return text


@st.composite
def stats_text(draw: st.DrawFn) -> str:
    doc = {
        "total_available_workers": draw(st.just(3) | json_values),
        "tasks_by_status": draw(st.just({"pending": 1}) | json_values),
        "longest_task_waiting_age": draw(json_values),
    }
    if draw(st.booleans()):
        doc["timestamp"] = draw(json_values | st.just("0001-01-01T00:00:00+05:00"))
    return dumped(doc, draw(st.booleans()))


# ---------------------------------------------------------------- the parsers


@PROPERTY
@given(raw=hostile | record_text() | document_text())
@example(raw=DEEP)
@example(raw='{"a":' * 2_000)
def test_load_json_returns_a_value_or_a_contract_violation(raw: str) -> None:
    message = ""
    try:
        load_json(raw, max_chars=MAX_RECORD_CHARS)
    except ContractViolation as exc:
        message = str(exc)
    assert len(message) <= 200


@PROPERTY
@given(raw=record_text() | hostile)
@example(raw='{"record_id": "r-1", "phone_number": "+14155550100", "attributes": ' + DEEP + "}")
def test_a_contact_record_parses_or_is_an_invalid_record(raw: str) -> None:
    try:
        record = ContactRecord.parse(raw)
    except InvalidContactRecord:
        pass
    else:
        attributes = json.dumps(dict(record.attributes), separators=(",", ":"), ensure_ascii=False)
        assert len(attributes.encode("utf-8", "surrogatepass")) <= MAX_ATTRIBUTES_BYTES
    assert isinstance(ContactRecord.best_record_id(raw), str)
    disposition = invalid_record_disposition(
        "ce-42", ClaimedRecord("c-1", raw), "x" * 10**5, 0.0, "+15005550006"
    )
    assert disposition.status is DispositionStatus.INVALID_RECORD
    assert len(disposition.error_message) <= MAX_ECHO_CHARS


@PROPERTY
@given(raw=document_text() | hostile)
@example(raw=json.dumps({**DOCUMENT, "pacing": {"dial_ratio": 10**400}}))
@example(raw=json.dumps({**DOCUMENT, "nested": []})[:-3] + DEEP + "}")
def test_a_campaign_document_parses_or_is_invalid(raw: str) -> None:
    message = ""
    try:
        CampaignExecution.parse(raw, key=KEY, campaign_execution_id="ce-42")
    except InvalidCampaignExecution as exc:
        message = str(exc)
    assert len(message) <= MAX_ECHO_CHARS


@PROPERTY
@given(raw=stats_text() | hostile | st.binary(max_size=64))
@example(raw='{"total_available_workers": 3, "x": ' + DEEP + "}")
@example(raw='{"total_available_workers": 3, "longest_task_waiting_age": 1' + "0" * 400 + "}")
@example(raw='{"total_available_workers": 1' + "0" * 400 + "}")
def test_stats_parse_or_read_as_none(raw: str | bytes) -> None:
    stats = QueueStats.parse(raw)
    if stats is not None:
        assert stats.available_workers <= 10**9
        assert stats.longest_task_waiting_age_s < float("inf")


@PROPERTY
@given(
    fields=st.dictionaries(
        st.sampled_from(["action", "campaign_execution_id", "request_id", "reason", "x"]),
        odd_text | st.builds(lambda s, n: s * n, odd_text, st.integers(0, 50_000)),
    )
)
@example(fields={"action": "start", "campaign_execution_id": "ce-1", "request_id": "r" * 100_000})
def test_a_control_entry_is_a_command_or_invalid(fields: dict[str, str]) -> None:
    message, request_id = "", ""
    try:
        command = ControlCommand.from_fields(fields)
        request_id = command.request_id or ""
    except InvalidCommand as exc:
        message = str(exc)
    assert len(message) <= MAX_ECHO_CHARS
    assert len(request_id) <= MAX_ID_ECHO_CHARS


# ---------------------------------------------------------------- the bounds themselves


def test_nesting_past_the_recursion_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(RecursionError):
        json.loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ContractViolation, match=f"deeper than {MAX_JSON_DEPTH} levels"):
        load_json("[" * 100_000 + "]" * 100_000, max_chars=10**6)


def test_nesting_up_to_the_limit_is_read() -> None:
    depth = MAX_JSON_DEPTH
    assert load_json('{"a":' * depth + "1" + "}" * depth, max_chars=1_000) is not None
    with pytest.raises(ContractViolation):
        load_json('{"a":' * (depth + 1) + "1" + "}" * (depth + 1), max_chars=1_000)


def test_brackets_inside_strings_are_not_nesting() -> None:
    raw = json.dumps({"note": "[" * 5_000, "quote": '\\"{{{{{'})
    assert load_json(raw, max_chars=100_000) == {"note": "[" * 5_000, "quote": '\\"{{{{{'}


@pytest.mark.parametrize("raw", ["[NaN]", '{"a": Infinity}', "-Infinity"])
def test_nan_and_infinity_are_not_json(raw: str) -> None:
    with pytest.raises(ContractViolation, match="not JSON"):
        load_json(raw, max_chars=100)


def test_a_value_longer_than_its_bound_is_refused_unread() -> None:
    with pytest.raises(ContractViolation, match="more than 10"):
        load_json('"' + "x" * 10 + '"', max_chars=10)


def test_cut_keeps_short_text_and_marks_a_cut() -> None:
    assert cut("short", 10) == "short"
    assert cut("x" * 11, 10) == "x" * 9 + "…"
    assert len(cut("y" * 10**7)) == MAX_ECHO_CHARS


def test_attributes_over_their_bound_make_the_record_invalid() -> None:
    big = {"notes": "n" * MAX_ATTRIBUTES_BYTES}
    raw = json.dumps({"record_id": "r-1", "phone_number": "+14155550100", "attributes": big})
    with pytest.raises(InvalidContactRecord, match=f"at most {MAX_ATTRIBUTES_BYTES} bytes"):
        ContactRecord.parse(raw)
    disposition = invalid_record_disposition("ce-42", ClaimedRecord("c-1", raw), "e", 0.0, "+1")
    assert (disposition.record_id, disposition.to) == ("r-1", "+14155550100")
    fits = {"notes": "n" * (MAX_ATTRIBUTES_BYTES - 20)}
    record = ContactRecord.parse(raw.replace(json.dumps(big), json.dumps(fits)))
    assert record.attributes == fits


def test_a_document_naming_another_execution_is_invalid_naming_both() -> None:
    raw = json.dumps({**DOCUMENT, "campaign_execution_id": "ce-other"})
    with pytest.raises(InvalidCampaignExecution, match="'ce-other', not 'ce-42'"):
        CampaignExecution.parse(raw, key=KEY, campaign_execution_id="ce-42")


def test_echoed_event_fields_are_cut() -> None:
    event = QueueEvent(
        QueueEventType.FAILED, "ce-42", 0.0, request_id="r" * 100_000, reason="x" * 10**7
    )
    fields = event.to_fields()
    assert len(fields["request_id"]) == MAX_ID_ECHO_CHARS
    assert len(fields["reason"]) == MAX_ECHO_CHARS
