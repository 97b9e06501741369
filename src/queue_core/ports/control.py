"""The `ControlStream` port: the commands other services send to the queue service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["ControlEntry", "ControlStream"]


@dataclass(frozen=True, slots=True)
class ControlEntry:
    """One raw entry of the control stream, not yet validated (`ControlCommand.parse` reads
    `fields`). `entry_id` is the stream's id of the entry, what `ack` takes."""

    entry_id: str
    fields: Mapping[str, str]

    def dead_letter_fields(self, error: str) -> dict[str, str]:
        """The entry's fields as the dead-letter stream keeps them: all of them, and
        `error` saying why it was refused. A field of the entry that has the name `error`
        is kept as `original_error` (and one of that name as `original_original_error`...):
        nothing the sender wrote is overwritten."""
        kept = dict(self.fields)
        moved = {"error": error}
        name = "error"
        while name in kept:  # each one moves up a name, into the place of the next
            value = kept.pop(name)
            name = f"original_{name}"
            moved[name] = value
        return {**kept, **moved}


class ControlStream(Protocol):
    """The control stream (the contract's `queue_control_stream`), read by every instance of
    the service as one group: each entry goes to one instance at a time.

    Delivery is at least once: an entry read but not acked is delivered again, to any
    instance (this one included) once it has waited unacked longer than the stream's claim
    timeout. Ack only after the command's effect is stored; a command is
    therefore handled more than once after a crash, and its handling must be idempotent.
    """

    async def read(self, count: int, block_ms: int) -> list[ControlEntry]:
        """At most `count` entries for this instance: those abandoned unacked by an instance
        that died first, then new ones, oldest first. Waits at most `block_ms` milliseconds
        for new entries; returns [] when none came."""
        ...

    async def ack(self, entry_id: str) -> None:
        """Acknowledge an entry whose effect is durable: it is never delivered again.
        Acking twice is harmless."""
        ...

    async def dead_letter(self, entry: ControlEntry, error: str) -> None:
        """Keep a refused entry on the dead-letter stream (the contract's
        `queue_control_dead_letter`) as `entry.dead_letter_fields(error)`, then ack it. Not
        atomic: a failure between the two leaves the entry unacked, so it is dead-lettered
        again; a duplicate there, never a loss."""
        ...
