"""`python -m bench.bare_app PORT`: the yardstick for webhook intake, a Starlette app whose
`POST /eventstreams` only reads and parses the JSON body, served as `queue-service serve`
serves the service (uvicorn, same loop, lifespan on, no access log)."""

from __future__ import annotations

import json
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["create_app", "main"]


async def _eventstreams(request: Request) -> Response:
    events = json.loads(await request.body())
    return JSONResponse({"events": len(events) if isinstance(events, list) else 1})


async def _ready(request: Request) -> Response:
    return JSONResponse({"status": "ready"})


def create_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/eventstreams", _eventstreams, methods=["POST"]),
            Route("/readyz", _ready, methods=["GET"]),
        ]
    )


def main() -> None:
    config = uvicorn.Config(
        create_app(),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
