"""HTTP calls to HQ: the only httpx importer on the laptop.

Every request carries the protocol header, the token and the device's language; every answer's server time feeds
the clock check. A network error or a 5xx becomes an "unreachable" `SyncError` (try later); a 4xx becomes one with
HQ's reason in this device's words.
"""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import ValidationError

from inspector import version as app_version
from inspector.core.ids import utcnow
from sync.client.errors import SyncError
from sync.client.messages import HQ_CODES, TEXT
from sync.protocol import (
    ATTACHMENT_SHA_HEADER,
    ERROR_CODE_HEADER,
    MAX_ATTACHMENT_BYTES,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    SERVER_TIME_HEADER,
    EnrollRequest,
    EnrollResponse,
    PullResponse,
    PushResponse,
)

TIMEOUT = httpx.Timeout(30.0, connect=10.0)  # per read, write and connect; the deadline below bounds the whole
# An exchange may take this long, plus a second for every MIN_RATE bytes sent or received: a 20 MB photo over a
# 16 KB/s link still goes, a server that trickles its answer is given up on.
REQUEST_DEADLINE_S = 60.0
MIN_RATE = 16 * 1024
# A whole round may take this long (many photos on a slow link), then stops with what it has done kept.
ROUND_DEADLINE_S = 30 * 60.0
# No JSON answer of HQ comes near this (a pull page is a few MB); a bigger one is not HQ's and is not read whole.
MAX_ANSWER_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer read whole, within the deadline and the size cap."""

    status_code: int
    reason_phrase: str
    headers: httpx.Headers
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Certificate verification on, as httpx does by default; built once, because loading the CA bundle costs ~50 ms
    and a client is made per round."""
    return httpx.create_ssl_context()


# Answers to POST /v1/devices/enroll that only a server without that route gives: not found, method not allowed,
# not implemented (Python's http.server answers POST so).
_NOT_HQ_STATUSES = (404, 405, 501)


class HQClient:
    """HTTP calls to HQ with the protocol header, the token and the clock check on every answer."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        lang: str = "zh",
        clock: Callable[[], datetime] = utcnow,
        deadline_s: float = REQUEST_DEADLINE_S,
    ) -> None:
        self.url = url.rstrip("/")
        self.deadline_s = deadline_s
        self.lang = lang
        self.clock = clock
        self.skew_s: float | None = None
        self._own = client is None
        self._client = client or httpx.AsyncClient(
            timeout=TIMEOUT, transport=httpx.AsyncHTTPTransport(verify=_tls_context(), retries=2)
        )
        self._headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION), "Accept-Language": lang}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    async def aclose(self) -> None:
        if self._own:
            await self._client.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        ok: Sequence[int] = (200,),
        limit: int = MAX_ANSWER_BYTES,
    ) -> Answer:
        """One exchange under a deadline and a size cap. httpx's timeouts bound each read, so a server that sends
        a byte every few seconds would hold a round forever; the deadline bounds the whole exchange instead, and
        grows only with the bytes that actually move (at `MIN_RATE` at least), so a big photo on a slow link still
        goes while a trickle is given up on. An answer over `limit` is dropped unread: HQ never sends one that big,
        and reading it whole would swell the laptop's memory."""
        sent = self.clock()
        moved = len(content or b"")
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            async with asyncio.timeout(self._allowed(moved)) as deadline:
                async with self._client.stream(
                    method,
                    self.url + path,
                    content=content,
                    params=params,
                    headers={**self._headers, **(headers or {})},
                    timeout=TIMEOUT,
                ) as response:
                    body = await self._read_capped(
                        response, limit, lambda n: deadline.reschedule(start + self._allowed(moved + n))
                    )
        except TimeoutError:
            detail = TEXT("stalled_detail", self.lang, s=round(loop.time() - start))
            raise SyncError(
                TEXT("unreachable", self.lang, url=self.url, detail=detail),
                unreachable=True,
                code="stalled",
                detail=detail,
            ) from None
        except httpx.TransportError as exc:
            detail = str(exc) or type(exc).__name__
            message = TEXT("unreachable", self.lang, url=self.url, detail=detail)
            raise SyncError(message, unreachable=True, detail=detail) from None
        answer = Answer(response.status_code, response.reason_phrase, response.headers, body)
        self._note_time(answer, sent)
        if answer.status_code in ok:
            return answer
        raise self._failure(answer)

    def _allowed(self, moved: int) -> float:
        return self.deadline_s + moved / MIN_RATE

    async def _read_capped(self, response: httpx.Response, limit: int, progress: Callable[[int], object]) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self._too_big(int(declared), limit)
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                raise self._too_big(len(body), limit)
            progress(len(body))
        return bytes(body)

    def _too_big(self, size: int, limit: int) -> SyncError:
        detail = TEXT("answer_too_big_detail", self.lang, size=size, limit=limit)
        return SyncError(TEXT("bad_answer", self.lang, detail=detail), code="answer_too_big", detail=detail)

    def _note_time(self, response: Answer, sent: datetime) -> None:
        stamp = response.headers.get(SERVER_TIME_HEADER)
        if not stamp:
            return
        try:
            server = datetime.fromisoformat(stamp)
        except ValueError:
            return
        if server.tzinfo is None:
            server = server.replace(tzinfo=UTC)
        received = self.clock()
        midpoint = sent + (received - sent) / 2
        self.skew_s = (server - midpoint).total_seconds()

    def _failure(self, response: Answer) -> SyncError:
        code: str | None = None
        detail = response.reason_phrase
        try:
            body = response.json()
            if isinstance(body, dict):
                code = str(body.get("error") or "") or None
                detail = str(body.get("message") or detail)
        except ValueError:
            pass
        if code is None:  # no body (a HEAD answer): HQ puts the code in a header too
            code = response.headers.get(ERROR_CODE_HEADER) or None
        status = response.status_code
        if status >= 500:
            message = TEXT("server_error", self.lang, status=status, detail=detail)
            return SyncError(message, unreachable=True, code=code, status=status, detail=detail)
        if code is not None and code in HQ_CODES:
            message = TEXT(code, self.lang)
            if self.lang == "en" or code in ("forbidden", "too_large"):
                message = f"{message} ({detail})"
        else:
            message = TEXT("http_error", self.lang, status=status, detail=detail)
        return SyncError(message, code=code, status=status, detail=detail)

    def _parse(self, model: Any, response: Answer) -> Any:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            detail = str(exc).splitlines()[0]
            raise SyncError(TEXT("bad_answer", self.lang, detail=detail), code="bad_answer", detail=detail) from None

    # endpoints ---------------------------------------------------------------------------------------------------
    async def enroll(self, code: str, device_name: str) -> EnrollResponse:
        """Trade a code for a token. Failures are worded for enrolling: nothing retries it, and a wrong address
        (a server that is not HQ) is the usual cause."""
        body = EnrollRequest(code=code, device_name=device_name[:200], app_version=app_version())
        try:
            response = await self._request(
                "POST",
                "/v1/devices/enroll",
                content=body.model_dump_json().encode(),
                headers={"Content-Type": "application/json"},
            )
            answer: EnrollResponse = self._parse(EnrollResponse, response)
        except SyncError as exc:
            raise self._enroll_failure(exc) from None
        return answer

    def _enroll_failure(self, exc: SyncError) -> SyncError:
        detail = exc.detail or ""
        if exc.status is None and exc.unreachable:
            return SyncError(TEXT("enroll_unreachable", self.lang, url=self.url, detail=detail), unreachable=True)
        if exc.status in _NOT_HQ_STATUSES or exc.code == "bad_answer":
            return SyncError(TEXT("not_hq", self.lang, url=self.url), code="not_hq", status=exc.status)
        if exc.status is not None and exc.status >= 500:
            message = TEXT("enroll_server_error", self.lang, status=exc.status, detail=detail)
            return SyncError(message, unreachable=True, code=exc.code, status=exc.status)
        return exc

    async def push(self, body: bytes) -> PushResponse:
        response = await self._request(
            "POST", "/v1/sync/push", content=body, headers={"Content-Type": "application/json"}
        )
        answer: PushResponse = self._parse(PushResponse, response)
        return answer

    async def pull(self, cursor: str | None, limit: int = 500) -> PullResponse:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await self._request("GET", "/v1/sync/pull", params=params)
        answer: PullResponse = self._parse(PullResponse, response)
        return answer

    async def has_attachment(self, sha256: str) -> bool:
        """Whether HQ holds this photo. A 200 counts only with HQ's own word for these bytes (its protocol header
        and the sha): a hotel or café sign-in page answers 200 to everything, and taking that for HQ's word would
        mark a photo uploaded that HQ never got."""
        response = await self._request("HEAD", f"/v1/attachments/{sha256}", ok=(200, 404))
        if response.status_code == 404:
            return False
        self._confirm_holds(response, sha256)
        return True

    async def put_attachment(self, sha256: str, data: bytes, mime: str) -> None:
        """Upload a photo; returns only once HQ has said it holds exactly these bytes."""
        response = await self._request(
            "PUT", f"/v1/attachments/{sha256}", content=data, headers={"Content-Type": mime}, ok=(200, 201)
        )
        self._confirm_holds(response, sha256)

    def _confirm_holds(self, response: Answer, sha256: str) -> None:
        said_protocol = response.headers.get(PROTOCOL_HEADER)
        said_sha = response.headers.get(ATTACHMENT_SHA_HEADER)
        if said_protocol != str(PROTOCOL_VERSION) or said_sha != sha256:
            message = TEXT("not_hq_answer", self.lang, url=self.url)
            raise SyncError(message, unreachable=True, code="not_hq_answer", status=response.status_code)

    async def get_attachment(self, sha256: str) -> tuple[bytes, str] | None:
        """The photo's bytes and type, or None when HQ does not hold it."""
        response = await self._request("GET", f"/v1/attachments/{sha256}", ok=(200, 404), limit=MAX_ATTACHMENT_BYTES)
        if response.status_code != 200:
            return None
        return response.content, response.headers.get("content-type", "").split(";")[0].strip()


# --- one round --------------------------------------------------------------------------------------------------
