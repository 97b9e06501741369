"""A background loop of the app that dies of an unexpected error is started again and counted
on `/metrics`, by the loop's name."""

from __future__ import annotations

import asyncio

from queue_app.app import QueueService
from queue_app.container import Container
from tests.unit.app.test_container import settings


async def test_a_loop_that_dies_is_started_again_and_counted_on_metrics() -> None:
    container = Container(settings=settings())
    service = QueueService(container.settings(), container, container.metrics())
    runs = 0
    again = asyncio.Event()

    async def control_consumer() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RecursionError("one bad value")
        again.set()
        await service.stop.wait()

    service._spawn(control_consumer, "control consumer")
    try:
        await asyncio.wait_for(again.wait(), timeout=5)
    finally:
        service.stop.set()
        await asyncio.gather(*service.tasks)

    body, _ = service.metrics.exposition()
    assert (
        'dialer_queue_loop_restarts_total{loop="control consumer"} 1.0'
        in body.decode().splitlines()
    )
    assert runs == 2
