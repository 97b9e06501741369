"""Small codecs between Redis replies and domain values."""

from __future__ import annotations

import json
from collections.abc import Mapping

from redis.typing import EncodableT, FieldT

from queue_core.domain.contacts import ClaimedRecord, ContactRef
from queue_core.domain.disposition import DispositionStatus
from queue_core.domain.waiting import WaitingRecord, WaitReason

__all__ = [
    "claimed_record",
    "decode_ref",
    "encode_ref",
    "last_status",
    "stream_fields",
    "text",
    "waiting_record",
]


def text(value: str | bytes) -> str:
    """A reply as text, whether or not the client decodes responses."""
    return value.decode() if isinstance(value, bytes) else value


def stream_fields(fields: Mapping[str, str]) -> dict[FieldT, EncodableT]:
    """Entry fields typed as XADD takes them."""
    return dict(fields.items())


def encode_ref(ref: ContactRef) -> str:
    """The index value of a contact: compared byte for byte by the compare-and-delete script."""
    return json.dumps([ref.campaign_execution_id, ref.claim_id], separators=(",", ":"))


def decode_ref(value: str | bytes | None) -> ContactRef | None:
    if value is None:
        return None
    execution_id, claim_id = json.loads(value)
    return ContactRef(str(execution_id), str(claim_id))


def last_status(name: str) -> DispositionStatus | None:
    """A stored last status; "" for none."""
    return DispositionStatus(name) if name else None


def claimed_record(claim_id: str, raw: str, mark: str) -> ClaimedRecord:
    """A claim from a script's reply; `mark` is its `waited` mark ("" for a claim from the
    cache): "<attempt>:<reason>:<last status>:<due>"."""
    if not mark:
        return ClaimedRecord(claim_id, raw)
    attempt, _, status, _ = mark.split(":", 3)
    return ClaimedRecord(claim_id, raw, int(attempt), last_status(status))


def waiting_record(waiting_id: str, due: str, entry: str) -> WaitingRecord:
    """A waiting record from its score and its `waiting_records` entry
    ("<attempt>:<reason>:<last status>:<raw>")."""
    attempt, reason, status, raw = entry.split(":", 3)
    return WaitingRecord(
        waiting_id, raw, int(attempt), WaitReason(reason), last_status(status), float(due)
    )
