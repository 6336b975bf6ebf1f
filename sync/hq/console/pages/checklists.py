"""检查表 (admins): the published checklists, and the upload of one YAML file: checked by the loader of `inspector
checklist validate` (its `FILE:LINE:` messages shown on the page, naming the file as uploaded) → publish. A published
id@version never changes: the same version with other content is refused, saying what differs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from checklists.i18n import Plural, pick
from checklists.messages import ChecklistError
from inspector.core.ids import utcnow
from sync.hq.console.pages import uploads
from sync.hq.console.render import render, request_lang
from sync.hq.console.session import Admin, ChangingAdmin, Svc, client_ip
from sync.hq.console.words import WORDS
from sync.hq.services.checklist_publish import Published, check_file, publish_file
from sync.hq.services.errors import HqError
from sync.hq.services.site_import import published_checklists

router = APIRouter()

WORDS.update(
    {
        "checklists.title": ("检查表", "Checklists"),
        "checklists.id": ("编号", "Id"),
        "checklists.version": ("版本", "Version"),
        "checklists.name": ("名称", "Title"),
        "checklists.type": ("点位类型", "Site type"),
        "checklists.items": ("条目数", "Items"),
        "checklists.published": ("发布时间", "Published"),
        "checklists.none": ("总部还没有发布检查表。", "HQ has published no checklist yet."),
        "checklists.upload": ("上传检查表", "Upload a checklist"),
        "checklists.hint": (
            "YAML 文件，格式与 inspector checklist validate 相同。已发布的 编号@版本 不可更改：修改内容请提高版本号。",
            "A YAML file in the format inspector checklist validate checks. A published id@version never changes: "
            "raise the version to change its content.",
        ),
        "checklists.check": ("检查", "Check"),
        "checklists.errors": (
            "{n} 处错误，未发布；请修改文件后重新上传。",
            Plural(
                "{n} error: nothing published; fix the file and upload it again.",
                "{n} errors: nothing published; fix the file and upload it again.",
            ),
        ),
        "checklists.valid": (
            "{checklist}「{title}」：{items} 个条目，检查无误。",
            "{checklist} \u201c{title}\u201d: {items} items, no error.",
        ),
        "checklists.same": (
            "{checklist} 已以相同内容发布，无需再发布。",
            "{checklist} is already published with this content.",
        ),
        "checklists.publish": ("发布", "Publish"),
        "checklists.done": (
            "已发布 {checklist}；设备下次同步时获取。",
            "Published {checklist}; devices get it at their next sync.",
        ),
        "checklists.refused": ("不能发布", "Cannot publish"),
    }
)


def _lines(errors: list[ChecklistError], name: str) -> list[str]:
    """The loader's `FILE:LINE: message`, with the file named as the admin uploaded it (not HQ's folder)."""
    shown = []
    for e in errors:
        file = Path(str(e.path)).name or name
        shown.append(f"{file}:{e.line}: {e.message}")
    return shown


@router.get("/checklists")
async def checklists_page(request: Request, svc: Svc, who: Admin) -> Response:
    found = await run_in_threadpool(published_checklists, svc.db)
    return render(request, "checklists.html", who, found=found)


def _summary(result: Published, lang: str) -> dict[str, object]:
    c = result.checklist
    assert c is not None
    return {"key": c.key, "title": pick((c.title, c.title_en or c.title), lang), "items": len(c.items)}


@router.post("/checklists/preview")
async def checklists_preview(
    request: Request, svc: Svc, who: ChangingAdmin, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    lang = request_lang(request, who)
    if file is None or not file.filename:
        return render(request, "checklists_upload.html", who, status_code=422, error=WORDS("upload.missing", lang))
    try:
        token, path = await uploads.keep(svc, who, file, "checklist.yaml")
    except uploads.TooBig:
        error = WORDS("upload.too_big", lang, mb=uploads.MAX_BYTES // (1024 * 1024))
        return render(request, "checklists_upload.html", who, status_code=413, error=error)
    try:
        result = await run_in_threadpool(lambda: check_file(svc.db, path, lang=lang))
    except HqError as exc:
        uploads.discard(svc, who, token)
        return render(request, "checklists_upload.html", who, status_code=409, refused=exc.text(lang))
    if result.checklist is None:
        uploads.discard(svc, who, token)
        errors = _lines(result.errors, path.name)
        return render(request, "checklists_upload.html", who, errors=errors, file=path.name)
    if not result.new:
        uploads.discard(svc, who, token)
        return render(request, "checklists_upload.html", who, same=_summary(result, lang))
    return render(request, "checklists_upload.html", who, valid=_summary(result, lang), token=token)


@router.post("/checklists/publish")
async def checklists_publish(
    request: Request, svc: Svc, who: ChangingAdmin, token: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    lang = request_lang(request, who)
    path = uploads.kept(svc, who, token)
    if path is None:
        return render(request, "checklists_upload.html", who, status_code=410, error=WORDS("upload.expired", lang))
    try:
        result = await run_in_threadpool(
            lambda: publish_file(svc.db, path, now=utcnow(), lang=lang, actor=who.name, ip=client_ip(request))
        )
    except HqError as exc:
        return render(request, "checklists_upload.html", who, status_code=409, refused=exc.text(lang))
    finally:
        uploads.discard(svc, who, token)
    if result.checklist is None:
        errors = _lines(result.errors, path.name)
        return render(request, "checklists_upload.html", who, status_code=422, errors=errors, file=path.name)
    return render(request, "checklists_upload.html", who, done=_summary(result, lang))
