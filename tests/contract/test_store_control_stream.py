"""The `ControlStream` contract: at-least-once delivery, acks, dead letters, takeover."""

from __future__ import annotations

from queue_core.ports import ControlEntry, ControlStream
from tests.contract.conftest import World

START = {"action": "start", "campaign_execution_id": "ce-42", "request_id": "req-1"}
STOP = {"action": "stop", "campaign_execution_id": "ce-42"}


async def read_all(control: ControlStream) -> list[ControlEntry]:
    """Read until a read returns nothing (takeover and new entries may come in two reads)."""
    out: list[ControlEntry] = []
    while batch := await control.read(10, 10):
        out += batch
    return out


async def test_read_returns_new_entries_in_order_once(world: World) -> None:
    control = world.control()
    first = await world.add_command(START)
    second = await world.add_command(STOP)

    entries = await control.read(10, 10)

    assert entries == [ControlEntry(first, START), ControlEntry(second, STOP)]
    assert await control.read(10, 10) == []


async def test_read_respects_count(world: World) -> None:
    control = world.control()
    for _ in range(3):
        await world.add_command(START)

    assert len(await control.read(2, 10)) == 2
    assert len(await control.read(2, 10)) == 1


async def test_read_of_an_empty_stream_returns_nothing(world: World) -> None:
    assert await world.control().read(5, 0) == []
    assert await world.control().read(5, 20) == []


async def test_unacked_entries_are_taken_over_first_acked_ones_never(world: World) -> None:
    control = world.control("consumer-1")
    acked = await world.add_command(START)
    abandoned = await world.add_command(STOP)
    await control.read(10, 10)
    await control.ack(acked)
    await control.ack(acked)  # twice is harmless
    newer = await world.add_command(START)

    other = await world.takeover("consumer-2")

    delivered = await read_all(other)

    assert delivered == [ControlEntry(abandoned, STOP), ControlEntry(newer, START)]


async def test_dead_letter_copies_the_entry_with_the_error_and_acks_it(world: World) -> None:
    control = world.control()
    bad = {"action": "explode", "campaign_execution_id": "ce-42"}
    await world.add_command(bad)
    [entry] = await control.read(1, 10)

    await control.dead_letter(entry, "field 'action' must be one of start, stop, pause, resume")

    assert await world.dead_letters() == [
        (bad, "field 'action' must be one of start, stop, pause, resume")
    ]
    other = await world.takeover()
    assert await other.read(10, 10) == []


async def test_dead_letter_keeps_an_error_field_of_the_entry_under_another_name(
    world: World,
) -> None:
    control = world.control()
    bad = {"action": "explode", "error": "theirs", "original_error": "older"}
    await world.add_command(bad)
    [entry] = await control.read(1, 10)

    await control.dead_letter(entry, "ours")

    kept = {"action": "explode", "original_error": "theirs", "original_original_error": "older"}
    assert await world.dead_letters() == [(kept, "ours")]
