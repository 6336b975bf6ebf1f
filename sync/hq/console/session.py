"""Who a console request is from, and whether a form really came from our page.

The session is an HttpOnly, SameSite=Lax cookie (Secure when the page was served over TLS, or a proxy in front says
it was with `X-Forwarded-Proto: https`); services/console_auth.py keeps sessions and their CSRF tokens. A page
request without a live session is sent to the sign-in page; an htmx fragment gets a 401 whose `HX-Redirect` takes
the whole page there. Every state-changing request carries the session's CSRF token (a hidden form field, or the
`X-CSRF-Token` header htmx sends from the page's meta tag) and is refused with 403 without it, before anything runs.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from inspector.core.ids import utcnow
from sync.hq.services import audit
from sync.hq.services.console_auth import ConsoleUser, session_user
from sync.hq.services.context import HqServices
from sync.hq.services.errors import HqError, Kind

COOKIE = "hq_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class SignInNeeded(Exception):
    """Raised by `signed_in`; app.py answers with the sign-in page (or an HX-Redirect to it)."""

    def __init__(self, next_url: str, reason: str) -> None:
        self.next_url = next_url
        self.reason = reason
        super().__init__(reason)


def services(request: Request) -> HqServices:
    found = request.app.state.services
    assert isinstance(found, HqServices)
    return found


Svc = Annotated[HqServices, Depends(services)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def is_secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def wants_fragment(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def signed_in(request: Request, svc: Svc) -> ConsoleUser:
    token = request.cookies.get(COOKIE)
    try:
        who = await run_in_threadpool(session_user, svc.db, token, now=utcnow())
    except HqError as exc:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(target if request.method == "GET" else "/", exc.key) from None
    request.state.who = who  # the language of an error page
    return who


User = Annotated[ConsoleUser, Depends(signed_in)]


async def _audit_refusal(request: Request, who: ConsoleUser, svc: HqServices, reason: str) -> None:
    await run_in_threadpool(
        audit.record_refusal,
        svc.db,
        actor=who.name,
        ip=client_ip(request),
        action=f"{request.method} {request.url.path}"[: audit.ACTION_MAX],
        reason=reason,
        at=utcnow(),
    )


async def admin(request: Request, who: User, svc: Svc) -> ConsoleUser:
    """The signed-in user when it is an admin; a reviewer gets 403 (audited)."""
    if not who.is_admin:
        await _audit_refusal(request, who, svc, "forbidden")
        raise HqError(Kind.FORBIDDEN, "forbidden", roles="admin", user=who.name, role=who.role.value)
    return who


Admin = Annotated[ConsoleUser, Depends(admin)]


async def check_csrf(request: Request, who: ConsoleUser, svc: HqServices) -> None:
    """403 unless the request carries this session's CSRF token; the refusal is audited."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if sent is None or not hmac.compare_digest(sent.encode(), who.csrf.encode()):
        await _audit_refusal(request, who, svc, "bad_csrf")
        raise HqError(Kind.FORBIDDEN, "bad_csrf")


async def changing(request: Request, who: User, svc: Svc) -> ConsoleUser:
    """A signed-in user whose state-changing request carries the session's CSRF token."""
    await check_csrf(request, who, svc)
    return who


async def changing_admin(request: Request, who: Admin, svc: Svc) -> ConsoleUser:
    await check_csrf(request, who, svc)
    return who


Changing = Annotated[ConsoleUser, Depends(changing)]
ChangingAdmin = Annotated[ConsoleUser, Depends(changing_admin)]
