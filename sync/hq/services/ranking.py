"""社区 and 街道 得分率 over a period, aggregated in SQL over the read model's inspections.

The numbers are the bulletin's (inspector/reports/bulletin.py `community_ranking`): submitted inspections whose day
falls in the period, 得分率 = Σ符合 / (Σ符合 + Σ不符合) per group, computed by the shared `score_rate`; ranked high
to low, ties sharing a rank (1, 2, 2, 4) and ordered by name; a group with nothing scorable is left unranked. Only
the sums come from the database: one row per group instead of one fact per inspection.

A community is keyed by its 街道 and its name, since two streets may each have a 幸福社区; the bulletin keys by the
name alone, so the two agree wherever community names are unique within the city.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import and_, func, select

from inspector.core.scoring import score_rate
from sync.hq.db import Database
from sync.hq.db.models import rm_inspections

__all__ = ["Rank", "ranking"]

Level = Literal["community", "street"]


@dataclass(frozen=True, slots=True)
class Rank:
    street: str
    community: str  # "" at street level
    sites: int
    inspections: int
    passed: int
    failed: int
    rate: float | None  # None: nothing scorable in the period
    rank: int  # 0 when unranked


def ranking(
    db: Database, date_from: date, date_to: date, level: Level = "community", batch: str | None = None
) -> list[Rank]:
    """Ranked groups first (by rate, then name), then the unscorable ones by name."""
    c = rm_inspections.c
    keys = [c.street, c.community] if level == "community" else [c.street]
    where = [c.submitted.is_(True), c.day >= date_from, c.day <= date_to]
    if batch is not None:
        where.append(c.batch == batch)
    query = (
        select(
            *keys,
            func.count(func.distinct(c.site_id)).label("sites"),
            func.count().label("inspections"),
            func.sum(c.passed).label("passed"),
            func.sum(c.failed).label("failed"),
        )
        .where(and_(*where))
        .group_by(*keys)
    )
    with db.read() as conn:
        rows = list(conn.execute(query))
    groups = [
        Rank(
            street=row.street,
            community=row.community if level == "community" else "",
            sites=int(row.sites),
            inspections=int(row.inspections),
            passed=int(row.passed or 0),
            failed=int(row.failed or 0),
            rate=score_rate(int(row.passed or 0), int(row.failed or 0)),
            rank=0,
        )
        for row in rows
    ]

    def name(group: Rank) -> str:
        return group.community if level == "community" else group.street

    scorable = sorted((g for g in groups if g.rate is not None), key=lambda g: (-(g.rate or 0.0), name(g), g.street))
    ranked: list[Rank] = []
    for position, group in enumerate(scorable, start=1):
        previous = ranked[-1] if ranked else None
        tied = previous is not None and previous.rate == group.rate
        ranked.append(_with_rank(group, previous.rank if tied and previous is not None else position))
    unscorable = sorted((g for g in groups if g.rate is None), key=lambda g: (name(g), g.street))
    return ranked + unscorable


def _with_rank(group: Rank, rank: int) -> Rank:
    return Rank(
        group.street, group.community, group.sites, group.inspections, group.passed, group.failed, group.rate, rank
    )
