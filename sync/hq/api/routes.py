"""The device API's endpoints under /v1 (the wire models are sync/protocol.py). Handlers stay thin: parse, authorize,
call the service that does the work.

Blocking database work runs in the thread pool (sync handlers, or `run_in_threadpool` in the async ones that must
read a raw body), so one slow push never stalls the event loop for the others."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from inspector.core.ids import utcnow
from sync.hq.api.errors import AUDITED_KEY, WHO_KEY, request_lang
from sync.hq.services import audit, pull, push, reference, users
from sync.hq.services.attachments import check_sha
from sync.hq.services.auth import Principal, authenticate, require_role
from sync.hq.services.context import HqServices as Services
from sync.hq.services.errors import HqError, Kind
from sync.protocol import (
    ATTACHMENT_SHA_HEADER,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    AssignmentsUpload,
    AttachmentResult,
    ChecklistsUpload,
    EnrollRequest,
    EnrollResponse,
    ErrorResponse,
    PullResponse,
    PushResponse,
    ReferenceResult,
    Role,
    SitesUpload,
)

router = APIRouter()

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (401, 403, 413, 415, 422, 426, 503)
}


def services(request: Request) -> Services:
    found = request.app.state.services
    assert isinstance(found, Services)
    return found


Svc = Annotated[Services, Depends(services)]


def principal(request: Request, svc: Svc, authorization: Annotated[str | None, Header()] = None) -> Principal:
    who = authenticate(svc.db, authorization, now=utcnow())
    request.scope[WHO_KEY] = who  # a refusal after this point is audited under the user's name
    return who


Who = Annotated[Principal, Depends(principal)]


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _json(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(text, status_code=status, media_type="application/json", headers=headers)


@router.get("/v1/health", tags=["meta"])
def health() -> dict[str, Any]:
    """Is HQ up, and which protocol does it speak? (No token, no protocol header needed.)"""
    return {"status": "ok", "protocol": PROTOCOL_VERSION, "server_time": utcnow().isoformat()}


@router.post("/v1/devices/enroll", response_model=EnrollResponse, responses=ERRORS, tags=["devices"])
def enroll(body: EnrollRequest, request: Request, svc: Svc) -> EnrollResponse:
    """Trade a one-time enrollment code for this device's token (shown once)."""
    now = utcnow()
    try:
        return users.enroll(svc.db, body, now=now, ip=_ip(request))
    except HqError as exc:  # failed attempts are audited too (coalesced): guessing codes leaves a trail
        request.scope[AUDITED_KEY] = True
        ip = _ip(request)
        audit.record_refusal(svc.db, action="enroll_failed", actor=audit.UNKNOWN, at=now, ip=ip, reason=exc.code)
        raise


@router.post(
    "/v1/sync/push",
    response_model=PushResponse,
    responses=ERRORS,
    tags=["sync"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushRequest"}}},
        }
    },
)
async def push_records(request: Request, svc: Svc, who: Who) -> Response:
    """A batch of whole record versions (at most 500 items); one result per item."""
    body = await request.body()
    lang = request_lang(request.headers.get("accept-language"))
    now, ip = utcnow(), _ip(request)

    def work() -> bytes:
        return svc.pushes.run(push.prepare(svc.db, who, body, lang=lang, now=now, ip=ip)).model_dump_json().encode()

    return Response(await run_in_threadpool(work), media_type="application/json")


@router.get("/v1/sync/pull", response_model=PullResponse, responses=ERRORS, tags=["sync"])
def pull_changes(
    svc: Svc,
    who: Who,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=pull.MAX_LIMIT)] = pull.DEFAULT_LIMIT,
) -> Response:
    """HQ changes after `cursor` that this device may see; call again while `has_more`."""
    return _json(pull.pull(svc.db, who, cursor, limit, now=utcnow()))


def _visible(request: Request, svc: Services, who: Principal, sha256: str) -> str | None:
    """The photo's type when HQ holds it and `who` may read it, else None. A held photo `who` may not read is a
    refusal, audited, and answered exactly like a photo HQ lacks (404): a known hash tells nothing."""
    mime = svc.files.mime(sha256)
    if mime is None:
        return None
    if svc.files.readable(who, sha256):
        return mime
    request.scope[AUDITED_KEY] = True
    audit.record_refusal(
        svc.db,
        actor=who.user,
        ip=_ip(request),
        action=f"{request.method} /v1/attachments/{{sha256}}",
        reason="photo_not_visible",
        at=utcnow(),
        device_id=who.device_id,
        sha256=sha256,
    )
    return None


@router.head("/v1/attachments/{sha256}", tags=["attachments"])
def has_attachment(sha256: str, request: Request, svc: Svc, who: Who) -> Response:
    """200 when HQ holds this photo and the device may read it, 404 when it should be uploaded."""
    check_sha(sha256)
    if _visible(request, svc, who, sha256):
        return Response(status_code=200, headers=_holds(sha256))
    return Response(status_code=404)


@router.put(
    "/v1/attachments/{sha256}",
    response_model=AttachmentResult,
    status_code=201,
    responses=ERRORS,
    tags=["attachments"],
    openapi_extra={"requestBody": {"required": True, "content": {"image/jpeg": {}, "image/png": {}, "image/heic": {}}}},
)
async def put_attachment(sha256: str, request: Request, svc: Svc, who: Who) -> Response:
    """Upload a photo's bytes; HQ checks hash, size and type. Uploading it again is a no-op."""
    check_sha(sha256)
    now = utcnow()
    held = await run_in_threadpool(svc.files.mime, sha256) is not None
    if held and await run_in_threadpool(svc.files.readable, who, sha256):
        result = AttachmentResult(server_time=now, sha256=sha256, status="exists")
        return _json(result.model_dump_json(), 200, headers=_holds(sha256))
    # Held but not readable by this device: its bytes are checked like any upload, and once they match, it may read
    # the photo it has just shown it holds (a device never learns of a photo it could not have sent).
    await svc.files.receive(who, sha256, request.headers.get("content-type"), request.stream(), now=now)
    stored = AttachmentResult(server_time=now, sha256=sha256, status="exists" if held else "stored")
    return _json(stored.model_dump_json(), 200 if held else 201, headers=_holds(sha256))


def _holds(sha256: str) -> dict[str, str]:
    """HQ's word that it holds exactly these bytes: a device marks a photo uploaded only on an answer that says so
    (a captive portal's blanket 200 carries neither header)."""
    return {PROTOCOL_HEADER: str(PROTOCOL_VERSION), ATTACHMENT_SHA_HEADER: sha256}


@router.get("/v1/attachments/{sha256}", responses=ERRORS, tags=["attachments"])
def get_attachment(sha256: str, request: Request, svc: Svc, who: Who) -> Response:
    """A stored photo the device may read, for devices that need a problem's before-photo on site."""
    check_sha(sha256)
    mime = _visible(request, svc, who, sha256)
    if mime is None:
        raise HqError(Kind.NOT_FOUND, "not_found", key="photo_not_found", sha=sha256)
    return FileResponse(svc.files.path(sha256), media_type=mime)


def _reference(changed: int, unchanged: int) -> ReferenceResult:
    return ReferenceResult(server_time=utcnow(), changed=changed, unchanged=unchanged)


@router.put("/v1/admin/sites", response_model=ReferenceResult, responses=ERRORS, tags=["admin"])
def put_sites(body: SitesUpload, svc: Svc, who: Who) -> ReferenceResult:
    """Add or update sites (点位); devices receive them on their next pull."""
    require_role(who, Role.ADMIN)
    return _reference(*reference.upsert_sites(svc.db, body, actor=who.user, device_id=who.device_id, now=utcnow()))


@router.put("/v1/admin/checklists", response_model=ReferenceResult, responses=ERRORS, tags=["admin"])
def put_checklists(body: ChecklistsUpload, svc: Svc, who: Who) -> ReferenceResult:
    """Publish checklist versions (resolved, includes expanded). A published version never changes."""
    require_role(who, Role.ADMIN)
    return _reference(
        *reference.publish_checklists(svc.db, body, actor=who.user, device_id=who.device_id, now=utcnow())
    )


@router.put("/v1/admin/assignments", response_model=ReferenceResult, responses=ERRORS, tags=["admin"])
def put_assignments(body: AssignmentsUpload, svc: Svc, who: Who) -> ReferenceResult:
    """Assign inspectors to sites (or end an assignment with `active: false`)."""
    require_role(who, Role.ADMIN)
    return _reference(*reference.set_assignments(svc.db, body, actor=who.user, device_id=who.device_id, now=utcnow()))
