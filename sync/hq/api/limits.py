"""Guards every request passes before a handler sees it: protocol version, body size, and `X-Server-Time` on every
answer (a pure ASGI middleware: cheap, and it also covers streamed bodies without a Content-Length)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from inspector.core.ids import utcnow
from sync.hq.api.errors import TEXT, audit_refusal, error_response, hq_error_response, lang_of
from sync.hq.services.errors import HqError, Kind
from sync.protocol import MAX_ATTACHMENT_BYTES, MAX_PUSH_BYTES, PROTOCOL_HEADER, PROTOCOL_VERSION, SERVER_TIME_HEADER

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SMALL_BODY = 64 * 1024
ADMIN_BODY = 8 * 1024 * 1024
UNVERSIONED = ("/openapi.json", "/v1/health")
_PROTOCOL_KEY = PROTOCOL_HEADER.lower().encode("latin-1")
_TIME_KEY = SERVER_TIME_HEADER.lower().encode("latin-1")


def too_large(limit: int) -> HqError:
    return HqError(Kind.TOO_LARGE, "too_large", limit=limit)


def body_limit(path: str) -> int:
    if path == "/v1/sync/push":
        return MAX_PUSH_BYTES
    if path.startswith("/v1/attachments/"):
        return MAX_ATTACHMENT_BYTES
    if path.startswith("/v1/admin/"):
        return ADMIN_BODY
    return SMALL_BODY


class GuardMiddleware:
    """`limit_for(path)` is the body limit of a path (`body_limit` unless given)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int] = body_limit) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_time(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == _TIME_KEY for k, _ in headers):
                    headers.append((_TIME_KEY, utcnow().isoformat().encode("latin-1")))
                message["headers"] = headers
            await send(message)

        path: str = scope["path"]
        headers = dict(scope.get("headers", []))
        if path.startswith("/v1/") and path not in UNVERSIONED:
            sent = headers.get(_PROTOCOL_KEY, b"").decode("latin-1").strip()
            if sent != str(PROTOCOL_VERSION):
                lang = lang_of(headers)
                said = (
                    TEXT("said_version", lang, sent=sent)
                    if sent
                    else TEXT("said_nothing", lang, header=PROTOCOL_HEADER)
                )
                message = TEXT("protocol_mismatch", lang, version=PROTOCOL_VERSION, said=said)
                response = error_response(426, "protocol_mismatch", message)
                await audit_refusal(scope, 426, "protocol_mismatch")
                await response(scope, receive, send_with_time)
                return
        limit = self.limit_for(path)
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            response = hq_error_response(too_large(limit), lang_of(headers))
            await response(scope, receive, send_with_time)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, counted_receive, send_with_time)
