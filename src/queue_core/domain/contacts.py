"""Contact records from the cache, claims on them, and a launched contact attempt."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from queue_core.domain._validate import E164
from queue_core.domain.bounds import MAX_ATTRIBUTES_BYTES, MAX_RECORD_CHARS, load_json, shown
from queue_core.domain.disposition import DispositionStatus
from queue_core.domain.errors import ContractViolation, InvalidContactRecord
from queue_core.domain.retry import RetryPolicy
from queue_core.domain.time_zones import time_zone

__all__ = ["ClaimedRecord", "ContactAttempt", "ContactRecord", "ContactRef"]

MAX_RECORD_ID_LENGTH = 256


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """A valid `campaign_cache:{id}` record. `timezone`, when the record names one, is an IANA
    zone that overrides the zones of the number."""

    record_id: str
    phone_number: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    timezone: str | None = None

    @staticmethod
    def read(raw: str) -> object:
        """A raw cache entry as JSON, within the bounds of `queue_core.domain.bounds` (a record of
        at most MAX_RECORD_CHARS characters and MAX_JSON_DEPTH levels); raises
        `InvalidContactRecord` saying why not."""
        try:
            return load_json(raw, max_chars=MAX_RECORD_CHARS)
        except ContractViolation as exc:
            raise InvalidContactRecord(f"record: {exc}") from None

    @staticmethod
    def best_record_id(raw: str) -> str:
        """The record id of a raw record, or "" when it has none: for `invalid_record`."""
        return ContactRecord.salvage(raw)[0]

    @staticmethod
    def salvage(raw: str) -> tuple[str, str]:
        """The record id (cut to MAX_RECORD_ID_LENGTH) and the phone number (as it is) of a
        raw record that fails validation, each "" when it has none or the record cannot be
        read within bounds: for `invalid_record`."""
        try:
            doc = ContactRecord.read(raw)
        except InvalidContactRecord:
            return "", ""
        if not isinstance(doc, dict):
            return "", ""
        record_id, phone = doc.get("record_id"), doc.get("phone_number")
        return (
            record_id[:MAX_RECORD_ID_LENGTH] if isinstance(record_id, str) else "",
            phone if isinstance(phone, str) else "",
        )

    def to_json(self) -> str:
        """The record as the cache holds it (what `parse` reads); `timezone` only when set."""
        doc = {
            "record_id": self.record_id,
            "phone_number": self.phone_number,
            "attributes": dict(self.attributes),
        }
        if self.timezone is not None:
            doc["timezone"] = self.timezone
        return json.dumps(doc, separators=(",", ":"))

    @classmethod
    def parse(cls, raw: str) -> ContactRecord:
        """Validate one raw cache entry; raise `InvalidContactRecord` naming what is wrong,
        and nothing else. Its `attributes`, sent to Studio, are at most MAX_ATTRIBUTES_BYTES
        of compact JSON."""
        doc = cls.read(raw)
        if not isinstance(doc, dict):
            raise InvalidContactRecord("record must be a JSON object")
        record_id = doc.get("record_id")
        if not isinstance(record_id, str) or not record_id:
            raise InvalidContactRecord("field 'record_id' is required and must be a string")
        if len(record_id) > MAX_RECORD_ID_LENGTH:
            raise InvalidContactRecord(
                f"field 'record_id' must be at most {MAX_RECORD_ID_LENGTH} characters"
            )
        phone = doc.get("phone_number")
        if not isinstance(phone, str) or not E164.fullmatch(phone):
            raise InvalidContactRecord(
                f"field 'phone_number' must be an E.164 number, got {shown(str(phone)[:64])}"
            )
        return cls(
            record_id=record_id,
            phone_number=phone,
            attributes=_attributes(doc),
            timezone=_timezone(doc),
        )


def _attributes(doc: Mapping[str, Any]) -> dict[str, Any]:
    attributes = doc.get("attributes", {})
    if not isinstance(attributes, dict):
        raise InvalidContactRecord("field 'attributes' must be an object")
    size = _json_bytes(attributes)
    if size > MAX_ATTRIBUTES_BYTES:
        raise InvalidContactRecord(
            f"field 'attributes' must be at most {MAX_ATTRIBUTES_BYTES} bytes of JSON, got {size}"
        )
    return attributes


def _timezone(doc: Mapping[str, Any]) -> str | None:
    """The record's own zone: absent or null means none; anything else must be a zone."""
    name = doc.get("timezone")
    if name is None:
        return None
    try:
        time_zone(name)
    except ValueError as exc:
        raise InvalidContactRecord(
            f"field 'timezone' must be an IANA time zone name: {exc}"
        ) from None
    return str(name)


def _json_bytes(value: object) -> int:
    """The length of `value` as compact JSON in UTF-8 (a lone surrogate counted as 3)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return len(text.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True, slots=True)
class ClaimedRecord:
    """A record moved from the cache's head into this service's claims.

    `claim_id` is unique per claim (a record claimed again after a `stop` gets a new one);
    `raw` is the entry exactly as the cache held it, so that returning it restores it byte for byte.
    `attempt` is the number of the attempt this claim is for (1: the record's first in the
    execution); `last_status` is how the attempt before it ended (None for a first attempt).
    A record taken back from the waiting set (`WaitingRecords.take_due`) keeps both.
    """

    claim_id: str
    raw: str
    attempt: int = 1
    last_status: DispositionStatus | None = None


@dataclass(frozen=True, slots=True)
class ContactRef:
    """Names one contact attempt: the execution it belongs to and its claim."""

    campaign_execution_id: str
    claim_id: str


@dataclass(frozen=True, slots=True)
class ContactAttempt:
    """What is known about a launched contact before any webhook arrives.

    `campaign_id` is the execution document's ("" when it names none). `expect_task_events`:
    the call goes to TaskRouter's agents when a person answers, and the sink gets TaskRouter's
    events, so a person-answered contact waits for its task's outcome (ADR 0025). Both are
    written in the stored form only when set, so an attempt stored without them reads back
    as one that has neither. `attempt` is its number among the record's attempts in this
    execution, and `retry` the execution's policy, which decides from its disposition whether
    another follows (stored only when it allows more than one attempt)."""

    ref: ContactRef
    record_id: str
    to: str
    from_: str
    flow_sid: str
    execution_sid: str
    launched_at: float
    expect_voice_events: bool
    campaign_id: str = ""
    expect_task_events: bool = False
    attempt: int = 1
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def to_json(self) -> str:
        doc: dict[str, object] = {
            "campaign_execution_id": self.ref.campaign_execution_id,
            "claim_id": self.ref.claim_id,
            "record_id": self.record_id,
            "to": self.to,
            "from": self.from_,
            "flow_sid": self.flow_sid,
            "execution_sid": self.execution_sid,
            "launched_at": self.launched_at,
            "expect_voice_events": self.expect_voice_events,
        }
        if self.campaign_id:
            doc["campaign_id"] = self.campaign_id
        if self.expect_task_events:
            doc["expect_task_events"] = True
        if self.attempt != 1:
            doc["attempt"] = self.attempt
        if self.retry.max_attempts > 1:
            doc["retry"] = self.retry.to_document()
        return json.dumps(doc, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ContactAttempt:
        doc = json.loads(text)
        return cls(
            ref=ContactRef(doc["campaign_execution_id"], doc["claim_id"]),
            record_id=doc["record_id"],
            to=doc["to"],
            from_=doc["from"],
            flow_sid=doc["flow_sid"],
            execution_sid=doc["execution_sid"],
            launched_at=float(doc["launched_at"]),
            expect_voice_events=bool(doc["expect_voice_events"]),
            campaign_id=str(doc.get("campaign_id", "")),
            expect_task_events=bool(doc.get("expect_task_events", False)),
            attempt=int(doc.get("attempt", 1)),
            retry=(
                RetryPolicy.from_document(doc["retry"], where="stored attempt")
                if "retry" in doc
                else RetryPolicy()
            ),
        )
