"""排名 / 红黑榜: 街道 and 社区 by 得分率 for a period and 批次, with the change against the previous period of the
same length and the 红榜 / 黑榜 marked by the bulletin's own rule (inspector/reports/bulletin.py `pick_lists`), its
size and minimum from HQ's settings as `hq report bulletin` takes them.

The numbers are services/ranking.py's (SQL sums over the read model, the bulletin's formula); the export writes the
rows the page shows, cell for cell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from inspector.reports.bulletin import ListRules, list_candidates, pick_lists, previous_period
from sync.hq.console.downloads import table_file
from sync.hq.console.render import render, request_lang
from sync.hq.console.session import Svc, User
from sync.hq.console.words import WORDS
from sync.hq.db import Database
from sync.hq.services.bulletin import hq_options, today_at_hq
from sync.hq.services.ranking import Level, Rank, ranking
from sync.hq.services.rounds import list_rounds

router = APIRouter()

WORDS.update(
    {
        "ranking.title": ("排名 / 红黑榜", "Ranking"),
        "ranking.by_street": ("街道排名", "Streets"),
        "ranking.by_community": ("社区排名", "Communities"),
        "ranking.period": (
            "统计期间 {start} 至 {end}；对比上期 {prev_start} 至 {prev_end}",
            "period {start} to {end}; compared with {prev_start} to {prev_end}",
        ),
        "ranking.formula": (
            "得分率 = Σ符合项 ÷（Σ符合项 + Σ不符合项），本期提交的全部检查合并计算，不适用项不计；"
            "得分率相同者名次并列。",
            "score rate = Σpassed ÷ (Σpassed + Σfailed) over every inspection submitted in the period, items not "
            "applicable left out; equal rates share a rank.",
        ),
        "ranking.rules": (
            "红黑榜规则（与督查通报相同）：本期检查不少于 {min} 次的单位按得分率排序，前 {size} 名入红榜、后 {size} 名"
            "入黑榜；参评不足 {double} 个时各取一半，同一单位不会同时上榜。",
            "lists (as the bulletin draws them): of the units inspected at least {min} times, the top {size} are on "
            "the red list and the bottom {size} on the black list (half each when fewer than {double} qualify; no "
            "unit is on both).",
        ),
        "ranking.rank": ("名次", "Rank"),
        "ranking.sites": ("点位数", "Sites"),
        "ranking.inspections": ("检查次数", "Inspections"),
        "ranking.passed": ("符合", "Passed"),
        "ranking.failed": ("不符合", "Failed"),
        "ranking.rate": ("得分率", "Score rate"),
        "ranking.change": ("较上期", "Change"),
        "ranking.list": ("红黑榜", "List"),
        "ranking.red": ("红榜", "red list"),
        "ranking.black": ("黑榜", "black list"),
        "ranking.new": ("上期无", "new"),
        "ranking.same": ("持平", "same"),
        "ranking.points": ("{delta} 个百分点", "{delta} points"),
        "ranking.unranked": ("无可计分项", "nothing scorable"),
        "ranking.empty": ("本期没有已提交的检查", "no submitted inspection in this period"),
    }
)


@dataclass(frozen=True, slots=True)
class Line:
    """One row as the page and the export show it."""

    group: Rank
    rank: str
    change: str
    mark: str  # "red" | "black" | ""

    def cells(self, level: Level, lang: str) -> list[str | int]:
        g = self.group
        place: list[str | int] = [g.street, g.community] if level == "community" else [g.street]
        rate = "—" if g.rate is None else f"{g.rate * 100:.1f}%"
        mark = WORDS(f"ranking.{self.mark}", lang) if self.mark else ""
        return [self.rank, *place, g.sites, g.inspections, g.passed, g.failed, rate, self.change, mark]


def _change(now: float | None, before: Rank | None, lang: str) -> str:
    if now is None:
        return "—"
    if before is None or before.rate is None:
        return WORDS("ranking.new", lang)
    points = round((now - before.rate) * 100, 1)
    if points == 0:
        return WORDS("ranking.same", lang)
    return WORDS("ranking.points", lang, delta=f"{points:+.1f}")


def lines(
    db: Database, start: date, end: date, level: Level, batch: str | None, lang: str, rules: ListRules
) -> list[Line]:
    now = ranking(db, start, end, level, batch)
    prev_from, prev_to = previous_period(start, end)
    before = {(g.street, g.community): g for g in ranking(db, prev_from, prev_to, level, batch)}
    ranked = [g for g in now if g.rank]
    eligible, _ = list_candidates(ranked, rules)
    red, black = pick_lists(eligible, rules)
    marks = {id(g): "red" for g in red} | {id(g): "black" for g in black}
    return [
        Line(
            g,
            str(g.rank) if g.rank else WORDS("ranking.unranked", lang),
            _change(g.rate, before.get((g.street, g.community)), lang),
            marks.get(id(g), ""),
        )
        for g in now
    ]


def headers(level: Level, lang: str) -> list[str]:
    place = ["col.street", "col.community"] if level == "community" else ["col.street"]
    keys = [
        "ranking.rank",
        *place,
        "ranking.sites",
        "ranking.inspections",
        "ranking.passed",
        "ranking.failed",
        "ranking.rate",
        "ranking.change",
        "ranking.list",
    ]
    return [WORDS(k, lang) for k in keys]


def _period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    today = today_at_hq()
    return date_from or today.replace(day=1), date_to or today


@router.get("/ranking")
async def ranking_page(
    request: Request,
    svc: Svc,
    who: User,
    date_from: date | None = None,
    date_to: date | None = None,
    batch: str = "",
) -> Response:
    start, end = _period(date_from, date_to)
    if start > end:
        start, end = end, start
    lang = request_lang(request, who)
    chosen = batch.strip() or None

    def load() -> tuple[list[Line], list[Line], list[str], ListRules]:
        rules = hq_options(svc.db).rules
        streets = lines(svc.db, start, end, "street", chosen, lang, rules)
        communities = lines(svc.db, start, end, "community", chosen, lang, rules)
        return streets, communities, [r.name for r in list_rounds(svc.db)], rules

    streets, communities, rounds, rules = await run_in_threadpool(load)
    prev_from, prev_to = previous_period(start, end)
    return render(
        request,
        "ranking.html",
        who,
        start=start,
        end=end,
        prev_from=prev_from,
        prev_to=prev_to,
        batch=batch.strip(),
        rounds=rounds,
        tables=[
            ("street", "ranking.by_street", streets, headers("street", lang)),
            ("community", "ranking.by_community", communities, headers("community", lang)),
        ],
        rules=rules,
    )


@router.get("/ranking/export")
async def ranking_export(
    request: Request,
    svc: Svc,
    who: User,
    level: Literal["street", "community"] = "community",
    fmt: Literal["xlsx", "csv"] = "xlsx",
    date_from: date | None = None,
    date_to: date | None = None,
    batch: str = "",
) -> Response:
    start, end = _period(date_from, date_to)
    if start > end:
        start, end = end, start
    lang = request_lang(request, who)
    found = await run_in_threadpool(
        lambda: lines(svc.db, start, end, level, batch.strip() or None, lang, hq_options(svc.db).rules)
    )
    rows = [line.cells(level, lang) for line in found]
    return table_file(fmt, f"ranking-{level}", headers(level, lang), rows, sheet=level)
