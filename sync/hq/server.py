"""Serving HQ: one process that migrates the database and serves the device API and the web console under uvicorn.
This is where the front ends are put together, over one set of services (so a console action and a device's push
share the push queue), and neither owns the other: sync/hq/cli.py and `python -m sync.hq` both call `serve`.

`/v1/...` and `/openapi.json` go to the device API, which answers JSON; every other path is the console's.
"""

from __future__ import annotations

import gc
import socket

from sync.hq.api.app import Settings, create_app
from sync.hq.api.limits import ASGIApp, Receive, Scope, Send
from sync.hq.console.app import create_console
from sync.hq.db import Database
from sync.hq.services.context import HqServices
from sync.hq.services.push import StageHook

__all__ = ["FrontEnds", "Settings", "hq_app", "listening_socket", "run", "serve"]

API_PATHS = ("/openapi.json",)


class FrontEnds:
    """The device API and the console as one ASGI app. The API owns the lifespan (it disposes of the database)."""

    def __init__(self, api: ASGIApp, console: ASGIApp) -> None:
        self.api = api
        self.console = console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.api(scope, receive, send)
            return
        path: str = scope.get("path", "")
        target = self.api if path.startswith("/v1/") or path == "/v1" or path in API_PATHS else self.console
        await target(scope, receive, send)


def hq_app(settings: Settings, db: Database, *, on_push_stage: StageHook | None = None) -> FrontEnds:
    """Both front ends over one set of services for `db`."""
    services = HqServices.start(db, settings.files_dir, on_push_stage)
    return FrontEnds(create_app(settings, services=services), create_console(services))


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    fd: int | None = None,
    log_level: str = "info",
    db: Database | None = None,
) -> None:
    """Migrate (unless given a migrated `db`), then serve until interrupted (see `run`)."""
    database = db or Database(settings.db_url)
    if db is None:
        database.migrate()
    run(hq_app(settings, database), host=host, port=port, fd=fd, log_level=log_level)


def run(
    app: ASGIApp, *, host: str = "127.0.0.1", port: int = 8080, fd: int | None = None, log_level: str = "info"
) -> None:
    """Serve `app` until interrupted. `fd` serves on an inherited listening socket (tests). uvicorn raises SystemExit
    when it cannot bind."""
    import uvicorn

    # Everything loaded so far lives as long as the server: take it out of the garbage collector's full passes,
    # which otherwise walk ~100k framework objects while a big push allocates its records (measured: 2-3x slower).
    gc.collect()
    gc.freeze()
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, access_log=log_level == "debug", timeout_graceful_shutdown=5
    )
    # uvicorn's own `fd=` treats the socket as AF_UNIX, and asyncio then leaves Nagle on for TCP connections: every
    # small answer would wait for a delayed ACK (~40 ms). Wrapping the fd keeps its real family.
    sockets = [socket.socket(fileno=fd)] if fd is not None else None
    uvicorn.Server(config).run(sockets=sockets)


def listening_socket(host: str = "127.0.0.1") -> socket.socket:
    """A bound, listening socket on a free port, inheritable by a child server process (no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
