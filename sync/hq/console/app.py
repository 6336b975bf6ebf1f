"""The console's app: its pages, its static files, its security headers and how it answers a refusal.

It is its own FastAPI app (sync/hq/server.py puts it beside the device API in one process) so that a refusal here
is a page in the user's language while the device API keeps answering JSON. Every answer carries a
Content-Security-Policy with no inline script or style (scripts and the stylesheet are files under /static), no
framing, and forms posting only to this origin; pages are never cached, since they show what a user may see.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import RedirectResponse, Response

from sync.hq.console.pages import ROUTERS
from sync.hq.console.render import render
from sync.hq.console.session import SignInNeeded, wants_fragment
from sync.hq.console.words import WORDS
from sync.hq.http_status import STATUS
from sync.hq.services.context import HqServices
from sync.hq.services.errors import HqError

log = logging.getLogger("inspector.hq")

STATIC = Path(__file__).resolve().parent / "static"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers.update(HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def create_console(services: HqServices) -> FastAPI:
    app = FastAPI(title="Inspector HQ console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded) -> Response:
        target = f"/signin?next={quote(exc.next_url, safe='')}"
        if exc.reason == "session_expired":
            target += "&expired=1"
        if wants_fragment(request):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(HqError)
    async def _refused(request: Request, exc: HqError) -> Response:
        status = STATUS.get(exc.kind, 422)
        return _error_page(request, status, exc.text(_lang(request)))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        lang = _lang(request)
        faults = [
            WORDS("error.bad_value", lang, field=".".join(str(p) for p in e.get("loc", ())[1:]), value=e.get("input"))
            for e in exc.errors()[:5]
        ]
        return _error_page(request, 422, "；".join(faults) if lang == "zh" else "; ".join(faults))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        lang = _lang(request)
        text = WORDS("error.not_found", lang) if exc.status_code == 404 else str(exc.detail)
        return _error_page(request, exc.status_code, text)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("console %s %s failed", request.method, request.url.path)
        return _error_page(request, 500, WORDS("error.internal", _lang(request)))

    return app


def _lang(request: Request) -> str:
    who = getattr(request.state, "who", None)
    lang = getattr(who, "lang", None)
    if lang in ("zh", "en"):
        return str(lang)
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "zh"


def _error_page(request: Request, status: int, text: str) -> Response:
    who = getattr(request.state, "who", None)
    if wants_fragment(request):
        return render(request, "_error.html", who, status_code=status, message=text)
    return render(request, "error.html", who, status_code=status, message=text, status=status)
