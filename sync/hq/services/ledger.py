"""A page of the problem ledger from HQ's read model: the filtered rows' exact count and one sorted page of them.

The console's ledger shows 50 rows at a time of tens of thousands; the count says how many the filters hold (the
number a bulk action would touch), the page is read with LIMIT/OFFSET over the same WHERE. Filters are the
reports' own (report_source.problem_where), plus a set of statuses, since a ledger view is usually "every open one".
Every sort ends on the id, so pages never overlap or skip a row when keys tie.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from inspector.core.problems import ProblemStatus
from inspector.reports.facts import Filters, ProblemFact
from sync.hq.db import Database
from sync.hq.db.models import rm_problems
from sync.hq.services.readmodel import problem_from_row
from sync.hq.services.report_source import problem_where

__all__ = ["SORTS", "ledger_page"]

_C = rm_problems.c
SORTS: dict[str, tuple[Any, ...]] = {
    "due": (_C.due, _C.id),  # the most urgent first
    "found": (_C.found_at.desc(), _C.id),  # the newest first
    "status": (_C.status, _C.due, _C.id),
    "unit": (_C.responsible_unit, _C.due, _C.id),
}


def ledger_page(
    db: Database,
    filters: Filters,
    sort: str = "due",
    offset: int = 0,
    limit: int = 50,
    *,
    statuses: Collection[ProblemStatus] | None = None,
) -> tuple[int, list[ProblemFact]]:
    """(how many problems pass the filters, the `limit` of them from `offset` in `sort` order). Raises KeyError for
    an unknown sort, ValueError for a negative offset or limit."""
    order = SORTS[sort]
    if offset < 0 or limit < 0:
        raise ValueError("offset and limit must not be negative")
    where: list[ColumnElement[bool]] = problem_where(filters)
    if statuses is not None:
        where.append(_C.status.in_(sorted(s.value for s in statuses)))
    condition = and_(True, *where)
    with db.read() as conn:
        total = int(conn.execute(select(func.count()).select_from(rm_problems).where(condition)).scalar_one())
        rows = conn.execute(select(rm_problems).where(condition).order_by(*order).offset(offset).limit(limit))
        return total, [problem_from_row(row) for row in rows]
