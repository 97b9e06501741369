"""The tracker on every store (fake, redis, cluster): one webhook batch naming contacts of two
executions, by pair and by SID, settles each contact once; a replay changes nothing."""

from __future__ import annotations

from queue_core.domain.contacts import ContactAttempt, ContactRef
from queue_core.domain.facts import (
    ContactFact,
    StudioExecutionEvent,
    VoiceCallEvent,
    VoiceEventKind,
)
from queue_core.services.tracker import ContactTracker
from tests.contract.conftest import FLOW, NOW, StoppedClock, World, attempt, record


async def launch(world: World, execution_id: str, first: int, count: int) -> list[ContactAttempt]:
    await world.push_records(execution_id, [record(first + i) for i in range(count)])
    attempts = []
    for i, claim in enumerate(await world.cache.claim(execution_id, "owner-a", count, NOW)):
        launched = attempt(ContactRef(execution_id, claim.claim_id), first + i)
        assert await world.calls.reserve(launched.ref, launched.to, launched.from_, NOW)
        await world.calls.record_launch(launched)
        attempts.append(launched)
    return attempts


def final_facts(a: ContactAttempt) -> list[ContactFact]:
    call = "CA" + a.execution_sid[2:]
    return [
        VoiceCallEvent(
            f"done-{a.record_id}", VoiceEventKind.COMPLETED, call, "completed", a.to, a.from_
        ),
        StudioExecutionEvent(f"end-{a.record_id}", True, a.execution_sid, FLOW, a.to),
    ]


async def test_a_batch_about_two_executions_settles_each_contact_once(world: World) -> None:
    attempts = [*await launch(world, "ce-a", 0, 3), *await launch(world, "ce-b", 3, 2)]
    tracker = ContactTracker(world.calls, world.assembly, world.cache, StoppedClock())
    batch = [fact for a in attempts for fact in final_facts(a)]

    first = await tracker.record(batch)
    replay = await tracker.record(batch)
    elsewhere = await ContactTracker(
        world.calls, world.assembly, world.cache, StoppedClock()
    ).record(batch)

    assert (first.matched, first.unmatched) == (len(batch), 0)
    assert sorted(d.record_id for d in first.settled) == [a.record_id for a in attempts]
    assert (replay.settled, elsewhere.settled) == ((), ())
    assert sorted(d.record_id for d in await world.dispositions()) == [
        a.record_id for a in attempts
    ]
    pairs = [(a.to, a.from_) for a in attempts]
    sids = [a.execution_sid for a in attempts]
    assert await world.calls.holders(pairs, sids) == ([None] * 5, [None] * 5)
    assert (await world.calls.count("ce-a"), await world.calls.count("ce-b")) == (0, 0)
