"""HTTP adapter: the Starlette routes of the contract (`/eventstreams`, `/callstatus`, health,
readiness, metrics, the OpenAPI document)."""

from queue_adapters.http.routes import HttpEndpoints, WebhookIntake, build_routes

__all__ = ["HttpEndpoints", "WebhookIntake", "build_routes"]
