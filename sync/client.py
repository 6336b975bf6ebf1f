"""The device side of sync: the only httpx importer on the field side.

`sync_once` runs one round: photos first (HEAD, then PUT when HQ lacks one), then the pending records in batches
(inspections, problems, events — in that order, so HQ always knows what an event refers to), then pulls until HQ
has nothing more. Every answer is written to the store as it arrives, so a cut connection loses no work: the next
round resends, and HQ answers `duplicate` for what it already holds.

Failures: a network error or a 5xx means "HQ unreachable, try later" (`SyncReport.unreachable`); a 4xx for a whole
request is an error with HQ's reason; a record HQ refuses for good is marked rejected with the reason and never
sent again. The TUI awaits `sync_once` on its event loop and schedules the next round with `next_retry_delay`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import ssl
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from pydantic import ValidationError

from checklists.i18n import Catalogue, Plural
from checklists.schema import Checklist
from inspector import version as app_version
from inspector.core.ids import new_id, utcnow
from inspector.core.images import IMAGE_TYPES
from inspector.core.records import Assignment, Attachment, Inspection, Problem, ProblemEvent, Site, SyncState
from inspector.core.sync_state import Pending, SyncStatus
from sync.credentials import Credentials
from sync.protocol import (
    MAX_ATTACHMENT_BYTES,
    MAX_BATCH_ITEMS,
    MAX_PUSH_BYTES,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    SERVER_FIELDS,
    SERVER_TIME_HEADER,
    EnrollRequest,
    EnrollResponse,
    ItemStatus,
    PullResponse,
    PushResponse,
)

__all__ = [
    "SKEW_WARNING_S",
    "HQClient",
    "SyncError",
    "SyncReport",
    "next_retry_delay",
    "sync_once",
]

SKEW_WARNING_S = 300.0
PUSH_BUDGET_BYTES = MAX_PUSH_BYTES - 512 * 1024  # headroom for the envelope
MAX_PHOTO_DOWNLOADS = 200  # per round: before-photos of pulled problems, for 复查 on site
TIMEOUT = httpx.Timeout(30.0, connect=10.0)

TEXT = Catalogue(
    "sync.client",
    {
        "unreachable": (
            "无法连接总部（{url}）：{detail}。记录都已保存在本机，稍后会自动重试。",
            "HQ unreachable ({url}): {detail}. Everything is saved on this laptop; sync will try again later.",
        ),
        "server_error": (
            "总部暂时出错（HTTP {status}）：{detail}。稍后会自动重试。",
            "HQ had a problem (HTTP {status}): {detail}. Sync will try again later.",
        ),
        "no_token": (
            "本机尚未绑定总部，请运行 inspector enroll URL CODE",
            "this device is not enrolled: run inspector enroll URL CODE",
        ),
        "unknown_token": (
            "总部不认识本机的凭据，请向总部索取新的绑定码重新绑定",
            "HQ does not know this device: ask HQ for a new code and enroll again",
        ),
        "revoked": (
            "本机已被总部停用，请联系总部索取新的绑定码",
            "HQ has revoked this device: ask HQ for a new enrollment code",
        ),
        "bad_code": (
            "绑定码无效，请核对或向总部索取新的绑定码",
            "the enrollment code is not valid: check it or ask HQ for a new one",
        ),
        "code_used": (
            "该绑定码已被使用，请向总部索取新的绑定码",
            "this enrollment code was already used: ask HQ for a new one",
        ),
        "code_expired": (
            "该绑定码已过期，请向总部索取新的绑定码",
            "this enrollment code has expired: ask HQ for a new one",
        ),
        "protocol_mismatch": (
            "本机与总部的同步协议版本不一致，请升级 Inspector",
            "this device and HQ speak different sync protocol versions: update Inspector",
        ),
        "forbidden": ("本机用户没有执行该操作的权限", "this device's user may not do that"),
        "too_large": ("请求超过总部允许的大小", "the request is larger than HQ accepts"),
        "http_error": ("总部拒绝了请求（HTTP {status}）：{detail}", "HQ refused the request (HTTP {status}): {detail}"),
        "bad_answer": ("总部的答复无法识别：{detail}", "HQ's answer could not be understood: {detail}"),
        "too_big_record": (
            "记录过大（{size} 字节），超过单次上传上限，无法上传",
            "the record is too large to send ({size} bytes)",
        ),
        "photo_missing": ("本机找不到照片文件 {sha}", "the photo file {sha} is missing on this laptop"),
        "photo_too_big": (
            "照片 {sha} 过大（{size} 字节，总部上限 {limit} 字节），无法上传",
            "the photo {sha} is too large to send ({size} bytes; HQ accepts up to {limit})",
        ),
        "photo_damaged": (
            "本机照片文件 {sha} 已损坏（内容与编号不符），无法上传",
            "the photo file {sha} on this laptop is damaged (its bytes do not match its hash) and cannot be sent",
        ),
        "reset_loop": (
            "总部反复要求重新同步，已停止本轮同步",
            "HQ keeps asking to restart the pull; this round stopped",
        ),
        "not_hq": (
            "这个地址不是 Inspector 总部（{url}）：请核对总部地址（例如 http://总部电脑IP:8765）后重新绑定",
            "This address is not an Inspector HQ ({url}): "
            "check the HQ address (e.g. http://HQ-IP:8765) and enroll again",
        ),
        "enroll_unreachable": (
            "无法连接总部（{url}）：{detail}。请检查总部地址是否正确、网络是否连通，然后重新运行 inspector enroll",
            "HQ unreachable ({url}): {detail}. Check the HQ address and the network, then run inspector enroll again",
        ),
        "enroll_server_error": (
            "总部暂时出错（HTTP {status}）：{detail}。请稍后重新运行 inspector enroll",
            "HQ had a problem (HTTP {status}): {detail}. Run inspector enroll again later",
        ),
        "summary": (
            "上传 {pushed} 条，重复 {duplicates} 条，冲突 {conflicts} 条，被拒 {rejected} 条，下载 {pulled} 条，"
            "照片上传 {up} 张 / 下载 {down} 张",
            "pushed {pushed}, duplicates {duplicates}, conflicts {conflicts}, rejected {rejected}, pulled {pulled}, "
            "photos {up} up / {down} down",
        ),
        "clock_behind": (
            "注意：本机时钟比总部慢 {n} 分钟，请校正系统时间",
            Plural(
                "warning: this laptop's clock is {n} minute behind HQ; please set the time correctly",
                "warning: this laptop's clock is {n} minutes behind HQ; please set the time correctly",
            ),
        ),
        "clock_ahead": (
            "注意：本机时钟比总部快 {n} 分钟，请校正系统时间",
            Plural(
                "warning: this laptop's clock is {n} minute ahead of HQ; please set the time correctly",
                "warning: this laptop's clock is {n} minutes ahead of HQ; please set the time correctly",
            ),
        ),
    },
)

# HQ's error codes this client words itself, in its own language (HQ's sentence is added as the detail).
_HQ_CODES = frozenset(
    {
        "no_token",
        "unknown_token",
        "revoked",
        "bad_code",
        "code_used",
        "code_expired",
        "protocol_mismatch",
        "forbidden",
        "too_large",
    }
)


class SyncError(Exception):
    """A round that could not finish. `unreachable` means try again later; otherwise it needs a person."""

    def __init__(
        self,
        message: str,
        *,
        unreachable: bool = False,
        code: str | None = None,
        status: int | None = None,
        detail: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.unreachable = unreachable
        self.code = code
        self.status = status
        self.detail = detail  # the cause alone (network error, HQ's reason), for callers that word it themselves


@dataclass
class SyncReport:
    """What one round did, for the summary line and the TUI's sync badge."""

    pushed: int = 0  # records HQ applied now
    duplicates: int = 0  # records HQ already had (a retried round)
    conflicts: int = 0  # kept by HQ but flagged for a reviewer
    rejected: dict[str, str] = field(default_factory=dict)  # record id (or photo sha256) → HQ's reason
    conflict_messages: dict[str, str] = field(default_factory=dict)  # record id → why it is a conflict
    pulled: int = 0  # sites, checklists, assignments and problems received
    photos_uploaded: int = 0
    photos_downloaded: int = 0
    skew_s: float | None = None  # HQ time minus this laptop's time
    error: str | None = None
    unreachable: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def skew_warning(self) -> bool:
        return self.skew_s is not None and abs(self.skew_s) > SKEW_WARNING_S

    def summary(self, lang: str = "zh") -> str:
        return TEXT(
            "summary",
            lang,
            pushed=self.pushed,
            duplicates=self.duplicates,
            conflicts=self.conflicts,
            rejected=len(self.rejected),
            pulled=self.pulled,
            up=self.photos_uploaded,
            down=self.photos_downloaded,
        )

    def skew_text(self, lang: str = "zh") -> str:
        """The clock warning, or '' when the clock is fine."""
        if not self.skew_warning or self.skew_s is None:
            return ""
        minutes = round(self.skew_s / 60)
        return TEXT("clock_behind" if minutes > 0 else "clock_ahead", lang, n=abs(minutes))


def next_retry_delay(failures: int, *, base_s: float = 5.0, cap_s: float = 300.0) -> float:
    """Seconds before the next attempt after `failures` failed rounds in a row: exponential, capped, jittered so
    that a room of laptops coming back online does not hit HQ in step."""
    if failures <= 0:
        return 0.0
    delay = min(cap_s, base_s * 2.0 ** (failures - 1))
    return delay * random.uniform(0.5, 1.0)


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
    ) -> None:
        self.url = url.rstrip("/")
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
    ) -> httpx.Response:
        sent = self.clock()
        try:
            response = await self._client.request(
                method,
                self.url + path,
                content=content,
                params=params,
                headers={**self._headers, **(headers or {})},
                timeout=TIMEOUT,
            )
        except httpx.TransportError as exc:
            detail = str(exc) or type(exc).__name__
            message = TEXT("unreachable", self.lang, url=self.url, detail=detail)
            raise SyncError(message, unreachable=True, detail=detail) from None
        self._note_time(response, sent)
        if response.status_code in ok:
            return response
        raise self._failure(response)

    def _note_time(self, response: httpx.Response, sent: datetime) -> None:
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

    def _failure(self, response: httpx.Response) -> SyncError:
        code: str | None = None
        detail = response.reason_phrase
        try:
            body = response.json()
            if isinstance(body, dict):
                code = str(body.get("error") or "") or None
                detail = str(body.get("message") or detail)
        except ValueError:
            pass
        status = response.status_code
        if status >= 500:
            message = TEXT("server_error", self.lang, status=status, detail=detail)
            return SyncError(message, unreachable=True, code=code, status=status, detail=detail)
        if code is not None and code in _HQ_CODES:
            message = TEXT(code, self.lang)
            if self.lang == "en" or code in ("forbidden", "too_large"):
                message = f"{message} ({detail})"
        else:
            message = TEXT("http_error", self.lang, status=status, detail=detail)
        return SyncError(message, code=code, status=status, detail=detail)

    def _parse(self, model: Any, response: httpx.Response) -> Any:
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
        response = await self._request("HEAD", f"/v1/attachments/{sha256}", ok=(200, 404))
        return response.status_code == 200

    async def put_attachment(self, sha256: str, data: bytes, mime: str) -> None:
        await self._request(
            "PUT", f"/v1/attachments/{sha256}", content=data, headers={"Content-Type": mime}, ok=(200, 201)
        )

    async def get_attachment(self, sha256: str) -> tuple[bytes, str] | None:
        """The photo's bytes and type, or None when HQ does not hold it."""
        response = await self._request("GET", f"/v1/attachments/{sha256}", ok=(200, 404))
        if response.status_code != 200:
            return None
        return response.content, response.headers.get("content-type", "").split(";")[0].strip()


# --- one round --------------------------------------------------------------------------------------------------


class SyncStore(Protocol):
    """What `sync_once` needs of inspector.core.store.Store (kept narrow so tests can see the contract)."""

    def pending(self) -> Pending: ...
    def mark_synced(
        self, kind: str, record_id: str, rev: str, state: SyncState, *, server_version: int | None, message: str | None
    ) -> None: ...
    def mark_attachment_uploaded(self, sha256: str) -> None: ...
    def mark_attachment_rejected(self, sha256: str, reason: str) -> None: ...
    def attachment_path(self, sha256: str) -> Path: ...
    def attachment(self, sha256: str) -> Attachment: ...
    def add_attachment(self, source: Path) -> Attachment: ...
    def sync_status(self) -> SyncStatus: ...
    def save_sync_status(self, status: SyncStatus) -> None: ...
    def mark_all_unsynced(self) -> int: ...
    def apply_pulled(
        self,
        *,
        sites: list[Site],
        checklists: list[Checklist],
        problems: list[Problem],
        cursor: str | None,
        assignments: list[Assignment] | None = None,
        replace_assignments: bool = False,
        drop_demo_sites: bool = False,
    ) -> None: ...


def push_item_json(kind: str, record: Inspection | Problem | ProblemEvent) -> bytes:
    """One push item as JSON bytes; `data` is the record without the fields HQ sets (protocol.py), encoded once."""
    head = (
        f'{{"kind":{json.dumps(kind)},"id":{json.dumps(record.id)},"rev":{json.dumps(record.sync.rev)},'
        f'"base_rev":{json.dumps(record.sync.base_rev)},"data":'
    )
    return head.encode("utf-8") + record.model_dump_json(exclude=set(SERVER_FIELDS[kind])).encode("utf-8") + b"}"


def batches(items: Sequence[tuple[str, str, str, bytes]]) -> list[list[tuple[str, str, str, bytes]]]:
    """Split (kind, id, rev, json) items into pushes of at most MAX_BATCH_ITEMS items and PUSH_BUDGET_BYTES."""
    out: list[list[tuple[str, str, str, bytes]]] = []
    current: list[tuple[str, str, str, bytes]] = []
    size = 0
    for item in items:
        if current and (len(current) >= MAX_BATCH_ITEMS or size + len(item[3]) + 1 > PUSH_BUDGET_BYTES):
            out.append(current)
            current, size = [], 0
        current.append(item)
        size += len(item[3]) + 1
    if current:
        out.append(current)
    return out


def batch_body(batch: Sequence[tuple[str, str, str, bytes]], batch_id: str | None = None) -> bytes:
    return (
        b'{"batch_id":'
        + json.dumps(batch_id or new_id()).encode()
        + b',"items":['
        + b",".join(i[3] for i in batch)
        + b"]}"
    )


_STATE = {"synced": SyncState.SYNCED, "conflict": SyncState.CONFLICT, "rejected": SyncState.REJECTED}


async def sync_once(
    store: SyncStore,
    credentials: Credentials,
    *,
    client: httpx.AsyncClient | None = None,
    lang: str = "zh",
    clock: Callable[[], datetime] = utcnow,
) -> SyncReport:
    """One push/pull round. Never raises for network or HQ trouble: the report says what happened."""
    report = SyncReport()
    hq = HQClient(credentials.url, credentials.token, client=client, lang=lang, clock=clock)
    try:
        _forget_other_hq(store, credentials)
        await _push_pending(hq, store, report, lang)
        if await _pull(hq, store, report, lang):  # HQ lost what it had: what it now lacks goes in this round
            await _push_pending(hq, store, report, lang)
    except SyncError as exc:
        report.error = exc.message
        report.unreachable = exc.unreachable
    finally:
        report.skew_s = hq.skew_s
        await hq.aclose()
        _save_status(store, credentials, report, clock)
    return report


def _forget_other_hq(store: SyncStore, credentials: Credentials) -> None:
    """After enrolling with another HQ: it holds nothing of this laptop's, and the cursor is the old HQ's. Offer
    every record again (an HQ that has one answers `duplicate`) and pull from the start."""
    status = store.sync_status()
    if status.server_url is None or status.server_url == credentials.url:
        return
    store.mark_all_unsynced()
    status.cursor = None
    status.server_url = credentials.url  # saved now: a round cut short does not mark everything again
    store.save_sync_status(status)


async def _push_pending(hq: HQClient, store: SyncStore, report: SyncReport, lang: str) -> None:
    pending = store.pending()
    await _upload_photos(hq, store, [a.sha256 for a in pending.attachments], report, lang)
    await _push(hq, store, pending, report, lang)


def _save_status(store: SyncStore, credentials: Credentials, report: SyncReport, clock: Callable[[], datetime]) -> None:
    status = store.sync_status()  # read again: apply_pulled has moved the cursor
    status.server_url = credentials.url
    if report.skew_s is not None:
        status.clock_offset_s = report.skew_s
    if report.ok:
        status.last_success = clock()
        status.last_error = None
    else:
        status.last_error = report.error
    store.save_sync_status(status)


# HQ's answers to a photo upload that resending the same bytes cannot change: too large, not an image of its type,
# malformed. Anything else (auth and protocol end the round; 5xx, 404, 409, 429 ...) is tried again next round.
_FINAL_PHOTO_STATUSES = (413, 415, 422)


async def _upload_photos(hq: HQClient, store: SyncStore, hashes: Sequence[str], report: SyncReport, lang: str) -> None:
    for sha in dict.fromkeys(hashes):
        attachment = store.attachment(sha)
        if attachment.rejected is not None:  # refused for good in an earlier round: reported then, not sent again
            continue
        if attachment.size > MAX_ATTACHMENT_BYTES:  # HQ would refuse it, possibly by cutting the connection mid-upload
            reason = TEXT("photo_too_big", lang, sha=sha, size=attachment.size, limit=MAX_ATTACHMENT_BYTES)
            _reject_photo(store, report, sha, reason)
            continue
        if not await hq.has_attachment(sha):  # asked first: after a re-enrollment HQ mostly has them already
            try:
                data = store.attachment_path(sha).read_bytes()
            except OSError:
                report.rejected[sha] = TEXT("photo_missing", lang, sha=sha)
                continue
            try:
                await hq.put_attachment(sha, data, attachment.mime)
            except SyncError as exc:
                if exc.unreachable or exc.status in (401, 403, 426):
                    raise
                if _refused_for_good(exc, sha, data):
                    reason = exc.message if exc.code != "hash_mismatch" else TEXT("photo_damaged", lang, sha=sha)
                    _reject_photo(store, report, sha, reason)
                else:
                    report.rejected[sha] = exc.message  # refused this time; the records still go, the photo next round
                continue
            report.photos_uploaded += 1
        store.mark_attachment_uploaded(sha)


def _refused_for_good(exc: SyncError, sha: str, data: bytes) -> bool:
    """Whether resending these bytes cannot help. A hash mismatch is final only when the bytes on this laptop are
    themselves wrong; when they match their name, the upload was damaged on the way and is worth another try."""
    if exc.status not in _FINAL_PHOTO_STATUSES:
        return False
    if exc.code == "hash_mismatch":
        return hashlib.sha256(data).hexdigest() != sha
    return True


def _reject_photo(store: SyncStore, report: SyncReport, sha: str, reason: str) -> None:
    store.mark_attachment_rejected(sha, reason)
    report.rejected[sha] = reason


async def _push(hq: HQClient, store: SyncStore, pending: Pending, report: SyncReport, lang: str) -> None:
    items: list[tuple[str, str, str, bytes]] = []
    for kind, records in (
        ("inspection", pending.inspections),
        ("problem", pending.problems),
        ("event", pending.events),
    ):
        for record in records:
            data = push_item_json(kind, record)
            if len(data) > PUSH_BUDGET_BYTES:
                reason = TEXT("too_big_record", lang, size=len(data))
                store.mark_synced(
                    kind, record.id, record.sync.rev, SyncState.REJECTED, server_version=None, message=reason
                )
                report.rejected[record.id] = reason
                continue
            items.append((kind, record.id, record.sync.rev, data))
    missing: list[str] = []
    for batch in batches(items):
        answer = await hq.push(batch_body(batch))
        for result in answer.results:
            state = _STATE[result.state]
            store.mark_synced(
                result.kind, result.id, result.rev, state, server_version=result.server_version, message=result.message
            )
            if result.status is ItemStatus.APPLIED:
                report.pushed += 1
            elif result.status is ItemStatus.DUPLICATE:
                report.duplicates += 1
            elif result.status is ItemStatus.CONFLICT:
                report.conflicts += 1
                report.conflict_messages[result.id] = result.message or ""
            else:
                report.rejected[result.id] = result.message or ""
        missing.extend(answer.missing_attachments)
    # Photos HQ should hold but does not (a restored server, a lost upload): send the ones this laptop has.
    local = [sha for sha in dict.fromkeys(missing) if store.attachment_path(sha).is_file()]
    await _upload_photos(hq, store, local, report, lang)


async def _pull(hq: HQClient, store: SyncStore, report: SyncReport, lang: str) -> bool:
    """Pull until HQ has nothing more. True when HQ asked for a reset (its database was replaced or restored):
    everything is then marked to be offered again, before the pages mark what HQ sent as synced."""
    cursor = store.sync_status().cursor
    from_start = cursor is None  # HQ sends changes; a pull from the start brings every assignment it has
    resets = 0
    wanted_photos: list[str] = []
    while True:
        page = await hq.pull(cursor)
        if page.reset_required:
            resets += 1
            if resets > 1:
                raise SyncError(TEXT("reset_loop", lang))
            cursor = None
            from_start = True
            store.mark_all_unsynced()
            continue
        store.apply_pulled(
            sites=page.sites,
            checklists=page.checklists,
            problems=page.problems,
            cursor=page.cursor,
            assignments=page.assignments,
            replace_assignments=from_start,  # the first page from the start replaces what the device held
            drop_demo_sites=from_start,  # synced with HQ: its sites replace the demo ones
        )
        from_start = False
        report.pulled += len(page.sites) + len(page.checklists) + len(page.assignments) + len(page.problems)
        wanted_photos.extend(p for problem in page.problems for p in problem.photos)
        cursor = page.cursor
        if not page.has_more:
            break
    await _download_photos(hq, store, wanted_photos, report)
    return resets > 0


async def _download_photos(hq: HQClient, store: SyncStore, hashes: Sequence[str], report: SyncReport) -> None:
    """Fetch the before-photos of pulled problems that this laptop lacks, so 复查 on site can compare."""
    todo = [sha for sha in dict.fromkeys(hashes) if not store.attachment_path(sha).is_file()][:MAX_PHOTO_DOWNLOADS]
    if not todo:
        return
    with tempfile.TemporaryDirectory(prefix="inspector-photo-") as folder:
        for sha in todo:
            got = await hq.get_attachment(sha)
            if got is None:  # not at HQ yet: its device has not uploaded it; a later round will get it
                continue
            data, mime = got
            tmp = Path(folder) / f"{sha}{IMAGE_TYPES.get(mime, '.jpg')}"
            tmp.write_bytes(data)
            stored = store.add_attachment(tmp)
            if stored.sha256 == sha:
                store.mark_attachment_uploaded(sha)
                report.photos_downloaded += 1
            tmp.unlink()
