"""Serving HQ: one process that migrates the database and serves the device API (and, when it comes, the web
console) under uvicorn. This is where the front ends are put together, so neither `inspector hq serve` nor the
API owns the other: sync/hq/cli.py and `python -m sync.hq` both call `serve`.
"""

from __future__ import annotations

import gc
import socket

from sync.hq.api.app import Settings, create_app
from sync.hq.api.limits import ASGIApp
from sync.hq.db import Database

__all__ = ["Settings", "listening_socket", "run", "serve"]


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
    run(create_app(settings, database), host=host, port=port, fd=fd, log_level=log_level)


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
