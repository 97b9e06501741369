"""`StateTransitions`: a trigger is judged on the stored state, and judged again when someone
else moved it before the move was stored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from queue_core.domain.queue_events import QueueEventType
from queue_core.domain.state import QueueState, Transition, Trigger
from queue_core.services.transitions import Applied, StateTransitions
from tests.fakes import FakeClock, FakeQueueStateStore, InMemoryBackend

S, T, E = QueueState, Trigger, QueueEventType
ID = "ce-1"


class Interleaved(FakeQueueStateStore):
    """A store where another party's move lands right before this party's first one."""

    def __init__(self, backend: InMemoryBackend, other: Callable[[], Awaitable[object]]) -> None:
        super().__init__(backend)
        self._other: Callable[[], Awaitable[object]] | None = other
        self.attempts = 0

    async def transition(
        self,
        campaign_execution_id: str,
        expected: QueueState,
        move: Transition,
        now: float,
        reason: str = "",
        request_id: str = "",
        campaign_id: str | None = None,
    ) -> bool:
        self.attempts += 1
        if self._other is not None:
            other, self._other = self._other, None
            await other()
        return await super().transition(
            campaign_execution_id, expected, move, now, reason, request_id, campaign_id
        )


def interleaved(state: QueueState, other: Trigger) -> tuple[InMemoryBackend, Interleaved]:
    backend = InMemoryBackend()
    backend.put_state(ID, state)
    clock = FakeClock()
    elsewhere = StateTransitions(FakeQueueStateStore(backend), clock)
    return backend, Interleaved(backend, lambda: elsewhere.apply(ID, other))


async def test_a_pause_that_meets_the_cache_emptying_pauses_the_draining_execution() -> None:
    backend, store = interleaved(S.RUNNING, T.CACHE_EMPTY)

    applied = await StateTransitions(store, FakeClock()).apply(ID, T.PAUSE, "ops", "q-1")

    assert applied == Applied(S.DRAINING, S.PAUSED, allowed=True, moved=True)
    assert store.attempts == 2
    assert backend.states[ID].state is S.PAUSED
    assert [(e.event, e.request_id) for e in backend.events] == [(E.PAUSED, "q-1")]


async def test_the_runners_move_that_meets_a_pause_is_refused_silently() -> None:
    backend, store = interleaved(S.RUNNING, T.PAUSE)

    applied = await StateTransitions(store, FakeClock()).apply(ID, T.CACHE_EMPTY)

    assert applied == Applied(S.PAUSED, S.PAUSED, allowed=False, moved=False)
    assert [e.event for e in backend.events] == [E.PAUSED]


async def test_a_command_that_meets_another_is_judged_again_and_refused() -> None:
    backend, store = interleaved(S.DRAINING, T.DRAINED)

    applied = await StateTransitions(store, FakeClock()).apply(ID, T.PAUSE, request_id="q-2")

    assert applied == Applied(S.COMPLETED, S.COMPLETED, allowed=False, moved=False)
    assert backend.states[ID].state is S.COMPLETED
    assert [(e.event, e.reason) for e in backend.events] == [
        (E.COMPLETED, None),
        (E.COMMAND_REJECTED, "cannot pause an execution that is completed"),
    ]


async def test_a_noop_stores_and_announces_nothing() -> None:
    backend = InMemoryBackend()
    backend.put_state(ID, S.PAUSED, now=5.0, reason="ops")

    applied = await StateTransitions(FakeQueueStateStore(backend), FakeClock()).apply(ID, T.PAUSE)

    assert applied == Applied(S.PAUSED, S.PAUSED, allowed=True, moved=False)
    assert (backend.states[ID].updated_at, backend.states[ID].reason) == (5.0, "ops")
    assert backend.events == []
