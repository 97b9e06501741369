"""Start-up provisions Event Streams under the service's supervision: refused or unreachable,
it is asked again, `/readyz` says why meanwhile, and nothing is resumed (so nothing launched)
until it is done; the stop event ends the wait."""

from __future__ import annotations

import asyncio

from dependency_injector import providers

from queue_adapters.twilio import ProvisioningError
from queue_app.app import QueueService
from queue_app.container import Container
from queue_core.domain.errors import StoreUnavailable
from tests.fakes import FakeClock
from tests.unit.app.test_container import settings


class Report:
    def lines(self) -> list[str]:
        return ["sink DG1 (active) -> https://queue.test/eventstreams: found"]


class Provisioner:
    """Answers each `ensure` with the next of `answers` (an error is raised)."""

    def __init__(self, *answers: Exception | None) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def ensure(self, destination: str) -> Report:
        self.asked.append(destination)
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer
        return Report()


class Supervisor:
    """What `_launching` asks of the supervisor once provisioned."""

    def __init__(self) -> None:
        self.resumed = 0

    async def resume_stored(self) -> list[str]:
        self.resumed += 1
        return []

    async def run_leases(self, stop: asyncio.Event) -> None:
        await stop.wait()

    async def run_control(self, stop: asyncio.Event) -> None:
        await stop.wait()


class Redis:
    async def ping(self) -> bool:
        return True


def service_with(provisioner: Provisioner) -> tuple[QueueService, Supervisor, FakeClock]:
    container = Container(settings=settings(QUEUE_PUBLIC_BASE_URL="https://queue.test"))
    clock = FakeClock()
    container.clock.override(providers.Object(clock))
    container.provisioner.override(providers.Object(provisioner))
    container.redis.override(providers.Object(Redis()))
    service = QueueService(container.settings(), container, container.metrics())
    supervisor = Supervisor()
    service.supervisor = supervisor  # type: ignore[assignment]
    return service, supervisor, clock


async def test_nothing_is_resumed_until_provisioned_and_readyz_says_why() -> None:
    refused = ProvisioningError("Event Streams refused a request: HTTP 401 (20003)")
    provisioner = Provisioner(refused, StoreUnavailable("twilio unreachable"), None)
    service, supervisor, clock = service_with(provisioner)

    launching = asyncio.ensure_future(service._launching())
    await clock.settle()
    reasons = await service.readiness()
    assert "event streams not provisioned: Event Streams refused a request: HTTP 401 (20003)" in (
        reasons
    )
    assert (supervisor.resumed, service.started) == (0, False)

    await clock.run_until(launching, limit_s=10)  # 1 s, then 2 s at most between asks

    assert provisioner.asked == ["https://queue.test/eventstreams"] * 3
    assert (service.provisioned, supervisor.resumed, service.started) == (True, 1, True)
    assert [r for r in await service.readiness() if r.startswith("event streams")] == []
    body = service.metrics.exposition()[0].decode()
    assert 'dialer_queue_errors_total{kind="provisioning"} 1.0' in body.splitlines()
    assert "dialer_queue_loop_restarts_total{" not in body  # a refusal is not a crash
    service.stop.set()
    await asyncio.gather(*service.tasks)


async def test_stopping_ends_the_wait_between_asks_and_launches_nothing() -> None:
    refused = ProvisioningError("Event Streams refused a request: HTTP 403")
    service, supervisor, clock = service_with(Provisioner(*[refused] * 100))

    launching = asyncio.ensure_future(service._launching())
    await clock.settle()
    service.stop.set()
    await clock.settle()

    assert launching.done()
    assert (service.provisioned, supervisor.resumed, service.tasks) == (False, 0, [])
