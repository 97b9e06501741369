"""Small pieces of Twilio's wire format: SIDs, timestamps and the error body."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

from starlette.responses import JSONResponse

__all__ = [
    "iso_millis",
    "iso_seconds",
    "new_sid",
    "parse_iso",
    "rfc2822",
    "twilio_error",
]


def new_sid(rng: random.Random, prefix: str) -> str:
    """A Twilio SID: a two-letter prefix and 32 lowercase hex digits."""
    return f"{prefix}{rng.getrandbits(128):032x}"


def iso_seconds(wall: float) -> str:
    """`2026-11-28T10:00:00Z`, as REST resources carry dates."""
    return datetime.fromtimestamp(wall, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_millis(wall: float) -> str:
    """`2026-11-28T10:00:00.123Z`, as CloudEvents carry `time`."""
    moment = datetime.fromtimestamp(wall, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def rfc2822(wall: float) -> str:
    """`Sat, 28 Nov 2026 10:01:05 +0000`, as voice status callbacks carry `Timestamp`."""
    return format_datetime(datetime.fromtimestamp(wall, UTC).replace(microsecond=0))


def parse_iso(text: str) -> float:
    """Epoch seconds of an ISO 8601 date-time; naive ones are UTC. Raises `ValueError`."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def twilio_error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """An error answer with Twilio's body: `code`, `message`, `more_info`, `status`."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return JSONResponse(body, status_code=status, headers=headers)
