"""The HQ server: `create_app` builds the ASGI app, `serve` migrates the database and runs it under uvicorn.

`python -m sync.hq --db URL --port N` runs it without the `inspector` command (tests and benchmarks do)."""

from __future__ import annotations

import gc
import logging
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from sync.hq.api.errors import install_error_handlers
from sync.hq.api.limits import GuardMiddleware
from sync.hq.api.routes import Services, router
from sync.hq.db import Database
from sync.hq.services.attachments import AttachmentStore
from sync.hq.services.push import FaultHook, PushQueue
from sync.protocol import PROTOCOL_VERSION, PushRequest

FAULT_ENV = "INSPECTOR_HQ_FAULT"  # test hook: "<stage>:<marker file>" — at that stage of a push, write the marker
# and stop for a minute (a test then kills the server there). Stages: before_commit, after_commit.

log = logging.getLogger("inspector.hq")


@dataclass
class Settings:
    db_url: str
    files_dir: Path  # photos; next to the SQLite file by default, anywhere for PostgreSQL
    bench_routes: bool = False  # POST /v1/bench/floor: stores a raw body, for bench/sync_bench.py's floor
    fault: str | None = None


def _fault_hook(spec: str | None) -> FaultHook | None:
    if not spec:
        return None
    stage, _, marker = spec.partition(":")

    def hook(reached: str) -> None:
        if reached == stage:
            Path(marker).write_text(reached, encoding="utf-8")
            time.sleep(60)

    return hook


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
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
        pushes=PushQueue(database, _fault_hook(settings.fault)),
    )
    install_error_handlers(app)
    app.include_router(router)
    app.add_middleware(GuardMiddleware)
    if settings.bench_routes:
        _add_bench_routes(app, database)
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


def _add_bench_routes(app: FastAPI, db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))

    def store(body: bytes) -> None:
        with db.write() as w:
            w.conn.execute(
                text("INSERT INTO bench_floor (id, body) VALUES (:id, :body)"),
                {"id": w.next_change_id(), "body": body.decode("utf-8")},
            )

    @app.post("/v1/bench/floor", include_in_schema=False)
    async def floor(request: Request) -> Response:
        body = await request.body()
        await run_in_threadpool(store, body)
        return Response('{"stored":true}', media_type="application/json")


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    fd: int | None = None,
    log_level: str = "info",
    db: Database | None = None,
) -> None:
    """Migrate (unless given a migrated `db`), then serve until interrupted. `fd` serves on an inherited listening
    socket (tests). uvicorn raises SystemExit when it cannot bind."""
    import uvicorn

    database = db or Database(settings.db_url)
    if db is None:
        database.migrate()
    app = create_app(settings, database)
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


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sync.hq", description="Run the Inspector HQ server.")
    parser.add_argument("--db", required=True, help="SQLAlchemy URL, e.g. sqlite:///hq.sqlite3")
    parser.add_argument("--files", required=True, type=Path, help="folder for uploaded photos")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--fd", type=int, help="serve on this inherited listening socket instead of host:port")
    parser.add_argument("--bench-routes", action="store_true")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = Settings(
        db_url=args.db, files_dir=args.files, bench_routes=args.bench_routes, fault=os.environ.get(FAULT_ENV)
    )
    serve(settings, host=args.host, port=args.port, fd=args.fd, log_level=args.log_level)
    return 0


def listening_socket(host: str = "127.0.0.1") -> socket.socket:
    """A bound, listening socket on a free port, inheritable by a child server process (no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
