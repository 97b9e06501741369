"""Field checks shared by the contract types: E.164 numbers, ids, bounded strings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from queue_core.domain.bounds import shown

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
EXECUTION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def sid(prefix: str) -> re.Pattern[str]:
    """A Twilio SID pattern: two-letter prefix and 32 hex digits."""
    return re.compile(rf"^{prefix}[0-9a-fA-F]{{32}}$")


def require_str(doc: Mapping[str, Any], field: str, *, where: str) -> str:
    value = doc.get(field)
    if value is None or value == "":
        raise ValueError(f"{where}: field '{field}' is required")
    if not isinstance(value, str):
        raise ValueError(f"{where}: field '{field}' must be a string, got {type(value).__name__}")
    return value


def require_match(
    value: str, pattern: re.Pattern[str], field: str, *, where: str, what: str
) -> str:
    if not pattern.fullmatch(value):
        raise ValueError(f"{where}: field '{field}' must be {what}, got {shown(value)}")
    return value
