"""The dispositions of records that were never dialed: `invalid_record`, `launch_failed`,
`dnc` and `outside_window` (`campaign_id` is the execution document's, "" when it names
none)."""

from __future__ import annotations

from queue_core.domain.bounds import cut
from queue_core.domain.contacts import ClaimedRecord, ContactRecord
from queue_core.domain.disposition import Disposition, DispositionStatus
from queue_core.domain.launch import Rejected

__all__ = [
    "invalid_record_disposition",
    "launch_failed_disposition",
    "not_dialed_disposition",
]

_MAX_PHONE_LENGTH = 64


def invalid_record_disposition(
    campaign_execution_id: str,
    record: ClaimedRecord,
    error: str,
    now: float,
    from_: str,
    campaign_id: str = "",
    attempt: int = 1,
) -> Disposition:
    """The `invalid_record` disposition of a record that fails validation: never dialed, so
    launched and ended at `now`; `to` is the raw `phone_number` when it is a string, and
    `error_message` is `error` cut to MAX_ECHO_CHARS. A record that cannot be read within
    bounds (`ContactRecord.read`) has neither a record id nor a `to`."""
    record_id, phone = ContactRecord.salvage(record.raw)
    salvaged = ContactRecord(record_id, phone[:_MAX_PHONE_LENGTH])
    return not_dialed_disposition(
        campaign_execution_id,
        salvaged,
        DispositionStatus.INVALID_RECORD,
        error,
        now,
        from_,
        campaign_id,
        attempt,
    )


def not_dialed_disposition(
    campaign_execution_id: str,
    record: ContactRecord,
    status: DispositionStatus,
    reason: str,
    now: float,
    from_: str,
    campaign_id: str = "",
    attempt: int = 1,
) -> Disposition:
    """The final disposition of a valid record the dialing rules kept from being dialed
    (`dnc`, `outside_window`, or `invalid_record` for a number with no known zone), with
    `reason` as its `error_message`; launched and ended at `now`."""
    return Disposition(
        campaign_execution_id=campaign_execution_id,
        record_id=record.record_id,
        status=status,
        to=record.phone_number,
        from_=from_,
        launched_at=now,
        ended_at=now,
        error_message=cut(reason),
        campaign_id=campaign_id,
        attempt=attempt,
    )


def launch_failed_disposition(
    campaign_execution_id: str,
    record: ContactRecord,
    from_: str,
    rejected: Rejected,
    now: float,
    campaign_id: str = "",
) -> Disposition:
    """The `launch_failed` disposition of a launch Twilio refused (no execution, no call), with
    Twilio's error code and message; launched and ended at `now`."""
    return Disposition(
        campaign_execution_id=campaign_execution_id,
        record_id=record.record_id,
        status=DispositionStatus.LAUNCH_FAILED,
        to=record.phone_number,
        from_=from_,
        launched_at=now,
        ended_at=now,
        error_code=rejected.error_code,
        error_message=rejected.error_message,
        campaign_id=campaign_id,
    )
