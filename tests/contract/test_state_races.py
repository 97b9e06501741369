"""Races on an execution's stored state, on a real `redis-server` and a 3-master cluster: a
command and the runner's own move, and commands handled by two instances (each with its own
connection, store and handler), run at once many times with a little jitter.

Whatever the interleaving, the final state and the execution's events (type and request id,
in stream order) are those of one of the serial orders of the same triggers, worked out from
the state table itself (ADR 0018). Each test also shows that the race took place: some moves
found the state moved by the other party and were judged again."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from queue_adapters.redis import (
    RedisActiveCallRegistry,
    RedisCampaignExecutionStore,
    RedisClient,
    RedisEventPublisher,
    RedisKeys,
    RedisQueueStateStore,
    connect,
)
from queue_core.domain.commands import Action, ControlCommand
from queue_core.domain.queue_events import QueueEvent, QueueEventType
from queue_core.domain.state import QueueState, QueueStateMachine, Trigger
from queue_core.ports import ControlEntry
from queue_core.services.control import ControlCommandHandler, StateChange
from queue_core.services.stored_state import StoredState
from tests.contract.conftest import NOW, StoppedClock
from tests.contract.test_store_campaign_and_stats import DOCUMENT
from tests.support.redis_server import RedisClusterProcesses, RedisServerProcess, redis_cli

pytestmark = pytest.mark.redis

S, T = QueueState, Trigger
COMMANDS = (T.START, T.STOP, T.PAUSE, T.RESUME)
Event = tuple[QueueEventType, str | None]  # what is compared: the type and the request id
Outcome = tuple[QueueState, tuple[Event, ...]]
KINDS = ["redis", *(["cluster"] if redis_cli() else [])]
ROUNDS = {"redis": 1.0, "cluster": 0.25}  # the cluster plays a quarter of the rounds


@dataclass(frozen=True)
class Party:
    """One racing party: a command of an instance (with its request id), or a fact the
    execution's runner observes (no request id)."""

    trigger: Trigger
    instance: int
    request_id: str = ""


def serial_outcomes(start: QueueState, parties: Sequence[Party]) -> set[Outcome]:
    """The final state and events of each order the parties could have come in one after the
    other, read off the table."""
    outcomes = set()
    for order in itertools.permutations(parties):
        state, cause, events = start, "", []
        for party in order:
            trigger, request_id = party.trigger, party.request_id
            if not QueueStateMachine.allows(state, trigger):
                refusal = QueueStateMachine.refusal(state, trigger)
                if refusal is not None and refusal.announces is not None:
                    events.append((refusal.announces, request_id or None))
                continue
            move = QueueStateMachine.transition(state, trigger)
            if QueueStateMachine.is_noop(state, trigger):
                continue
            cause = cause if move.keeps_cause else request_id
            if move.announces is not None:
                events.append((move.announces, cause or None))
            state = move.new
        outcomes.add((state, tuple(events)))
    return outcomes


class CountedStore(RedisQueueStateStore):
    """The Redis store, counting the transitions that found the state moved meanwhile."""

    conflicts = 0

    async def transition(self, *args: Any, **kwargs: Any) -> bool:
        done = await super().transition(*args, **kwargs)
        CountedStore.conflicts += not done
        return done


class Acks:
    """The control stream as the handler needs it here: entries come from the test."""

    async def ack(self, entry_id: str) -> None:
        pass


class Instance:
    """What one service instance has: its connection, store, command handler and runner."""

    def __init__(self, client: RedisClient) -> None:
        self.client = client
        self.states = CountedStore(client)
        self.handler = ControlCommandHandler(
            Acks(),  # type: ignore[arg-type]
            RedisCampaignExecutionStore(client),
            self.states,
            RedisEventPublisher(client),
            RedisActiveCallRegistry(client),
            StoppedClock(),
            self._changed,
        )

    async def _changed(self, change: StateChange) -> None:
        pass

    async def play(self, party: Party, execution_id: str) -> None:
        if party.trigger in COMMANDS:
            command = ControlCommand(
                Action(party.trigger.value), execution_id, request_id=party.request_id
            )
            await self.handler.handle(ControlEntry(f"{execution_id}-{party}", command.to_fields()))
        else:
            await StoredState(execution_id, self.states, StoppedClock()).move(party.trigger)


class Observer:
    """Seeds each round's execution and reads what the round left."""

    def __init__(self, client: RedisClient) -> None:
        self.client = client
        self.keys = RedisKeys()
        self.states = RedisQueueStateStore(client)
        self.seen = "0-0"

    async def seed(self, execution_id: str, state: QueueState) -> None:
        document = json.dumps({**DOCUMENT, "campaign_execution_id": execution_id})
        await self.client.set(self.keys.campaign_execution(execution_id), document)
        if state is not S.IDLE:
            fields = {"state": state.value, "updated_at": repr(NOW)}
            await self.client.hset(self.keys.execution(execution_id).state, mapping=fields)

    async def outcome(self, execution_id: str) -> Outcome:
        status = await self.states.load(execution_id)
        stream = self.keys.queue_event_stream
        entries = await self.client.xrange(stream, min=f"({self.seen}")
        if entries:
            self.seen = entries[-1][0]
        events = [QueueEvent.from_fields(fields) for _, fields in entries]
        return (
            S.IDLE if status is None else status.state,
            tuple(
                (e.event, e.request_id) for e in events if e.campaign_execution_id == execution_id
            ),
        )


@dataclass
class Players:
    """Three instances of one server or cluster, each on its own connection."""

    kind: str
    instances: list[Instance]
    observer: Observer


@pytest.fixture(params=KINDS)
async def players(request: pytest.FixtureRequest) -> AsyncIterator[Players]:
    server: RedisServerProcess | RedisClusterProcesses = request.getfixturevalue(
        "redis_server" if request.param == "redis" else "redis_cluster"
    )
    server.flushall()
    cluster = request.param == "cluster"
    clients = [await connect(server.url, cluster=cluster) for _ in range(3)]
    CountedStore.conflicts = 0
    yield Players(request.param, [Instance(c) for c in clients], Observer(clients[0]))
    for client in clients:
        await client.aclose()


async def race(
    players: Players, start: QueueState, parties: Sequence[Party], rounds: int
) -> dict[Outcome, int]:
    """Play the parties at once `rounds` times (each round on an execution of its own);
    every outcome must be a serial one. Returns how often each outcome came."""
    legal = serial_outcomes(start, parties)
    rng = random.Random(18)
    seen: dict[Outcome, int] = {}
    for n in range(max(1, int(rounds * ROUNDS[players.kind]))):
        execution_id = f"ce-{start.value}-{'-'.join(p.trigger.value for p in parties)}-{n}"
        await players.observer.seed(execution_id, start)

        async def play(party: Party, execution_id: str) -> None:
            await asyncio.sleep(rng.choice((0, 0, 0.0005, 0.001)))
            await players.instances[party.instance].play(party, execution_id)

        await asyncio.gather(*(play(p, execution_id) for p in parties))
        outcome = await players.observer.outcome(execution_id)
        assert outcome in legal, f"round {n}: {outcome} is no serial order of {parties}"
        seen[outcome] = seen.get(outcome, 0) + 1
    return seen


async def test_a_pause_racing_the_cache_emptying_pauses_the_execution(
    players: Players,
) -> None:
    parties = [Party(T.PAUSE, 1, "q-pause"), Party(T.CACHE_EMPTY, 0)]

    seen = await race(players, S.RUNNING, parties, rounds=200)

    assert set(seen) == {(S.PAUSED, ((QueueEventType.PAUSED, "q-pause"),))}
    assert CountedStore.conflicts > 0


async def test_a_stop_racing_completed_ends_stopped_or_completed_never_both(
    players: Players,
) -> None:
    parties = [Party(T.STOP, 1, "q-stop"), Party(T.DRAINED, 0)]

    seen = await race(players, S.DRAINING, parties, rounds=200)

    assert set(seen) <= {
        (S.STOPPED, ((QueueEventType.STOPPED, "q-stop"),)),
        (S.COMPLETED, ((QueueEventType.COMPLETED, None),)),
    }
    assert CountedStore.conflicts > 0


START_STATES = (S.IDLE, S.RUNNING, S.PAUSED, S.DRAINING, S.STOPPING, S.COMPLETED)


async def test_two_instances_applying_commands_to_one_execution_apply_them_one_after_the_other(
    players: Players,
) -> None:
    for start in START_STATES:
        for first, second in itertools.combinations_with_replacement(COMMANDS, 2):
            parties = [Party(first, 0, "q-a"), Party(second, 1, "q-b")]
            await race(players, start, parties, rounds=8)

    assert CountedStore.conflicts > 0


async def test_two_commands_and_the_runner_at_once_apply_one_after_the_other(
    players: Players,
) -> None:
    parties = [Party(T.PAUSE, 0, "q-a"), Party(T.STOP, 1, "q-b"), Party(T.CACHE_EMPTY, 2)]

    seen = await race(players, S.RUNNING, parties, rounds=100)

    assert len(seen) > 1  # more than one serial order came about
    assert CountedStore.conflicts > 0
