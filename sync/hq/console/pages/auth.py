"""Signing in and out, and the page language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from inspector.core.ids import utcnow
from sync.hq.console.render import render, request_lang
from sync.hq.console.session import COOKIE, Changing, Svc, client_ip, is_secure
from sync.hq.services import console_auth
from sync.hq.services.console_auth import LONGEST
from sync.hq.services.errors import HqError

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to somewhere else (`//evil`, `https://...`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/signin")
def signin_page(request: Request, next: str = "/", expired: int = 0, out: int = 0) -> Response:
    return render(request, "signin.html", None, next=_safe_next(next), expired=bool(expired), out=bool(out))


@router.post("/signin")
async def signin(
    request: Request,
    svc: Svc,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    try:
        session = await run_in_threadpool(
            console_auth.sign_in, svc.db, name, password, ip=client_ip(request), now=utcnow()
        )
    except HqError as exc:
        status = 429 if exc.code == "throttled" else 401
        error = exc.text(request_lang(request))
        return render(request, "signin.html", None, status_code=status, next=_safe_next(next), error=error, name=name)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        session.token,
        max_age=int(LONGEST.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
        path="/",
    )
    return response


@router.post("/signout")
async def signout(request: Request, svc: Svc, who: Changing) -> Response:
    token = request.cookies.get(COOKIE, "")
    await run_in_threadpool(console_auth.sign_out, svc.db, token, who, ip=client_ip(request), now=utcnow())
    response = RedirectResponse("/signin?out=1", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=is_secure(request))
    return response


@router.post("/lang")
async def switch_lang(
    svc: Svc,
    who: Changing,
    lang: Annotated[str, Form(pattern="^(zh|en)$")],
    back: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    await run_in_threadpool(console_auth.change_lang, svc.db, who, lang)
    return RedirectResponse(_safe_next(back), status_code=303)
