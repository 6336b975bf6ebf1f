"""The device API's app: `create_app` builds it, `run` serves an app under uvicorn, `serve` migrates and does both.

`python -m sync.hq --db URL --files DIR` runs it without the `inspector` command (tests and benchmarks do)."""

from __future__ import annotations

import gc
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from sync.hq.api.errors import install_error_handlers
from sync.hq.api.limits import ASGIApp, GuardMiddleware
from sync.hq.api.routes import Services, router
from sync.hq.db import Database
from sync.hq.services.attachments import AttachmentStore
from sync.hq.services.push import PushQueue, StageHook
from sync.protocol import PROTOCOL_VERSION, PushRequest

log = logging.getLogger("inspector.hq")


@dataclass
class Settings:
    db_url: str
    files_dir: Path  # photos; next to the SQLite file by default, anywhere for PostgreSQL


def create_app(settings: Settings, db: Database | None = None, *, on_push_stage: StageHook | None = None) -> FastAPI:
    """The app for one database. `on_push_stage` is passed to the push queue (see StageHook): an extension point
    for tools, which production never sets."""
    database = db or Database(settings.db_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        database.dispose()

    app = FastAPI(
        title="Inspector HQ",
        version=str(PROTOCOL_VERSION),
        summary="Sync server for Inspector devices: push records, pull changes, photos by sha256.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = Services(
        db=database,
        files=AttachmentStore(database, settings.files_dir),
        pushes=PushQueue(database, on_push_stage),
    )
    install_error_handlers(app)
    app.include_router(router)
    app.add_middleware(GuardMiddleware)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the push body schema (the push handler reads its body raw, for speed)."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        push_schema = PushRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in push_schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components["PushRequest"] = push_schema
        app.openapi_schema = schema
    return app.openapi_schema


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
