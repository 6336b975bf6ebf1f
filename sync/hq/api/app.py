"""The device API's app: `create_app` builds it for one database (sync/hq/server.py serves it)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from sync.hq.api.errors import install_error_handlers
from sync.hq.api.limits import GuardMiddleware
from sync.hq.api.routes import router
from sync.hq.db import Database
from sync.hq.services.context import HqServices
from sync.hq.services.push import StageHook
from sync.protocol import PROTOCOL_VERSION, PushRequest

log = logging.getLogger("inspector.hq")


@dataclass
class Settings:
    db_url: str
    files_dir: Path  # photos; next to the SQLite file by default, anywhere for PostgreSQL


def create_app(
    settings: Settings,
    db: Database | None = None,
    *,
    on_push_stage: StageHook | None = None,
    services: HqServices | None = None,
) -> FastAPI:
    """The device API for one database. Its services are made here unless given (the server shares one set with the
    console); `on_push_stage` then goes to their push queue (see StageHook), an extension point for tools."""
    shared = services or HqServices.start(db or Database(settings.db_url), settings.files_dir, on_push_stage)
    database = shared.db

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
    app.state.services = shared
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
        _document_refusals(schema)
        app.openapi_schema = schema
    return app.openapi_schema


SHA256_PATTERN = "^[0-9a-f]{64}$"
_ERROR = {
    "description": "",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
}
_WHY = {
    "400": "the request cannot be read",
    "401": "no valid device token (missing, unknown or revoked)",
    "403": "the user's role may not do this",
    "404": "no such route or resource",
    "405": "the route does not take this method (the `Allow` header lists those it takes)",
    "413": "the body is larger than this route takes",
    "415": "a photo of a type HQ does not take",
    "422": "the body or a parameter is not valid (including JSON that does not parse)",
    "426": "the device speaks another sync protocol version",
    "503": "HQ is busy; nothing was applied, retry later",
}
_OPEN = ("/v1/health", "/openapi.json")  # no token and no protocol header needed


def _document_refusals(schema: dict[str, Any]) -> None:
    """Every operation lists every status it can answer with; HEAD answers carry no body; the sha256 is a pattern."""
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            codes = ["404", "405", "503"] if path in _OPEN else list(_WHY)
            if method == "put" and not path.startswith("/v1/attachments/"):
                codes.remove("415")
            responses = operation.setdefault("responses", {})
            for code in codes:
                if code in responses and method != "head":
                    responses[code].setdefault("description", _WHY[code])
                    continue
                entry: dict[str, Any] = {"description": _WHY[code]} if method == "head" else {**_ERROR}
                entry["description"] = _WHY[code]
                if code == "405":
                    entry["headers"] = {
                        "Allow": {"description": "the methods this route takes", "schema": {"type": "string"}}
                    }
                responses[code] = entry
            for parameter in operation.get("parameters", []):
                if parameter.get("name") == "sha256" and parameter.get("in") == "path":
                    parameter["schema"] = {**parameter.get("schema", {}), "pattern": SHA256_PATTERN}
