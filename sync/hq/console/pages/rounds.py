"""任务批次 (admins): the rounds with their dates (add one, or correct its dates), the assignment sheet (检查员, 点位,
批次: upload → plan or every bad cell named → apply, as the site import), and each inspector's progress in a round:
assigned, done, due and missed with the missed sites, as `inspector hq assign list --round` counts them."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from checklists.i18n import Plural
from inspector.core.ids import utcnow
from sync.hq.console.pages import uploads
from sync.hq.console.render import render, request_lang
from sync.hq.console.session import Admin, ChangingAdmin, Svc, client_ip
from sync.hq.console.words import WORDS
from sync.hq.services.assign_import import apply_assign_plan, plan_assign_import, progress
from sync.hq.services.bulletin import today_at_hq
from sync.hq.services.errors import HqError
from sync.hq.services.rounds import add_round, list_rounds

router = APIRouter()

WORDS.update(
    {
        "rounds.title": ("任务批次", "Rounds"),
        "rounds.name": ("批次名称", "Round"),
        "rounds.from": ("开始日期", "From"),
        "rounds.to": ("结束日期", "To"),
        "rounds.state": ("状态", "State"),
        "rounds.state.upcoming": ("未开始", "upcoming"),
        "rounds.state.open": ("进行中", "open"),
        "rounds.state.closed": ("已结束", "closed"),
        "rounds.none": ("还没有批次。", "No round yet."),
        "rounds.add": ("新增批次 / 修改日期", "Add a round / correct its dates"),
        "rounds.add_submit": ("保存", "Save"),
        "rounds.added": ("已保存批次 {name}", "Round {name} saved"),
        "rounds.progress": ("督查员进度", "Progress by inspector"),
        "rounds.all": ("全部批次", "every round"),
        "rounds.show": ("查看", "Show"),
        "rounds.assigned": ("分配", "Assigned"),
        "rounds.done": ("已检查", "Done"),
        "rounds.due": ("待检查", "Due"),
        "rounds.missed": ("漏检", "Missed"),
        "rounds.missed_sites": ("漏检点位（批次已结束）", "Sites missed (round over)"),
        "rounds.due_sites": ("待检查点位", "Sites due"),
        "rounds.no_assignments": ("没有有效的任务分配。", "No active assignment."),
        "rounds.import": ("导入任务分配表", "Import an assignment sheet"),
        "rounds.import_hint": (
            "Excel（.xlsx）或 CSV，表头：检查员、点位、批次。表中出现的批次以本表为准：未列出的分配将撤销。",
            "Excel (.xlsx) or CSV with the headings inspector, site, batch (in Chinese or English). The file is the "
            "whole list of the rounds it names: assignments it no longer lists are withdrawn.",
        ),
        "assign.plan": ("{file}：共 {n} 行", "{file}: {n} rows"),
        "assign.added": ("新增 {n} 条", Plural("{n} added", "{n} added")),
        "assign.unchanged": ("不变 {n} 条", Plural("{n} unchanged", "{n} unchanged")),
        "assign.withdrawn": ("撤销 {n} 条", Plural("{n} withdrawn", "{n} withdrawn")),
        "assign.issues": (
            "{n} 处错误，未应用任何变更；请修改文件后重新上传。",
            Plural(
                "{n} problem: nothing applied; fix the file and upload it again.",
                "{n} problems: nothing applied; fix the file and upload it again.",
            ),
        ),
        "assign.applied": (
            "已应用：{changed} 条分配写入，{unchanged} 条不变。设备下次同步时获取。",
            "Applied: {changed} assignments written, {unchanged} unchanged. Devices get them at their next sync.",
        ),
    }
)
STATES = {"upcoming": "rounds.state.upcoming", "open": "rounds.state.open", "closed": "rounds.state.closed"}


def _today() -> date:
    return today_at_hq()


@router.get("/rounds")
async def rounds_page(request: Request, svc: Svc, who: Admin, round: str = "", saved: str = "") -> Response:
    chosen = round.strip() or None

    def load() -> tuple[list[object], list[object]]:
        return list(list_rounds(svc.db)), list(progress(svc.db, chosen, today=_today()))

    found, people = await run_in_threadpool(load)
    return render(
        request,
        "rounds.html",
        who,
        rounds=found,
        people=people,
        chosen=round.strip(),
        today=_today(),
        saved=saved,
        states=STATES,
    )


@router.post("/rounds")
async def rounds_add(
    request: Request,
    svc: Svc,
    who: ChangingAdmin,
    name: Annotated[str, Form(max_length=400)],
    date_from: Annotated[date, Form()],
    date_to: Annotated[date, Form()],
) -> Response:
    try:
        await run_in_threadpool(
            lambda: add_round(svc.db, name, date_from, date_to, actor=who.name, now=utcnow(), ip=client_ip(request))
        )
    except HqError as exc:
        found = await run_in_threadpool(list_rounds, svc.db)
        error = exc.text(request_lang(request, who))
        return render(
            request,
            "rounds.html",
            who,
            status_code=422,
            rounds=found,
            people=[],
            chosen="",
            today=_today(),
            error=error,
            saved="",
            states=STATES,
        )
    return RedirectResponse(f"/rounds?saved={_q(name.strip())}", status_code=303)


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


@router.post("/rounds/assign/preview")
async def assign_preview(
    request: Request, svc: Svc, who: ChangingAdmin, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    lang = request_lang(request, who)
    if file is None or not file.filename:
        return render(request, "assign_import.html", who, status_code=422, error=WORDS("upload.missing", lang))
    try:
        token, path = await uploads.keep(svc, who, file, "assignments.xlsx")
    except uploads.TooBig:
        error = WORDS("upload.too_big", lang, mb=uploads.MAX_BYTES // (1024 * 1024))
        return render(request, "assign_import.html", who, status_code=413, error=error)
    plan = await run_in_threadpool(plan_assign_import, svc.db, path, shown=path.name)
    if not plan.ok:
        uploads.discard(svc, who, token)
    issues = [(i.row, i.column_letter, i.heading, i.text(lang)) for i in plan.issues]
    return render(request, "assign_import.html", who, status_code=200, plan=plan, token=token, issues=issues)


@router.post("/rounds/assign/apply")
async def assign_apply(
    request: Request, svc: Svc, who: ChangingAdmin, token: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    lang = request_lang(request, who)
    path = uploads.kept(svc, who, token)
    if path is None:
        return render(request, "assign_import.html", who, status_code=410, error=WORDS("upload.expired", lang))
    plan = await run_in_threadpool(plan_assign_import, svc.db, path, shown=path.name)
    if not plan.ok:
        uploads.discard(svc, who, token)
        issues = [(i.row, i.column_letter, i.heading, i.text(lang)) for i in plan.issues]
        return render(request, "assign_import.html", who, status_code=422, plan=plan, issues=issues)
    changed, unchanged = await run_in_threadpool(
        lambda: apply_assign_plan(svc.db, plan, file=path.name, now=utcnow(), actor=who.name, ip=client_ip(request))
    )
    uploads.discard(svc, who, token)
    done = WORDS("assign.applied", lang, changed=changed, unchanged=unchanged)
    return render(request, "assign_import.html", who, done=done)
