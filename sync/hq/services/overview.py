"""The console's 概览: a period's numbers, the weekly trend, the best and worst 社区, and what needs action today.

Everything is counted in SQL over the read model (a handful of aggregate queries, whatever the city's size): the
console's first page must come up in well under a second on a city-year of records. Days are China's days, as the
read model stores them; 得分率 is the shared `score_rate` over the summed counts, as in the bulletin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Connection, and_, func, select

from inspector.core.problems import OPEN_STATUSES, OVERDUE_STATUSES, ProblemStatus
from inspector.core.scoring import score_rate
from sync.hq.db import Database
from sync.hq.db.models import rm_inspections, rm_problems
from sync.hq.services.ranking import Rank, ranking
from sync.hq.services.readmodel import REPORT_TZ

__all__ = ["Overview", "Week", "overview"]

WEEKS = 12
SOON_DAYS = 2
BEST_WORST = 3


@dataclass(frozen=True, slots=True)
class Week:
    start: date  # a Monday
    rate: float | None  # 得分率 of the week's submitted inspections
    inspections: int
    open_at_end: int  # problems found by the week's end and not closed (nor voided) by then


@dataclass(frozen=True, slots=True)
class Overview:
    date_from: date
    date_to: date
    inspections: int
    sites: int
    rate: float | None
    found: int  # problems found in the period
    closed: int  # problems closed in the period
    open_now: int
    overdue: int  # open and past due today
    due_soon: int  # open, due today or within SOON_DAYS
    conflicts: int  # open problems with an event flagged for a reviewer's decision
    weeks: list[Week]
    best: list[Rank]
    worst: list[Rank]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=REPORT_TZ)


def overview(db: Database, date_from: date, date_to: date, today: date) -> Overview:
    i = rm_inspections.c
    submitted_in = and_(i.submitted.is_(True), i.day >= date_from, i.day <= date_to)
    first_week = today - timedelta(days=today.weekday()) - timedelta(weeks=WEEKS - 1)
    with db.read() as conn:
        counts = conn.execute(
            select(
                func.count(),
                func.count(func.distinct(i.site_id)),
                func.coalesce(func.sum(i.passed), 0),
                func.coalesce(func.sum(i.failed), 0),
            ).where(submitted_in)
        ).one()
        counted = _problem_counts(conn, date_from, date_to, today)
        weekly = {
            row.day: row
            for row in conn.execute(
                select(
                    i.day,
                    func.count().label("n"),
                    func.coalesce(func.sum(i.passed), 0).label("passed"),
                    func.coalesce(func.sum(i.failed), 0).label("failed"),
                )
                .where(i.submitted.is_(True), i.day >= first_week, i.day <= today)
                .group_by(i.day)
            )
        }
        ends = [first_week + timedelta(weeks=n, days=6) for n in range(WEEKS)]
        still_open = _open_at(conn, ends)
    weeks: list[Week] = []
    for n, end in enumerate(ends):
        start = end - timedelta(days=6)
        days = [weekly[d] for d in (start + timedelta(days=k) for k in range(7)) if d in weekly]
        weeks.append(
            Week(
                start=start,
                rate=score_rate(sum(int(d.passed) for d in days), sum(int(d.failed) for d in days)),
                inspections=sum(int(d.n) for d in days),
                open_at_end=still_open[n],
            )
        )
    ranked = [r for r in ranking(db, date_from, date_to, "community") if r.rank]
    shown = min(BEST_WORST, len(ranked) // 2)  # the best and the worst never name the same 社区
    return Overview(
        date_from=date_from,
        date_to=date_to,
        inspections=int(counts[0]),
        sites=int(counts[1]),
        rate=score_rate(int(counts[2]), int(counts[3])),
        found=counted["found"],
        closed=counted["closed"],
        open_now=counted["open"],
        overdue=counted["overdue"],
        due_soon=counted["soon"],
        conflicts=counted["conflicts"],
        weeks=weeks,
        best=ranked[: max(shown, 1)] if ranked else [],
        worst=list(reversed(ranked[len(ranked) - shown :])) if shown else [],
    )


def _count(conn: Connection, *where: ColumnElement[bool]) -> int:
    return int(conn.execute(select(func.count()).select_from(rm_problems).where(*where)).scalar_one())


def _problem_counts(conn: Connection, date_from: date, date_to: date, today: date) -> dict[str, int]:
    """Each number by its own index range (found_on; status + due; status + closed_at; the partial conflicts
    index), not a pass over every problem of the city."""
    p = rm_problems.c
    open_values = sorted(s.value for s in OPEN_STATUSES)
    late_values = sorted(s.value for s in OVERDUE_STATUSES)
    closed = p.status == ProblemStatus.CLOSED.value
    return {
        "found": _count(conn, p.found_on >= date_from, p.found_on <= date_to),
        "closed": _count(
            conn, closed, p.closed_at >= _start_of(date_from), p.closed_at < _start_of(date_to + timedelta(days=1))
        ),
        "open": _count(conn, p.status.in_(open_values)),
        "overdue": _count(conn, p.status.in_(late_values), p.due < today),
        "soon": _count(conn, p.status.in_(late_values), p.due >= today, p.due <= today + timedelta(days=SOON_DAYS)),
        "conflicts": _count(conn, p.conflicts > 0, p.status.in_(open_values)),
    }


def _open_at(conn: Connection, ends: list[date]) -> list[int]:
    """Problems open at the end of each week: found by then, less those voided (never real problems) and those
    closed by then. Counted as a baseline before the first week plus what each week added, so the queries read the
    last weeks' index ranges rather than the whole table once per week."""
    p = rm_problems.c
    first = ends[0] - timedelta(days=6)
    void = p.status == ProblemStatus.VOID.value
    closed = p.status == ProblemStatus.CLOSED.value
    found_before = _count(conn, p.found_on < first) - _count(conn, void, p.found_on < first)
    closed_before = _count(conn, closed, p.closed_at < _start_of(first))
    per_day = select(p.found_on, func.count()).where(p.found_on >= first, p.found_on <= ends[-1]).group_by(p.found_on)
    found_days: dict[date, int] = {row[0]: int(row[1]) for row in conn.execute(per_day)}
    void_days: dict[date, int] = {row[0]: int(row[1]) for row in conn.execute(per_day.where(void))}
    closed_at = [
        moment.astimezone(REPORT_TZ).date()
        for moment in conn.execute(
            select(p.closed_at).where(
                closed, p.closed_at >= _start_of(first), p.closed_at < _start_of(ends[-1] + timedelta(days=1))
            )
        ).scalars()
    ]
    out: list[int] = []
    for end in ends:
        found = found_before + sum(n for day, n in found_days.items() if day <= end)
        found -= sum(n for day, n in void_days.items() if day <= end)
        shut = closed_before + sum(1 for day in closed_at if day <= end)
        out.append(max(0, found - shut))
    return out
