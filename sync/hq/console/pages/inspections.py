"""检查记录: every inspection HQ holds, filtered and paged, exported as shown; and one inspection with every item,
its verdict, note, quick-picks, severity and photos, and the problems it created."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.responses import Response

from checklists.i18n import Plural
from inspector.core.records import Verdict
from inspector.reports.facts import problem_number
from sync.hq.console.downloads import check_format, table_file
from sync.hq.console.render import render, request_lang
from sync.hq.console.session import Svc, User, wants_fragment
from sync.hq.console.views import PAGE_SIZE, bad_param, day_param, page_param, text_param, urlencode_kept
from sync.hq.console.words import WORDS
from sync.hq.services.inspections import InspectionQuery, inspection_detail, inspection_page
from sync.hq.services.reference import sites_by_id

router = APIRouter()

EXPORT_MAX = 100_000

WORDS.update(
    {
        "insp.title": ("检查记录", "Inspections"),
        "insp.site_type": ("点位类型", "Site type"),
        "insp.checklist": ("检查表", "Checklist"),
        "insp.inspector": ("督查员", "Inspector"),
        "insp.rate_min": ("得分率 ≥ (%)", "Score ≥ (%)"),
        "insp.rate_max": ("得分率 ≤ (%)", "Score ≤ (%)"),
        "insp.col.day": ("检查日期", "Date"),
        "insp.col.passed": ("符合", "Passed"),
        "insp.col.failed": ("不符合", "Failed"),
        "insp.col.na": ("不适用", "N/A"),
        "insp.col.rate": ("得分率", "Score"),
        "insp.empty": ("没有符合筛选条件的检查记录", "no inspection matches the filters"),
        "insp.one": ("检查记录：{site}，{day}", "Inspection: {site}, {day}"),
        "insp.by": ("督查员 {who}，{start} 至 {end}", "by {who}, {start} to {end}"),
        "insp.counts": (
            "符合 {passed}，不符合 {failed}，不适用 {na}，得分率 {rate}",
            "passed {passed}, failed {failed}, not applicable {na}, score {rate}",
        ),
        "insp.item": ("条目", "Item"),
        "insp.verdict": ("结论", "Verdict"),
        "insp.note": ("情况说明", "Note"),
        "insp.photos": ("照片", "Photos"),
        "insp.problems": ("产生的问题", "Problems created"),
        "insp.no_problems": ("这次检查没有产生问题", "this inspection created no problems"),
        "insp.unanswered": ("未作答", "not answered"),
        "insp.exemption": ("不适用理由：{why}", "not applicable because: {why}"),
        "insp.supersedes": ("本记录更正了 {id}", "this record corrects {id}"),
        "insp.picks": ("快选：{picks}", "quick picks: {picks}"),
        "insp.n_problems": ("{n} 个问题", Plural("{n} problem", "{n} problems")),
        "verdict.pass": ("符合", "pass"),
        "verdict.fail": ("不符合", "fail"),
        "verdict.na": ("不适用", "n/a"),
    }
)

PARAMS = ("date_from", "date_to", "street", "community", "site_type", "checklist", "inspector", "batch",
          "rate_min", "rate_max", "q")  # fmt: skip


def _rate(params: QueryParams, name: str) -> float | None:
    value = text_param(params, name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise bad_param(name, value) from None
    if not 0 <= number <= 100:
        raise bad_param(name, value)
    return number / 100


def _query(params: QueryParams) -> InspectionQuery:
    return InspectionQuery(
        date_from=day_param(params, "date_from"),
        date_to=day_param(params, "date_to"),
        street=text_param(params, "street"),
        community=text_param(params, "community"),
        site_type=text_param(params, "site_type"),
        checklist=text_param(params, "checklist"),
        inspector=text_param(params, "inspector"),
        batch=text_param(params, "batch"),
        rate_min=_rate(params, "rate_min"),
        rate_max=_rate(params, "rate_max"),
        text=text_param(params, "q"),
    )


@dataclass(frozen=True)
class Listed:
    id: str
    day: str
    site: str
    street: str
    community: str
    site_type: str
    checklist: str
    inspector: str
    batch: str
    passed: int
    failed: int
    na: int
    rate: float | None


def _listed(svc: Svc, query: InspectionQuery, offset: int, limit: int) -> tuple[int, list[Listed]]:
    total, rows = inspection_page(svc.db, query, offset, limit)
    named = sites_by_id(svc.db, [r.fact.site_id for r in rows])
    return total, [
        Listed(
            id=r.fact.id,
            day=r.fact.day.isoformat(),
            site=named[r.fact.site_id].name if r.fact.site_id in named else r.fact.site_id,
            street=r.street,
            community=r.community,
            site_type=r.site_type,
            checklist=r.fact.checklist,
            inspector=r.fact.inspector,
            batch=r.fact.batch,
            passed=r.fact.counts.passed,
            failed=r.fact.counts.failed,
            na=r.fact.counts.not_applicable,
            rate=r.rate,
        )
        for r in rows
    ]


@router.get("/inspections")
async def inspections(request: Request, svc: Svc, who: User) -> Response:
    params = request.query_params
    query, page = _query(params), page_param(params)
    total, rows = await run_in_threadpool(_listed, svc, query, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    kept = urlencode_kept(params, PARAMS)
    context: dict[str, Any] = {
        "q": query,
        "raw": {name: params.get(name, "") for name in PARAMS},
        "total": total,
        "rows": rows,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "kept": kept,
    }
    if wants_fragment(request):
        return render(request, "_inspections_results.html", who, **context)
    return render(request, "inspections.html", who, **context)


@router.get("/inspections/export")
async def export(request: Request, svc: Svc, who: User, format: str = "xlsx") -> Response:
    fmt = check_format(format)
    lang = request_lang(request, who)
    query = _query(request.query_params)
    keys = (
        "insp.col.day",
        "col.site",
        "col.street",
        "col.community",
        "insp.site_type",
        "insp.checklist",
        "insp.inspector",
        "col.batch",
        "insp.col.passed",
        "insp.col.failed",
        "insp.col.na",
        "insp.col.rate",
    )

    _, rows = await run_in_threadpool(_listed, svc, query, 0, EXPORT_MAX)
    cells = (
        [
            r.day,
            r.site,
            r.street,
            r.community,
            r.site_type,
            r.checklist,
            r.inspector,
            r.batch,
            r.passed,
            r.failed,
            r.na,
            None if r.rate is None else round(r.rate, 4),
        ]
        for r in rows
    )
    return table_file(fmt, "inspections", [WORDS(k, lang) for k in keys], cells, sheet=WORDS("insp.title", lang))


@router.get("/inspections/{inspection_id}")
async def inspection(request: Request, svc: Svc, who: User, inspection_id: str) -> Response:
    detail = await run_in_threadpool(inspection_detail, svc.db, inspection_id)
    record = detail.inspection
    items = []
    listed = detail.checklist.items if detail.checklist else []
    known = {item.code for item in listed}
    sections = {i.code: s.title for s in detail.checklist.sections for i in s.items} if detail.checklist else {}
    for item in listed:
        items.append((item.code, item.title, sections.get(item.code, ""), record.results.get(item.code)))
    items += [(code, "", "", result) for code, result in record.results.items() if code not in known]
    return render(
        request,
        "inspection.html",
        who,
        d=detail,
        items=items,
        numbers={p.id: problem_number(p) for p in detail.problems},
        Verdict=Verdict,
    )
