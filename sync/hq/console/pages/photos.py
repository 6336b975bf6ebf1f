"""Photos in the console: the full image, and a thumbnail for lists and pages. Every console user is a reviewer or
an admin, who may read every record and so every photo; the check is still made per photo by the photo store's
own rule, so a change to that rule reaches the console too."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, Response

from sync.hq.console.session import Svc, User
from sync.hq.services.attachments import check_sha
from sync.hq.services.auth import Principal
from sync.hq.services.console_auth import ConsoleUser
from sync.hq.services.context import HqServices
from sync.hq.services.errors import HqError, Kind
from sync.hq.services.problem_actions import CONSOLE_DEVICE

router = APIRouter()

CACHE = "private, max-age=86400, immutable"  # a photo's address is its sha256: its bytes never change


def _file(svc: HqServices, who: ConsoleUser, sha256: str) -> tuple[str, str]:
    check_sha(sha256)
    asker = Principal(user_id=who.user_id, user=who.name, role=who.role, device_id=CONSOLE_DEVICE)
    mime = svc.files.mime(sha256)
    path = svc.files.path(sha256)
    if mime is None or not path.is_file() or not svc.files.readable(asker, sha256):
        raise HqError(Kind.NOT_FOUND, "photo_not_found", sha=sha256)
    return str(path), mime


@router.get("/photos/{sha256}")
async def photo(svc: Svc, who: User, sha256: str) -> Response:
    path, mime = await run_in_threadpool(_file, svc, who, sha256)
    return FileResponse(path, media_type=mime, headers={"Cache-Control": CACHE})


@router.get("/photos/{sha256}/thumb")
async def thumbnail(svc: Svc, who: User, sha256: str) -> Response:
    path, mime = await run_in_threadpool(_file, svc, who, sha256)
    return FileResponse(path, media_type=mime, headers={"Cache-Control": CACHE})
