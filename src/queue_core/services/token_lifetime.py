"""How long a `/callstatus` token works: while the launch it was issued for is in flight.

A token is valid forever (it is an HMAC), but what it reports only matters while its contact
is live: from the launch's reservation until its disposition is published. A report that comes
later (a replay, a flow retrying long after, a token copied from an earlier `start`) would only
park facts that nothing ever adopts, or, with a made-up `call_sid`, hide a live contact's voice
events. So the intake acts on a report only when its token's launch is one of its execution's
launches under way, or its recorded attempt, and then only when the attempt is of the report's
record and Studio execution.
"""

from __future__ import annotations

from queue_core.domain.contacts import ContactRef
from queue_core.domain.facts import CallStatusReport
from queue_core.ports import ActiveCallRegistry

__all__ = ["launch_in_flight"]


async def launch_in_flight(
    calls: ActiveCallRegistry, report: CallStatusReport, launch: str
) -> bool:
    """Whether `launch` (a claim id, from the report's token) is a launch of the report's
    execution that is reserved and not recorded yet, or recorded for the report's record and
    execution SID and not settled. One or two requests; raises `StoreUnavailable`."""
    if not launch:
        return False
    ref = ContactRef(report.campaign_execution_id, launch)
    attempt = await calls.attempt(ref)
    if attempt is not None:
        return (
            attempt.execution_sid == report.execution_sid and attempt.record_id == report.record_id
        )
    launching = await calls.launching(report.campaign_execution_id)
    return any(pending == ref for pending, _ in launching)
