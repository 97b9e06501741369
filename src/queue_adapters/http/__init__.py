"""HTTP adapter: the Starlette routes of the contract (`/eventstreams`, `/callstatus`, health,
readiness, the OpenAPI document), which proxy headers to believe, and the admin listener's
routes (`/metrics`, the live page and its control actions)."""

from queue_adapters.http.admin import CONTROL_ACTIONS, AdminDesk, build_admin_app
from queue_adapters.http.forwarded import ForwardedOrigin, TrustedProxies, TrustedProxyHeaders
from queue_adapters.http.routes import HttpEndpoints, WebhookIntake, build_app, build_routes

__all__ = [
    "CONTROL_ACTIONS",
    "AdminDesk",
    "ForwardedOrigin",
    "HttpEndpoints",
    "TrustedProxies",
    "TrustedProxyHeaders",
    "WebhookIntake",
    "build_admin_app",
    "build_app",
    "build_routes",
]
