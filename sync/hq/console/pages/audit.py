"""审计日志 (admins): who did what, from where, filtered by actor, action and period (China's days), newest first,
a page at a time, and exported with the same filter. Filters are bound values compared for equality (services/
admin.py `audit_entries`): `%`, `_` and quotes are characters like any other."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Literal

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from sync.hq.console.downloads import table_file, when
from sync.hq.console.render import render, request_lang
from sync.hq.console.session import Admin, Svc
from sync.hq.console.words import WORDS
from sync.hq.services.admin import AuditRow, audit_actions, audit_entries
from sync.hq.services.readmodel import REPORT_TZ

router = APIRouter()

WORDS.update(
    {
        "audit.title": ("审计日志", "Audit log"),
        "audit.actor": ("操作人", "Actor"),
        "audit.action": ("操作", "Action"),
        "audit.at": ("时间", "Time"),
        "audit.ip": ("地址", "Address"),
        "audit.device": ("设备", "Device"),
        "audit.reason": ("拒绝原因", "Refused because"),
        "audit.count": ("次数", "Times"),
        "audit.detail": ("详情", "Detail"),
        "audit.none": ("没有符合条件的记录。", "No entry matches."),
    }
)

PAGE = 50
EXPORT_MAX = 50_000


def _bounds(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    since = datetime.combine(date_from, time(), tzinfo=REPORT_TZ) if date_from else None
    until = datetime.combine(date_to + timedelta(days=1), time(), tzinfo=REPORT_TZ) if date_to else None
    return since, until


def _headers(lang: str) -> list[str]:
    keys = (
        "audit.at",
        "audit.actor",
        "audit.action",
        "audit.ip",
        "audit.device",
        "audit.reason",
        "audit.count",
        "audit.detail",
    )
    return [WORDS(k, lang) for k in keys]


def _cells(r: AuditRow) -> list[str | int]:
    detail = json.dumps(r.detail, ensure_ascii=False, sort_keys=True)
    return [when(r.ts), r.actor, r.action, r.ip or "", r.device_id or "", r.reason or "", r.count, detail]


@router.get("/audit")
async def audit_page(
    request: Request,
    svc: Svc,
    who: Admin,
    actor: str = "",
    action: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
) -> Response:
    page = max(page, 1)
    since, until = _bounds(date_from, date_to)

    def load() -> tuple[list[AuditRow], list[str]]:
        rows = audit_entries(
            svc.db,
            since=since,
            until=until,
            actor=actor.strip() or None,
            action=action.strip() or None,
            limit=PAGE + 1,
            offset=(page - 1) * PAGE,
        )
        return rows, audit_actions(svc.db)

    rows, actions = await run_in_threadpool(load)
    lang = request_lang(request, who)
    return render(
        request,
        "audit.html",
        who,
        head=_headers(lang),
        rows=[_cells(r) for r in rows[:PAGE]],
        more=len(rows) > PAGE,
        page=page,
        actions=actions,
        f={"actor": actor, "action": action, "date_from": date_from, "date_to": date_to},
    )


@router.get("/audit/export")
async def audit_export(
    request: Request,
    svc: Svc,
    who: Admin,
    fmt: Literal["xlsx", "csv"] = "xlsx",
    actor: str = "",
    action: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> Response:
    since, until = _bounds(date_from, date_to)
    rows = await run_in_threadpool(
        lambda: audit_entries(
            svc.db,
            since=since,
            until=until,
            actor=actor.strip() or None,
            action=action.strip() or None,
            limit=EXPORT_MAX,
        )
    )
    lang = request_lang(request, who)
    return table_file(fmt, "audit", _headers(lang), [_cells(r) for r in rows], sheet="audit")
