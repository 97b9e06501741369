"""The webhook edge's settings: trusted proxies only with trust on, and uvicorn's own proxy
handling off whatever they say."""

from __future__ import annotations

import pytest

from queue_app.admin import AdminServer
from queue_app.serve import server_config
from queue_app.settings import Settings, SettingsError


def settings(**overrides: str) -> Settings:
    return Settings.from_env(**{"TWILIO_AUTH_TOKEN": "x" * 32, **overrides})


def test_trusted_proxies_count_only_with_trust_on() -> None:
    listed = {"QUEUE_TRUSTED_PROXIES": " 10.0.0.7 , 10.1.0.0/16,::1"}
    assert settings(**listed).http.proxies_trusted == ()
    on = settings(QUEUE_TRUST_PROXY="true", **listed)
    assert on.http.proxies_trusted == ("10.0.0.7", "10.1.0.0/16", "::1")


def test_trust_on_needs_the_list_of_proxies() -> None:
    with pytest.raises(SettingsError, match="QUEUE_TRUST_PROXY needs QUEUE_TRUSTED_PROXIES"):
        settings(QUEUE_TRUST_PROXY="true")


def test_an_entry_that_is_not_an_address_or_network_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"QUEUE_TRUSTED_PROXIES: .*'proxy\.example'"):
        settings(QUEUE_TRUST_PROXY="true", QUEUE_TRUSTED_PROXIES="10.0.0.7,proxy.example")


def test_the_edge_defaults() -> None:
    defaults = settings().http
    assert (defaults.event_max_age_s, defaults.body_read_timeout_s) == (16_200.0, 10.0)


@pytest.mark.parametrize("trust", ["false", "true"])
def test_uvicorn_applies_no_proxy_header_itself(trust: str) -> None:
    # The app decides which forwarded headers count (`queue_adapters.http.forwarded`):
    # uvicorn's handling would apply X-Forwarded-Proto from 127.0.0.1 first, trust or not.
    config = server_config(
        None,  # type: ignore[arg-type]
        settings(QUEUE_TRUST_PROXY=trust, QUEUE_TRUSTED_PROXIES="10.0.0.1"),
    )
    assert config.proxy_headers is False


def test_the_listeners_parse_http_with_httptools() -> None:
    # ADR 0030: named, so that a missing parser fails at start instead of falling back to h11.
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("not called")

    public = server_config(app, settings())  # type: ignore[arg-type]
    admin = AdminServer(app, "127.0.0.1", 0).server.config  # type: ignore[arg-type]
    for config in (public, admin):
        config.load()

        assert config.http == "httptools"
        assert config.http_protocol_class.__name__ == "HttpToolsProtocol"
