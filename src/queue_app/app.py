"""The packaged Starlette app: `create_app()` for `uvicorn --factory queue_app.app:create_app`.

The app serves the routes Twilio and the orchestrator call (`/eventstreams`, `/callstatus`,
`/healthz`, `/readyz`, `/openapi.json`) on `QUEUE_PORT`; its lifespan
(`queue_app.lifecycle`) runs the service (`queue_app.service.QueueService`) and serves the
admin app (`/metrics`, the live page `/ui/` and its control actions,
`queue_app.admin`) on `QUEUE_ADMIN_PORT`, in the same process, so that `queue-service
serve` and `uvicorn --factory` log, drain and stop the same way (ADR 0029).
"""

from __future__ import annotations

from starlette.applications import Starlette

from queue_adapters.http import HttpEndpoints, build_app
from queue_app.container import Container
from queue_app.intake import ServiceIntake
from queue_app.lifecycle import service_lifespan
from queue_app.logs import configure_logging
from queue_app.service import QueueService, resolve
from queue_app.settings import Settings

__all__ = ["QueueService", "create_app", "resolve"]


def create_app(
    settings: Settings | None = None,
    container: Container | None = None,
    *,
    owns_process: bool = True,
) -> Starlette:
    """The app of one service instance; nothing starts before its lifespan does. With
    `owns_process` (the packaged service) the process's logs are set up here, before uvicorn
    logs its first line, and the lifespan holds its SIGTERM and SIGINT
    (`queue_app.lifecycle`); a program that embeds the app (the demo) passes False and keeps
    both. `app.state.queue` is the service; once started,
    `app.state.admin` is the admin app and `app.state.admin_port` its port."""
    settings = settings or Settings.from_env()
    if owns_process:
        configure_logging(settings.instance.log_level, json_lines=settings.instance.log_json)
    container = container or Container(settings=settings)
    metrics = container.metrics()
    service = QueueService(settings, container, metrics)
    metrics.read_gauges = service.gauges
    intake = ServiceIntake(
        settings,
        container.tokens(),
        container.clock(),
        metrics,
        service.record,
        lambda: resolve(container.calls),
    )
    endpoints = HttpEndpoints(
        intake,
        service.readiness,
        settings.http.max_body_bytes,
        settings.http.body_read_timeout_s,
    )
    lifespan = service_lifespan(service, owns_process=owns_process)
    app = build_app(endpoints, lifespan=lifespan, trusted_proxies=settings.http.proxies_trusted)
    app.state.queue = service
    return app
