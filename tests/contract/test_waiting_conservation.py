"""Never lost, never doubled: random interleavings of claims, deferrals, take-backs, retries,
give-backs, recoveries and finishes keep every record in exactly one place, and each ends with
exactly one final disposition, its attempts numbered 1, 2, ... without a gap."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from dataclasses import replace

import pytest

from queue_core.domain.contacts import ClaimedRecord, ContactRef
from queue_core.domain.disposition import Disposition, DispositionStatus
from queue_core.domain.waiting import WaitingRecord, WaitReason
from tests.contract.conftest import NOW, World, attempt, disposition, record

CE = "ce-mix"
RECORDS = 30
STEPS = 120
OWNERS = ("owner-a", "owner-b")


def _i(raw: str) -> int:
    return int(json.loads(raw)["record_id"][2:])


def final_of(waiting: WaitingRecord) -> Disposition:
    """The core's rule: `outside_window` at the next attempt's number for a window wait; the
    last status again, final, at the last attempt's number for a retry wait."""
    i = _i(waiting.raw)
    if waiting.reason is WaitReason.WINDOW:
        ended = replace(
            disposition(CE, i, DispositionStatus.OUTSIDE_WINDOW), attempt=waiting.attempt
        )
    else:
        assert waiting.last_status is not None
        ended = replace(disposition(CE, i, waiting.last_status), attempt=waiting.attempt - 1)
    return replace(ended, execution_sid="")  # not dialed: no Studio execution


class Mix:
    """One run of random steps against a world, tracking what each owner holds."""

    def __init__(self, world: World, seed: int) -> None:
        self.world = world
        self.rng = random.Random(seed)
        self.now = NOW
        self.held: dict[str, list[ClaimedRecord]] = defaultdict(list)

    async def step(self) -> None:
        w, rng, owner = self.world, self.rng, self.rng.choice(OWNERS)
        self.now += rng.choice([0, 5, 30])
        held = self.held[owner]
        match rng.choices(range(7), weights=[2, 3, 1, 4, 1, 1, 1])[0]:
            case 0:
                held += await w.cache.claim(CE, owner, rng.randint(1, 4), self.now)
            case 1:
                held += await w.waiting.take_due(CE, owner, self.now, rng.randint(1, 4))
            case 2 if held:
                chosen = rng.sample(held, rng.randint(1, len(held)))
                due = [(r, self.now + rng.choice([0, 20, 60])) for r in chosen]
                await w.waiting.defer(CE, due)
                self._drop(owner, chosen)
            case 3 if held:
                await self._dial(owner, held[0], retry=rng.random() < 0.6)
            case 4 if held:
                await w.cache.return_to_head(CE, list(held))
                self.held[owner] = []
            case 5:
                await w.cache.recover(CE, owner)  # the owner "died": its claims go back
                self.held[owner] = []
            case 6 if rng.random() < 0.2:
                await w.waiting.finish(CE, rng.randint(1, 3), final_of)
            case _:
                pass

    def _drop(self, owner: str, records: list[ClaimedRecord]) -> None:
        gone = {r.claim_id for r in records}
        self.held[owner] = [r for r in self.held[owner] if r.claim_id not in gone]

    async def _dial(self, owner: str, claim: ClaimedRecord, *, retry: bool) -> None:
        i = _i(claim.raw)
        launched = attempt(ContactRef(CE, claim.claim_id), i)
        await self.world.calls.record_launch(launched)
        ended = replace(disposition(CE, i, DispositionStatus.BUSY), attempt=claim.attempt)
        if retry and claim.attempt < 4:
            ended = replace(ended, final=False, retry_at=self.now + 10)
        assert await self.world.cache.settle(CE, claim.claim_id, ended)
        self._drop(owner, [claim])

    async def places(self) -> int:
        """How many records are in the cache, claimed, waiting, or finished."""
        w = self.world
        window, retry = await w.waiting.counts(CE)
        finished = sum(d.final for d in await w.dispositions())
        return (
            await w.cache.remaining(CE)
            + len(await w.cache.claimed(CE))
            + window
            + retry
            + (finished)
        )

    async def end(self) -> None:
        """Dial everything left to its end: claims, the cache, then whatever waits."""
        w = self.world
        for owner in OWNERS:
            for claim in list(self.held[owner]):
                await self._dial(owner, claim, retry=False)
        while claimed := await w.cache.claim(CE, "closer", 10, self.now):
            self.held["closer"] = list(claimed)
            for claim in claimed:
                await self._dial("closer", claim, retry=False)
        while await w.waiting.finish(CE, 7, final_of):
            pass


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_moves_keep_each_record_in_one_place_and_finish_it_once(
    world: World, seed: int
) -> None:
    await world.push_records(CE, [record(i) for i in range(RECORDS)])
    mix = Mix(world, seed)

    for _ in range(STEPS):
        await mix.step()
        assert await mix.places() == RECORDS
    await mix.end()

    published = await world.dispositions()
    finals = Counter(d.record_id for d in published if d.final)
    assert finals == Counter({f"r-{i}": 1 for i in range(RECORDS)})
    dialed: dict[str, list[int]] = defaultdict(list)
    for d in published:
        if d.execution_sid:
            dialed[d.record_id].append(d.attempt)
    for d in published:
        numbers = dialed[d.record_id]
        assert numbers == list(range(1, len(numbers) + 1)), d.record_id
        if d.execution_sid:
            continue
        # A waiting record's final: its next attempt, or its last one's number again.
        window = d.status is DispositionStatus.OUTSIDE_WINDOW
        assert d.attempt == (len(numbers) + 1 if window else len(numbers)), d.record_id
    assert await world.waiting.counts(CE) == (0, 0)
    assert await world.cache.claimed(CE) == []
    assert await world.cache.remaining(CE) == 0
