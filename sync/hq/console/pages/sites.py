"""点位 (admins): HQ's site registry with filters and export, and the import of a sheet: upload → the plan (added,
changed, unchanged, not in the file) or every bad cell named by row and column → apply, audited with the admin and
the address. The sheet is kept at HQ between preview and apply (uploads.py); apply plans it again from the kept
bytes, so nothing the browser sends back is trusted as content."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from checklists.i18n import Plural
from inspector.core.ids import utcnow
from inspector.core.records import Site
from sync.hq.console.downloads import table_file
from sync.hq.console.pages import uploads
from sync.hq.console.render import render, request_lang
from sync.hq.console.session import Admin, ChangingAdmin, Svc, client_ip
from sync.hq.console.words import WORDS
from sync.hq.services.site_import import HEADINGS, apply_site_plan, hq_sites, plan_site_import

router = APIRouter()

WORDS.update(
    {
        "sites.title": ("点位", "Sites"),
        "sites.type": ("类型", "Type"),
        "sites.id": ("编号", "Id"),
        "sites.name": ("名称", "Name"),
        "sites.grid": ("网格", "Grid"),
        "sites.unit": ("责任单位", "Responsible unit"),
        "sites.checklist": ("检查表", "Checklist"),
        "sites.by_type": ("（按类型）", "(by type)"),
        "sites.none": ("总部还没有点位；请导入点位表。", "HQ holds no site yet; import a site sheet."),
        "sites.import": ("导入点位表", "Import a site sheet"),
        "sites.import_hint": (
            "Excel（.xlsx）或 CSV，表头：名称、类型、区、街道、社区、网格、责任单位、检查表（可选：编号、地址）。"
            "先预览，确认无误后再应用。",
            "Excel (.xlsx) or CSV with the headings name, type, district, street, community, grid, unit, checklist "
            "(optional: id, address), in Chinese or English. Preview first, then apply.",
        ),
        "sites.file": ("文件", "File"),
        "sites.preview": ("预览", "Preview"),
        "sites.apply": ("应用这些变更", "Apply these changes"),
        "sites.cancel": ("取消", "Cancel"),
        "sites.plan": ("{file}：共 {n} 行", "{file}: {n} rows"),
        "sites.added": ("新增 {n} 个", Plural("{n} added", "{n} added")),
        "sites.changed": ("修改 {n} 个", Plural("{n} changed", "{n} changed")),
        "sites.unchanged": ("不变 {n} 个", Plural("{n} unchanged", "{n} unchanged")),
        "sites.missing": (
            "总部有而表中没有 {n} 个（保留不删）",
            Plural("{n} at HQ not in the file (kept)", "{n} at HQ not in the file (kept)"),
        ),
        "sites.fields": ("改动的字段", "Fields changed"),
        "sites.issues": (
            "{n} 处错误，未应用任何变更；请修改文件后重新上传。",
            Plural(
                "{n} problem: nothing applied; fix the file and upload it again.",
                "{n} problems: nothing applied; fix the file and upload it again.",
            ),
        ),
        "sites.row": ("行", "Row"),
        "sites.column": ("列", "Column"),
        "sites.message": ("问题", "Problem"),
        "sites.applied": (
            "已应用：{changed} 个点位写入，{unchanged} 个不变。设备下次同步时获取。",
            "Applied: {changed} sites written, {unchanged} unchanged. Devices get them at their next sync.",
        ),
        "upload.expired": (
            "预览已过期或不属于本次登录，请重新上传文件。",
            "This preview has expired or belongs to another session; upload the file again.",
        ),
        "upload.too_big": ("文件太大（上限 {mb} MB）", "The file is too big (limit {mb} MB)"),
        "upload.missing": ("请选择一个文件", "Choose a file"),
        "list.sep": ("、", ", "),  # between the names of a list written in a sentence
        "list.colon": ("：", ": "),
    }
)

PAGE = 100


def _matches(site: Site, street: str, community: str, site_type: str, q: str) -> bool:
    """Filters compared as plain text in Python: a `%`, `_` or quote is a character like any other."""
    if street and site.street != street:
        return False
    if community and site.community != community:
        return False
    if site_type and site.site_type != site_type:
        return False
    if q:
        text = " ".join((site.id, site.name, site.address, site.responsible_unit, site.grid)).lower()
        return q.lower() in text
    return True


def _headers(lang: str) -> list[str]:
    keys = (
        "sites.id",
        "sites.name",
        "sites.type",
        "col.street",
        "col.community",
        "sites.grid",
        "sites.unit",
        "sites.checklist",
    )
    return [WORDS(k, lang) for k in keys]


def _cells(site: Site, lang: str) -> list[str]:
    return [
        site.id,
        site.name,
        site.site_type,
        site.street,
        site.community,
        site.grid,
        site.responsible_unit,
        site.checklist_id or WORDS("sites.by_type", lang),
    ]


def _filtered(svc: Svc, street: str, community: str, site_type: str, q: str) -> tuple[list[Site], list[Site]]:
    every = hq_sites(svc.db)
    return every, [s for s in every if _matches(s, street.strip(), community.strip(), site_type.strip(), q.strip())]


@router.get("/sites")
async def sites_page(
    request: Request,
    svc: Svc,
    who: Admin,
    street: str = "",
    community: str = "",
    site_type: str = "",
    q: str = "",
    page: int = 1,
) -> Response:
    every, found = await run_in_threadpool(_filtered, svc, street, community, site_type, q)
    pages = max(1, -(-len(found) // PAGE))
    page = min(max(page, 1), pages)
    lang = request_lang(request, who)
    return render(
        request,
        "sites.html",
        who,
        head=_headers(lang),
        rows=[_cells(s, lang) for s in found[(page - 1) * PAGE : page * PAGE]],
        total=len(found),
        page=page,
        pages=pages,
        f={"street": street, "community": community, "site_type": site_type, "q": q},
        streets=sorted({s.street for s in every if s.street}),
        communities=sorted({s.community for s in every if s.community}),
        types=sorted({s.site_type for s in every if s.site_type}),
    )


@router.get("/sites/export")
async def sites_export(
    request: Request,
    svc: Svc,
    who: Admin,
    fmt: Literal["xlsx", "csv"] = "xlsx",
    street: str = "",
    community: str = "",
    site_type: str = "",
    q: str = "",
) -> Response:
    _, found = await run_in_threadpool(_filtered, svc, street, community, site_type, q)
    lang = request_lang(request, who)
    return table_file(fmt, "sites", _headers(lang), [_cells(s, lang) for s in found], sheet="sites")


def _heading(key: str, lang: str) -> str:
    zh, en = HEADINGS[key]
    return en if lang == "en" else zh


@router.post("/sites/preview")
async def sites_preview(
    request: Request, svc: Svc, who: ChangingAdmin, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    lang = request_lang(request, who)
    if file is None or not file.filename:
        return render(request, "sites_import.html", who, status_code=422, error=WORDS("upload.missing", lang))
    try:
        token, path = await uploads.keep(svc, who, file, "sites.xlsx")
    except uploads.TooBig:
        error = WORDS("upload.too_big", lang, mb=uploads.MAX_BYTES // (1024 * 1024))
        return render(request, "sites_import.html", who, status_code=413, error=error)
    plan = await run_in_threadpool(plan_site_import, svc.db, path, shown=path.name)
    if not plan.ok:
        uploads.discard(svc, who, token)
    return render(
        request,
        "sites_import.html",
        who,
        status_code=200,
        plan=plan,
        token=token,
        issues=[(i.row, i.column_letter, i.heading, i.text(lang)) for i in plan.issues],
        changed=[(s, [_heading(f, lang) if f in HEADINGS else f for f in fields]) for s, fields in plan.changed],
    )


@router.post("/sites/apply")
async def sites_apply(
    request: Request, svc: Svc, who: ChangingAdmin, token: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    lang = request_lang(request, who)
    path = uploads.kept(svc, who, token)
    if path is None:
        return render(request, "sites_import.html", who, status_code=410, error=WORDS("upload.expired", lang))
    plan = await run_in_threadpool(plan_site_import, svc.db, path, shown=path.name)
    if not plan.ok:
        uploads.discard(svc, who, token)
        issues = [(i.row, i.column_letter, i.heading, i.text(lang)) for i in plan.issues]
        return render(request, "sites_import.html", who, status_code=422, plan=plan, issues=issues, changed=[])
    changed, unchanged = await run_in_threadpool(
        lambda: apply_site_plan(svc.db, plan, file=path.name, now=utcnow(), actor=who.name, ip=client_ip(request))
    )
    uploads.discard(svc, who, token)
    done = WORDS("sites.applied", lang, changed=changed, unchanged=unchanged)
    return render(request, "sites_import.html", who, done=done)
