"""How the device API answers a refusal: a status, a stable code and a sentence that says what to do, in the
request's language (`Accept-Language: zh|en`; Chinese unless English is asked for), never a 500 for bad input.

`STATUS` (sync/hq/http_status.py, shared with the console) is the one place a service error becomes an HTTP
status: services raise `HqError` with a kind, and only the kind decides the status. FastAPI's own errors
(validation, unknown routes) are rendered the same way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import MutableMapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from checklists.i18n import Catalogue
from inspector.core.ids import utcnow
from sync.hq.http_status import STATUS
from sync.hq.services import audit
from sync.hq.services.errors import HqError, summarize, validation_details
from sync.protocol import ERROR_CODE_HEADER, SERVER_TIME_HEADER

log = logging.getLogger("inspector.hq")

AUDITED = (401, 403, 426)  # the refusals every one of which leaves an audit row (rejected push items do too)
WHO_KEY = "inspector.who"  # in the ASGI scope: the Principal, once the token named one
AUDITED_KEY = "inspector.audited"  # in the ASGI scope: set when a handler already audited its refusal


TEXT = Catalogue(
    "hq.api",
    {
        "invalid_request": ("请求格式不正确：{summary}", "the request is not valid: {summary}"),
        "internal_error": (
            "总部发生意外错误；本次请求未生效，请稍后重试",
            "HQ hit an unexpected error; the request was not applied, retry later",
        ),
        "protocol_mismatch": (
            "本总部使用同步协议 protocol {version}，设备发送的是{said}：请更新设备（或服务器）上的 Inspector，"
            "使两端的协议版本一致",
            "this HQ speaks sync protocol {version} and the device sent {said}: "
            "update Inspector on the device (or the server) so both speak the same version",
        ),
        "said_version": (" protocol {sent}", "protocol {sent}"),
        "said_nothing": ("未带 {header} 请求头的请求", "no {header} header"),
    },
)


def request_lang(accept_language: str | None) -> str:
    """`en`, `en-US,en;q=0.9` → en; anything else (including nothing) → zh, the default language."""
    if accept_language and accept_language.strip().lower().startswith("en"):
        return "en"
    return "zh"


def lang_of(headers: dict[bytes, bytes]) -> str:
    """The language asked for in raw ASGI headers."""
    return request_lang(headers.get(b"accept-language", b"").decode("latin-1"))


def error_response(status: int, error: str, message: str, details: Sequence[dict[str, Any]] = ()) -> Response:
    now = utcnow()
    body = {"server_time": now.isoformat(), "error": error, "message": message, "details": list(details)}
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
        # The code again as a header: a HEAD answer has no body, and the device must still tell a revoked token
        # from an unknown one.
        headers={SERVER_TIME_HEADER: now.isoformat(), ERROR_CODE_HEADER: error},
    )


def hq_error_response(exc: HqError, lang: str) -> Response:
    return error_response(STATUS[exc.kind], exc.code, exc.text(lang), exc.details)


def _lang(request: Request) -> str:
    return request_lang(request.headers.get("accept-language"))


def _routes(scope: MutableMapping[str, Any]) -> list[Any]:
    """The app's own routes and the device API's (FastAPI nests an included router, so both are listed)."""
    from sync.hq.api.routes import router  # here, not at the top: routes.py imports this module

    return [*getattr(scope.get("app"), "routes", ()), *router.routes]


def _matching(scope: MutableMapping[str, Any]) -> list[Any]:
    path = str(scope.get("path", ""))
    found = []
    for route in _routes(scope):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            found.append(route)
    return found


def route_of(scope: MutableMapping[str, Any]) -> str:
    """The route template a request is for (`/v1/attachments/{sha256}`), else its raw path."""
    route = scope.get("route")
    if route is None:
        method = scope.get("method")
        matching = _matching(scope)
        route = next((r for r in matching if method in (getattr(r, "methods", None) or ())), None)
        route = route or next(iter(matching), None)
    return str(getattr(route, "path", None) or scope.get("path", ""))


async def audit_refusal(scope: MutableMapping[str, Any], status: int, code: str) -> None:
    """Leave the audit row of a 401, 403 or 426 (once per request; a failure to write it is logged, not answered)."""
    if status not in AUDITED or scope.get(AUDITED_KEY):
        return
    scope[AUDITED_KEY] = True
    try:
        services = scope["app"].state.services
        who = scope.get(WHO_KEY)
        headers = dict(scope.get("headers", []))
        actor = who.user if who is not None else audit.token_actor(headers.get(b"authorization", b"").decode("latin-1"))
        client = scope.get("client")
        await run_in_threadpool(
            audit.record_refusal,
            services.db,
            actor=actor,
            ip=client[0] if client else None,
            action=f"{scope.get('method', '')} {route_of(scope)}",
            reason=code,
            at=utcnow(),
            device_id=who.device_id if who is not None else None,
            status=status,
        )
    except Exception:  # the refusal stands either way; a busy database must not turn a 401 into a 500
        log.warning("could not audit a %d (%s)", status, code, exc_info=True)


async def _hq_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HqError)
    await audit_refusal(request.scope, STATUS[exc.kind], exc.code)
    return hq_error_response(exc, _lang(request))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = validation_details(exc.errors())
    message = TEXT("invalid_request", _lang(request), summary=summarize(details))
    return error_response(422, "invalid_request", message, details)


def allowed_methods(scope: MutableMapping[str, Any]) -> str:
    """The methods some route of this path takes (for a 405's `Allow` header): all routes of the path, not one."""
    methods: set[str] = set()
    for route in _matching(scope):
        methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    response = error_response(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))
    if exc.status_code == 405:
        response.headers["Allow"] = allowed_methods(request.scope)
    return response


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", TEXT("internal_error", _lang(request)))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HqError, _hq_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
