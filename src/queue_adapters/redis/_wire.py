"""Small codecs between Redis replies and domain values."""

from __future__ import annotations

import json
from collections.abc import Mapping

from redis.typing import EncodableT, FieldT

from queue_core.domain.contacts import ContactRef

__all__ = ["decode_ref", "encode_ref", "stream_fields", "text"]


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
