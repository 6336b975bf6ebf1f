"""概览: this period at a glance, the weekly trend, the best and worst 社区, and what needs action today."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from checklists.i18n import Plural
from inspector.core.ids import utcnow
from sync.hq.console.charts import Point, bars_and_line
from sync.hq.console.render import render, request_lang
from sync.hq.console.session import Svc, User
from sync.hq.console.words import WORDS
from sync.hq.services.bulletin import today_at_hq
from sync.hq.services.overview import overview

router = APIRouter()

PERIOD_DAYS = 30  # the default period: the last 30 days, today included

WORDS.update(
    {
        "overview.title": ("概览", "Overview"),
        "overview.inspections": ("检查次数", "Inspections"),
        "overview.sites": ("覆盖点位 {n} 个", Plural("{n} site", "{n} sites")),
        "overview.rate": ("得分率", "Score rate"),
        "overview.found": ("发现问题", "Problems found"),
        "overview.closed": ("已销号", "Closed"),
        "overview.open": ("未销号问题 {n} 个", Plural("{n} open problem", "{n} open problems")),
        "overview.trend": ("近 12 周趋势", "The last 12 weeks"),
        "overview.trend_open": ("未销号问题（周末）", "open problems (week's end)"),
        "overview.trend_rate": ("得分率", "score rate"),
        "overview.best": ("得分率最高的社区", "Best communities"),
        "overview.worst": ("得分率最低的社区", "Worst communities"),
        "overview.no_ranking": ("本期还没有可排名的检查", "nothing to rank in this period yet"),
        "overview.today": ("今日待办", "Needs action today"),
        "overview.overdue": ("已逾期", "Overdue"),
        "overview.due_soon": ("2 天内到期", "Due within 2 days"),
        "overview.conflicts": ("待裁决的冲突", "Conflicts to decide"),
        "overview.see": ("查看", "see them"),
        "overview.formula": (
            "得分率 = 符合项 ÷（符合项 + 不符合项），不适用项不计",
            "score rate = passed ÷ (passed + failed); items not applicable are left out",
        ),
    }
)


@router.get("/")
async def overview_page(
    request: Request, svc: Svc, who: User, date_from: date | None = None, date_to: date | None = None
) -> Response:
    today = today_at_hq()
    start = date_from or today - timedelta(days=PERIOD_DAYS - 1)
    end = date_to or today
    data = await run_in_threadpool(overview, svc.db, start, end, today)
    lang = request_lang(request, who)
    chart = bars_and_line(
        [Point(f"{w.start:%m-%d}", float(w.open_at_end), w.rate) for w in data.weeks],
        bar_title=WORDS("overview.trend_open", lang),
        line_title=WORDS("overview.trend_rate", lang),
    )
    return render(request, "overview.html", who, data=data, chart=chart, today=today, now=utcnow())
