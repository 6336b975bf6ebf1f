"""The HQ server for bench/sync_bench.py: `python bench/hq_floor_server.py <python -m sync.hq args>`.

The production app, built by the production factory, served behind a dispatcher that adds one route of its own:
`POST /v1/bench/floor` stores the raw body in one write transaction (the change counter taken, like a push) and
answers at once. Behind the same request guard, it is the floor a push cannot go below: HTTP, the guard, one
write; the difference to a real push is what parsing, validating and deciding cost. Production has no such route.
"""

from __future__ import annotations

import logging
import sys

from fastapi import FastAPI, Request
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from sync.hq.__main__ import arguments
from sync.hq.api.app import Settings, create_app
from sync.hq.api.limits import ASGIApp, GuardMiddleware, Receive, Scope, Send
from sync.hq.db import Database
from sync.hq.server import run
from sync.protocol import MAX_PUSH_BYTES

FLOOR = "/v1/bench/floor"


def floor_app(db: Database) -> FastAPI:
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))

    def store(body: bytes) -> None:
        with db.write() as w:
            w.conn.execute(
                text("INSERT INTO bench_floor (id, body) VALUES (:id, :body)"),
                {"id": w.next_change_id(), "body": body.decode("utf-8")},
            )

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post(FLOOR)
    async def floor(request: Request) -> Response:
        await run_in_threadpool(store, await request.body())
        return Response('{"stored":true}', media_type="application/json")

    app.add_middleware(GuardMiddleware, limit_for=lambda _path: MAX_PUSH_BYTES)
    return app


def with_floor(production: ASGIApp, floor: ASGIApp) -> ASGIApp:
    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        target = floor if scope["type"] == "http" and scope["path"] == FLOOR else production
        await target(scope, receive, send)

    return dispatch


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    logging.basicConfig(level=logging.WARNING)
    db = Database(args.db)
    db.migrate()
    production = create_app(Settings(db_url=args.db, files_dir=args.files), db)
    run(with_floor(production, floor_app(db)), host=args.host, port=args.port, fd=args.fd, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
