"""Every error the server gives has a status, a stable code and a sentence that says what to do (never a 500 for
bad input): `ApiError` carries them, and the handlers here render them and FastAPI's own errors the same way."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from inspector.core.ids import utcnow
from sync.protocol import SERVER_TIME_HEADER

log = logging.getLogger("inspector.hq")


class ApiError(Exception):
    """A refusal worded for the device (and through it, for the inspector)."""

    def __init__(self, status: int, error: str, message: str, details: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.details = list(details)


def error_response(status: int, error: str, message: str, details: Sequence[dict[str, Any]] = ()) -> Response:
    now = utcnow()
    body = {"server_time": now.isoformat(), "error": error, "message": message, "details": list(details)}
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
        headers={SERVER_TIME_HEADER: now.isoformat()},
    )


def field_path(loc: Sequence[int | str]) -> str:
    """`("body", "items", 3, "kind")` → `items.3.kind`: the path a person can find in the request."""
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "(body)"


def validation_details(errors: Sequence[Any], *, limit: int = 50) -> list[dict[str, Any]]:
    """pydantic errors as `{field, message}` pairs (inputs are left out: they may be huge or secret)."""
    return [{"field": field_path(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in list(errors)[:limit]]


def summarize(details: Sequence[dict[str, Any]], *, limit: int = 3) -> str:
    shown = "; ".join(f"{d['field']}: {d['message']}" for d in details[:limit])
    more = len(details) - limit
    return shown + (f" (and {more} more)" if more > 0 else "")


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error, exc.message, exc.details)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = validation_details(exc.errors())
    return error_response(422, "invalid_request", f"the request is not valid: {summarize(details)}", details)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "HQ hit an unexpected error; the request was not applied, retry later")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
