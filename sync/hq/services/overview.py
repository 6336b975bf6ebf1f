"""The console's 概览: a period's numbers, the weekly trend, the best and worst 社区, and what needs action today.

Everything is counted in SQL over the read model (a handful of aggregate queries, whatever the city's size): the
console's first page must come up in well under a second on a city-year of records. Days are China's days, as the
read model stores them; 得分率 is the shared `score_rate` over the summed counts, as in the bulletin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select

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
    i, p = rm_inspections.c, rm_problems.c
    submitted_in = and_(i.submitted.is_(True), i.day >= date_from, i.day <= date_to)
    open_values = sorted(s.value for s in OPEN_STATUSES)
    late_values = sorted(s.value for s in OVERDUE_STATUSES)
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
        problems = conn.execute(
            select(
                func.sum(case((and_(p.found_on >= date_from, p.found_on <= date_to), 1), else_=0)),
                func.sum(
                    case(
                        (
                            and_(
                                p.status == ProblemStatus.CLOSED.value,
                                p.closed_at >= _start_of(date_from),
                                p.closed_at < _start_of(date_to + timedelta(days=1)),
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                func.sum(case((p.status.in_(open_values), 1), else_=0)),
                func.sum(case((and_(p.status.in_(late_values), p.due < today), 1), else_=0)),
                func.sum(
                    case(
                        (
                            and_(p.status.in_(late_values), p.due >= today, p.due <= today + timedelta(days=SOON_DAYS)),
                            1,
                        ),
                        else_=0,
                    )
                ),
                func.sum(case((and_(p.status.in_(open_values), p.conflicts > 0), 1), else_=0)),
            )
        ).one()
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
        still_open = conn.execute(  # one pass over the problems for all the weeks
            select(
                *(
                    func.sum(
                        case(
                            (
                                and_(
                                    p.found_on <= end,
                                    (p.closed_at.is_(None)) | (p.closed_at >= _start_of(end + timedelta(days=1))),
                                ),
                                1,
                            ),
                            else_=0,
                        )
                    )
                    for end in ends
                )
            ).where(p.status != ProblemStatus.VOID.value, p.found_on <= ends[-1])
        ).one()
    weeks: list[Week] = []
    for n, end in enumerate(ends):
        start = end - timedelta(days=6)
        days = [weekly[d] for d in (start + timedelta(days=k) for k in range(7)) if d in weekly]
        weeks.append(
            Week(
                start=start,
                rate=score_rate(sum(int(d.passed) for d in days), sum(int(d.failed) for d in days)),
                inspections=sum(int(d.n) for d in days),
                open_at_end=int(still_open[n] or 0),
            )
        )
    ranked = [r for r in ranking(db, date_from, date_to, "community") if r.rank]
    return Overview(
        date_from=date_from,
        date_to=date_to,
        inspections=int(counts[0]),
        sites=int(counts[1]),
        rate=score_rate(int(counts[2]), int(counts[3])),
        found=int(problems[0] or 0),
        closed=int(problems[1] or 0),
        open_now=int(problems[2] or 0),
        overdue=int(problems[3] or 0),
        due_soon=int(problems[4] or 0),
        conflicts=int(problems[5] or 0),
        weeks=weeks,
        best=ranked[:BEST_WORST],
        worst=list(reversed(ranked[-BEST_WORST:])) if len(ranked) > BEST_WORST else [],
    )
