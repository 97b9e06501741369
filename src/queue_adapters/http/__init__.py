"""HTTP adapter: the Starlette routes of the contract (`/eventstreams`, `/callstatus`, health,
readiness, metrics, the OpenAPI document), and which proxy headers to believe."""

from queue_adapters.http.forwarded import ForwardedOrigin, TrustedProxies, TrustedProxyHeaders
from queue_adapters.http.routes import HttpEndpoints, WebhookIntake, build_app, build_routes

__all__ = [
    "ForwardedOrigin",
    "HttpEndpoints",
    "TrustedProxies",
    "TrustedProxyHeaders",
    "WebhookIntake",
    "build_app",
    "build_routes",
]
