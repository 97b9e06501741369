"""`serving`: any ASGI app under uvicorn in the running loop, on a port of its own or one
bound beforehand."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from twilio_emulator.server import bound_socket, serving


async def _hello(_: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


APP = Starlette(routes=[Route("/", _hello)])


async def test_a_listener_bound_beforehand_is_served_on_its_own_port() -> None:
    # The demo binds its service's socket first: the app's settings name its URL.
    listener = bound_socket("127.0.0.1", 0)
    port = listener.getsockname()[1]
    assert bound_socket("127.0.0.1", 0, listener) is listener
    async with serving(APP, listener=listener) as url, httpx.AsyncClient() as client:
        assert url == f"http://127.0.0.1:{port}"
        assert (await client.get(f"{url}/")).text == "hello"
    assert listener.fileno() == -1, "closed when the block ends"


async def test_port_zero_picks_a_free_port() -> None:
    async with serving(APP) as url, httpx.AsyncClient() as client:
        assert not url.endswith(":0")
        assert (await client.get(f"{url}/")).text == "hello"
