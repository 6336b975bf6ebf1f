"""One problem: its facts, its timeline with conflicts flagged, the before and after photos side by side, and the
reviewer's decisions on it (the ledger's actions, for this one problem, through the same events)."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from checklists.i18n import Plural
from inspector.core.ids import utcnow
from inspector.core.problems import event_label
from inspector.reports.cg import cg_label
from inspector.reports.facts import problem_number
from sync.hq.console.actions import bulk_from_form, check_reason, form_values
from sync.hq.console.render import render, request_lang
from sync.hq.console.session import Changing, Svc, User, client_ip
from sync.hq.console.views import ALL
from sync.hq.console.words import WORDS
from sync.hq.services.bulletin import today_at_hq
from sync.hq.services.console_auth import ConsoleUser
from sync.hq.services.context import HqServices
from sync.hq.services.problem_actions import act
from sync.hq.services.problem_detail import problem_detail

router = APIRouter()

WORDS.update(
    {
        "problem.title": ("问题 {number}", "Problem {number}"),
        "problem.site": ("点位", "Site"),
        "problem.item": ("检查条目", "Item"),
        "problem.description": ("存在问题", "Problem"),
        "problem.found": ("发现", "Found"),
        "problem.found_by": ("{when}，{who}", "{when}, by {who}"),
        "problem.inspection": ("查看检查记录", "see the inspection"),
        "problem.cg": ("问题类型（数字城管）", "Case type (digital city management)"),
        "problem.rectification": ("整改情况", "Rectification"),
        "problem.review": ("复查结论", "Re-inspection"),
        "problem.reopened": ("反弹次数", "Times reopened"),
        "problem.before": ("整改前", "Before"),
        "problem.after": ("整改后", "After"),
        "problem.no_photo": ("无照片", "no photo"),
        "problem.timeline": ("处理经过", "Timeline"),
        "problem.conflict": ("冲突，待裁决：{reason}", "conflict, to decide: {reason}"),
        "problem.conflicts_note": (
            "有事件在总部的顺序中已不合规则，保留待裁决：请据实交办、销号或作废。",
            "some events no longer fit in HQ's order and are kept for a decision: assign, close or void as is right.",
        ),
        "problem.decide": ("处理", "Decide"),
        "problem.refused": ("未执行：{reason}", "not done: {reason}"),
        "problem.event_by": ("{who}（{device}）", "{who} ({device})"),
        "problem.photos_n": ("照片 {n} 张", Plural("{n} photo", "{n} photos")),
    }
)


def _page(
    request: Request,
    svc: HqServices,
    who: ConsoleUser,
    problem_id: str,
    *,
    error: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    detail = problem_detail(svc.db, problem_id)
    lang = request_lang(request, who)
    conflicted = {c.event.id: c.reason(lang) for c in detail.view.conflicts}
    timeline = [
        {
            "event": e,
            "label": event_label(e.kind, lang),
            "when": e.device_time,
            "conflict": conflicted.get(e.id),
        }
        for e in detail.view.events
    ]
    return render(
        request,
        "problem.html",
        who,
        status_code=status_code,
        d=detail,
        number=problem_number(detail.fact) if detail.fact else detail.problem.id[:8],
        timeline=timeline,
        cg=cg_label(detail.problem.cg_code) if detail.problem.cg_code else "",
        error=error or [],
        view_all=f"status={ALL}",
    )


@router.get("/problems/{problem_id}")
async def problem_page(request: Request, svc: Svc, who: User, problem_id: str) -> Response:
    return await run_in_threadpool(_page, request, svc, who, problem_id)


@router.post("/problems/{problem_id}/act")
async def problem_act(request: Request, svc: Svc, who: Changing, problem_id: str) -> Response:
    form = await form_values(request)
    form["ids"], form["scope"] = [problem_id], "selected"
    bulk = bulk_from_form(form, today_at_hq())
    check_reason(bulk)
    lang = request_lang(request, who)
    outcome = await run_in_threadpool(
        lambda: act(
            svc.db,
            svc.pushes,
            who,
            bulk.action,
            [problem_id],
            unit=bulk.unit,
            rule=bulk.rule,
            note=bulk.note,
            lang=lang,
            now=utcnow(),
            ip=client_ip(request),
        )
    )
    if outcome.applied:
        return RedirectResponse(f"/problems/{problem_id}", status_code=303)
    reasons = [WORDS("problem.refused", lang, reason=r) for r, _ in Counter(outcome.refused).most_common()]
    return await run_in_threadpool(lambda: _page(request, svc, who, problem_id, error=reasons, status_code=409))
