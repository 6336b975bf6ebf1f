"""A page of the problem ledger from HQ's read model: the filtered rows' exact count and one sorted page of them.

The console's ledger shows 50 rows at a time of tens of thousands; the count says how many the filters hold (the
number a bulk action would touch), the page is read with LIMIT/OFFSET over the same WHERE. Filters are the
reports' own (report_source.problem_where), plus a set of statuses, since a ledger view is usually "every open one".
Every sort ends on the id, so pages never overlap or skip a row when keys tie.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from inspector.core.problems import OVERDUE_STATUSES, ProblemStatus
from inspector.reports.facts import Filters, ProblemFact
from sync.hq.db import Database
from sync.hq.db.models import rm_problems
from sync.hq.services.readmodel import problem_from_row
from sync.hq.services.report_source import problem_where

__all__ = ["SORTS", "Narrow", "ledger_ids", "ledger_page", "ledger_where"]

_C = rm_problems.c
SORTS: dict[str, tuple[Any, ...]] = {
    "due": (_C.due, _C.id),  # the most urgent first
    "found": (_C.found_at.desc(), _C.id),  # the newest first
    "status": (_C.status, _C.due, _C.id),
    "unit": (_C.responsible_unit, _C.due, _C.id),
}


@dataclass(frozen=True, slots=True)
class Narrow:
    """What the console's ledger narrows to beyond the reports' filters."""

    severity: str | None = None
    item: str | None = None  # an item code, or the start of one (`3.2` takes 3.2.1, 3.2.2, ...)
    text: str | None = None  # in the description, the item's wording, the unit, the place or the site id
    due_by: date | None = None  # still owed by the unit and due on or before this day (逾期 or 即将到期)
    conflicts: bool = False  # only problems with an event waiting for a reviewer's decision


def ledger_where(
    filters: Filters, statuses: Collection[ProblemStatus] | None = None, narrow: Narrow | None = None
) -> ColumnElement[bool]:
    """The one WHERE of a ledger view: its page, its count and its "all N matching" bulk action read the same rows.
    Text is matched as text (LIKE, its wildcards escaped): `%`, `_` or a quote in a search are just characters."""
    where: list[ColumnElement[bool]] = problem_where(filters)
    if statuses is not None:
        where.append(_C.status.in_(sorted(s.value for s in statuses)))
    if narrow is not None:
        if narrow.severity:
            where.append(_C.severity == narrow.severity)
        if narrow.item:
            where.append(or_(_C.item_code == narrow.item, _C.item_code.startswith(narrow.item + ".", autoescape=True)))
        if narrow.text:
            needle = narrow.text.strip().lower()
            where.append(
                or_(
                    *(
                        func.lower(column).contains(needle, autoescape=True)
                        for column in (
                            _C.description,
                            _C.item_text,
                            _C.responsible_unit,
                            _C.community,
                            _C.street,
                            _C.site_id,
                            _C.item_code,
                        )
                    )
                )
            )
        if narrow.due_by is not None:
            where.append(_C.status.in_(sorted(s.value for s in OVERDUE_STATUSES)))
            where.append(_C.due <= narrow.due_by)
        if narrow.conflicts:
            where.append(_C.conflicts > 0)
    return and_(True, *where)


def ledger_ids(db: Database, condition: ColumnElement[bool], *, limit: int = 100_000) -> list[str]:
    """The ids of every problem of a ledger view (the "all N matching" of a bulk action), in a stable order."""
    with db.read() as conn:
        return [row.id for row in conn.execute(select(_C.id).where(condition).order_by(_C.id).limit(limit))]


def ledger_page(
    db: Database,
    filters: Filters,
    sort: str = "due",
    offset: int = 0,
    limit: int = 50,
    *,
    statuses: Collection[ProblemStatus] | None = None,
    narrow: Narrow | None = None,
) -> tuple[int, list[ProblemFact]]:
    """(how many problems pass the filters, the `limit` of them from `offset` in `sort` order). Raises KeyError for
    an unknown sort, ValueError for a negative offset or limit."""
    order = SORTS[sort]
    if offset < 0 or limit < 0:
        raise ValueError("offset and limit must not be negative")
    condition = ledger_where(filters, statuses, narrow)
    with db.read() as conn:
        total = int(conn.execute(select(func.count()).select_from(rm_problems).where(condition)).scalar_one())
        rows = conn.execute(select(rm_problems).where(condition).order_by(*order).offset(offset).limit(limit))
        return total, [problem_from_row(row) for row in rows]
