"""问题台账: the filtered ledger, its export, and bulk 交办 / 销号 / 作废 / 挂账 over chosen rows or every matching one.

A bulk action takes two steps. The confirmation counts the rows it would touch at that moment ("all N matching" is
the exact count of the filter, not of the page); the action recounts, and when the filter now holds a different
number (someone synced or acted in between) it asks again with the new count instead of acting on rows nobody
confirmed. Every decision goes through services/problem_actions.py as problem events, like a device's.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from checklists.i18n import Plural
from inspector.core.ids import utcnow
from inspector.core.problems import OPEN_STATUSES, ProblemStatus
from inspector.core.records import Severity
from inspector.reports import ReportData
from inspector.reports.export import write_ledger
from inspector.reports.facts import ProblemFact, problem_number
from sync.hq.console.actions import Bulk, bulk_from_form, check_reason, deadline_words, form_values
from sync.hq.console.downloads import check_format, download
from sync.hq.console.render import render, request_lang
from sync.hq.console.session import Changing, Svc, User, client_ip, wants_fragment
from sync.hq.console.views import LedgerView, ledger_view
from sync.hq.console.words import WORDS
from sync.hq.services.bulletin import today_at_hq
from sync.hq.services.console_auth import ConsoleUser
from sync.hq.services.context import HqServices
from sync.hq.services.errors import HqError, Kind
from sync.hq.services.ledger import ledger_ids, ledger_page, ledger_where
from sync.hq.services.problem_actions import Outcome, act
from sync.hq.services.readmodel import REPORT_TZ
from sync.hq.services.reference import sites_by_id
from sync.hq.services.report_source import HqSource

router = APIRouter()

EXPORT_MAX = 200_000  # rows in one download; the CLI export takes the whole city

WORDS.update(
    {
        "ledger.title": ("问题台账", "Problem ledger"),
        "ledger.status": ("状态", "Status"),
        "ledger.status.open": ("未销号（全部在办）", "open (all in progress)"),
        "ledger.status.all": ("全部状态", "every status"),
        "ledger.overdue": ("已逾期", "overdue"),
        "ledger.due_soon": ("2 天内到期", "due within 2 days"),
        "ledger.conflicts": ("有冲突", "with conflicts"),
        "ledger.severity": ("严重程度", "Severity"),
        "ledger.unit": ("责任单位", "Responsible unit"),
        "ledger.item": ("条目编号", "Item code"),
        "ledger.sort": ("排序", "Sort"),
        "ledger.sort.due": ("按期限", "by due date"),
        "ledger.sort.found": ("最新发现", "newest first"),
        "ledger.sort.status": ("按状态", "by status"),
        "ledger.sort.unit": ("按责任单位", "by unit"),
        "ledger.col.number": ("问题编号", "Number"),
        "ledger.col.item": ("检查条目", "Item"),
        "ledger.col.problem": ("存在问题", "Problem"),
        "ledger.col.due": ("整改期限", "Due"),
        "ledger.overdue_days": ("逾期 {n} 天", Plural("{n} day overdue", "{n} days overdue")),
        "ledger.conflict_tag": ("冲突", "conflict"),
        "ledger.empty": ("没有符合筛选条件的问题", "no problem matches the filters"),
        "ledger.select_page": ("选择本页", "select this page"),
        "bulk.title": ("批量处理", "Bulk action"),
        "bulk.scope.selected": ("所选问题", "the selected problems"),
        "bulk.scope.all": ("全部符合筛选的 {n} 个", Plural("all {n} matching", "all {n} matching")),
        "bulk.action": ("操作", "Action"),
        "action.assign": ("交办", "Assign"),
        "action.close": ("销号", "Close"),
        "action.void": ("作废", "Void"),
        "action.shelve": ("挂账", "Shelve"),
        "bulk.unit": ("责任单位（交办）", "Unit (assign)"),
        "bulk.deadline": ("整改时限（交办）", "Deadline (assign)"),
        "bulk.deadline.keep": ("不变", "unchanged"),
        "bulk.deadline.immediate": ("立行立改", "immediately"),
        "bulk.deadline.days": ("N 天", "N days"),
        "bulk.deadline.workdays": ("N 个工作日", "N working days"),
        "bulk.n": ("N", "N"),
        "bulk.note": ("说明 / 原因（作废、挂账必填）", "Note / reason (needed to void or shelve)"),
        "bulk.next": ("下一步：确认", "Next: confirm"),
        "bulk.confirm_title": ("请确认", "Please confirm"),
        "bulk.confirm": (
            "将对 {n} 个问题执行「{action}」。",
            Plural("{action}: {n} problem will be changed.", "{action}: {n} problems will be changed."),
        ),
        "bulk.confirm_unit": ("责任单位：{unit}；整改时限：{deadline}", "unit: {unit}; deadline: {deadline}"),
        "bulk.confirm_note": ("说明：{note}", "note: {note}"),
        "bulk.changed": (
            "筛选结果已变化：确认时是 {before} 个，现在是 {n} 个。请再次确认。",
            "the filter changed: {before} when you confirmed, {n} now. Confirm again.",
        ),
        "bulk.do": ("确认执行", "Confirm"),
        "bulk.cancel": ("取消", "Cancel"),
        "bulk.nothing": ("没有选择任何问题", "no problem is selected"),
        "bulk.done_title": ("处理结果", "Result"),
        "bulk.done": (
            "「{action}」已生效 {n} 个问题，设备下次同步时即可看到。",
            Plural(
                "{action}: done for {n} problem; devices see it at their next sync.",
                "{action}: done for {n} problems; devices see it at their next sync.",
            ),
        ),
        "bulk.refused": ("未执行 {n} 个：{reason}", Plural("{n} not done: {reason}", "{n} not done: {reason}")),
        "bulk.back": ("返回台账", "Back to the ledger"),
        "ledger.print": ("打印本页（最多 1000 条）", "Print view (up to 1,000 rows)"),
        "ledger.file": ("问题台账-{day}.{fmt}", "ledger-{day}.{fmt}"),
    }
)


@dataclass(frozen=True)
class Row:
    fact: ProblemFact
    number: str
    site: str
    street: str
    community: str
    overdue_days: int


def _rows(svc: HqServices, facts: Sequence[ProblemFact], today: date) -> list[Row]:
    named = sites_by_id(svc.db, [f.site_id for f in facts])
    rows = []
    for fact in facts:
        site = named.get(fact.site_id)
        rows.append(
            Row(
                fact=fact,
                number=problem_number(fact),
                site=site.name if site else fact.site_id,
                street=site.street if site else "",
                community=site.community if site else "",
                overdue_days=fact.overdue_days(today),
            )
        )
    return rows


def _today() -> date:
    return today_at_hq()


def _page(svc: HqServices, view: LedgerView, today: date) -> tuple[int, list[Row]]:
    total, facts = ledger_page(
        svc.db, view.filters, view.sort, view.offset, view.size, statuses=view.statuses, narrow=view.narrow
    )
    return total, _rows(svc, facts, today)


@router.get("/ledger")
async def ledger(request: Request, svc: Svc, who: User) -> Response:
    today = _today()
    view = ledger_view(request.query_params, today)
    total, rows = await run_in_threadpool(_page, svc, view, today)
    context: dict[str, Any] = {
        "view": view,
        "total": total,
        "rows": rows,
        "pages": max(1, -(-total // view.size)),
        "statuses": list(ProblemStatus),
        "open_statuses": OPEN_STATUSES,
        "severities": list(Severity),
        "sorts": ("due", "found", "status", "unit"),
        "today": today,
    }
    if wants_fragment(request):
        return render(request, "_ledger_results.html", who, **context)
    return render(request, "ledger.html", who, **context)


def _targets(svc: HqServices, bulk: Bulk) -> list[str]:
    if bulk.scope == "all":
        return ledger_ids(svc.db, ledger_where(bulk.view.filters, bulk.view.statuses, bulk.view.narrow))
    return list(dict.fromkeys(bulk.ids))


def _confirmation(
    request: Request, who: ConsoleUser, bulk: Bulk, count: int, *, changed_from: int | None = None
) -> Response:
    lang = request_lang(request, who)
    template = "_bulk_confirm.html" if wants_fragment(request) else "bulk_confirm.html"
    return render(
        request,
        template,
        who,
        bulk=bulk,
        count=count,
        changed_from=changed_from,
        action_label=WORDS(f"action.{bulk.action.value}", lang),
        deadline=deadline_words(bulk.rule, lang),
    )


@router.post("/ledger/confirm")
async def confirm(request: Request, svc: Svc, who: Changing) -> Response:
    bulk = bulk_from_form(await form_values(request), _today())
    check_reason(bulk)
    targets = await run_in_threadpool(_targets, svc, bulk)
    return _confirmation(request, who, bulk, len(targets))


@router.post("/ledger/act")
async def do(request: Request, svc: Svc, who: Changing) -> Response:
    form = await form_values(request)
    bulk = bulk_from_form(form, _today())
    check_reason(bulk)
    targets = await run_in_threadpool(_targets, svc, bulk)
    expected = str(form.get("expected", ""))
    if not expected.isdigit() or int(expected) != len(targets):
        return _confirmation(request, who, bulk, len(targets), changed_from=int(expected) if expected.isdigit() else 0)
    if not targets:
        raise HqError(Kind.INVALID, "nothing", key="console_nothing_selected")
    lang = request_lang(request, who)
    outcome: Outcome = await run_in_threadpool(
        lambda: act(
            svc.db,
            svc.pushes,
            who,
            bulk.action,
            targets,
            unit=bulk.unit,
            rule=bulk.rule,
            note=bulk.note,
            lang=lang,
            now=utcnow(),
            ip=client_ip(request),
        )
    )
    return render(
        request,
        "bulk_done.html",
        who,
        outcome=outcome,
        refused=Counter(outcome.refused).most_common(),
        action_label=WORDS(f"action.{bulk.action.value}", lang),
        back=f"/ledger?{bulk.view_query}",
    )


@router.get("/ledger/export")
async def export(request: Request, svc: Svc, who: User, format: str = "xlsx") -> Response:
    fmt = check_format(format)
    today = _today()
    view = ledger_view(request.query_params, today)
    lang = request_lang(request, who)
    path = Path(tempfile.mkdtemp(prefix="hq-download-")) / f"ledger.{fmt}"

    def write() -> None:
        _, facts = ledger_page(
            svc.db, view.filters, view.sort, 0, EXPORT_MAX, statuses=view.statuses, narrow=view.narrow
        )
        source = HqSource(svc.db, svc.files.folder)  # the photos' folder: a small view gets thumbnails
        data = ReportData(sites_by_id(svc.db, [f.site_id for f in facts]), [], facts, source, view.filters)
        write_ledger(path, fmt, data, facts, today, lang, REPORT_TZ)

    await run_in_threadpool(write)
    return download(path, WORDS("ledger.file", lang, day=today.isoformat(), fmt=fmt))
