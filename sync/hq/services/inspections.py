"""检查记录 at HQ: the filtered, paged list of inspections from the read model, and one inspection whole.

The list reads `rm_inspections` (one indexed query and a count); the text search also matches the site's name as
HQ holds it. One inspection is its stored record, the checklist version it was walked with (for
the wording of every item), its site and the problems it created.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from checklists.schema import Checklist
from inspector.core.records import Inspection, Site
from inspector.reports.facts import InspectionFact, ProblemFact
from sync.hq.db import Database
from sync.hq.db.models import doc_revs, docs, rm_inspections, rm_problems, sites
from sync.hq.services.errors import HqError, Kind
from sync.hq.services.readmodel import inspection_from_row, pinned_checklist, problem_from_row

__all__ = ["InspectionDetail", "InspectionQuery", "InspectionRow", "inspection_detail", "inspection_page"]

_C = rm_inspections.c


@dataclass(frozen=True, slots=True)
class InspectionQuery:
    date_from: date | None = None
    date_to: date | None = None
    street: str | None = None
    community: str | None = None
    site_type: str | None = None
    checklist: str | None = None  # id, or id@version
    inspector: str | None = None
    batch: str | None = None
    rate_min: float | None = None  # 0..1
    rate_max: float | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class InspectionRow:
    fact: InspectionFact
    street: str
    community: str
    site_type: str
    rate: float | None


def _named(conn: Connection, needle: str) -> list[str]:
    """The ids of the sites whose name holds `needle` (lower-cased). Names live inside each site's JSON, which a
    LIKE would also match on its keys; a city's few thousand sites are read at once."""
    return [
        row.id
        for row in conn.execute(select(sites.c.id, sites.c.data))
        if needle in str(json.loads(row.data).get("name", "")).lower()
    ]


def _where(query: InspectionQuery, conn: Connection) -> ColumnElement[bool]:
    where: list[ColumnElement[bool]] = [_C.submitted.is_(True)]
    if query.date_from is not None:
        where.append(_C.day >= query.date_from)
    if query.date_to is not None:
        where.append(_C.day <= query.date_to)
    for column, value in (
        (_C.street, query.street),
        (_C.community, query.community),
        (_C.site_type, query.site_type),
        (_C.inspector, query.inspector),
        (_C.batch, query.batch),
    ):
        if value is not None:
            where.append(column == value)
    if query.checklist is not None:
        wanted = query.checklist
        where.append(
            _C.checklist == wanted if "@" in wanted else _C.checklist.startswith(wanted + "@", autoescape=True)
        )
    if query.rate_min is not None:
        where.append(_C.rate >= query.rate_min)
    if query.rate_max is not None:
        where.append(_C.rate <= query.rate_max)
    if query.text:
        needle = query.text.strip().lower()
        where.append(
            or_(
                _C.site_id.in_(_named(conn, needle)),
                func.lower(_C.site_id).contains(needle, autoescape=True),
                func.lower(_C.inspector).contains(needle, autoescape=True),
                func.lower(_C.checklist).contains(needle, autoescape=True),
            )
        )
    return and_(*where)


def inspection_page(
    db: Database, query: InspectionQuery, offset: int = 0, limit: int = 50
) -> tuple[int, list[InspectionRow]]:
    """(how many inspections pass, the `limit` newest of them from `offset`)."""
    with db.read() as conn:
        condition = _where(query, conn)
        total = int(conn.execute(select(func.count()).select_from(rm_inspections).where(condition)).scalar_one())
        rows = conn.execute(
            select(rm_inspections)
            .where(condition)
            .order_by(_C.counted_at.desc(), _C.id)
            .offset(max(offset, 0))
            .limit(max(limit, 0))
        )
        return total, [InspectionRow(inspection_from_row(r), r.street, r.community, r.site_type, r.rate) for r in rows]


@dataclass(frozen=True)
class InspectionDetail:
    inspection: Inspection
    fact: InspectionFact | None
    checklist: Checklist | None
    site: Site | None
    problems: list[ProblemFact]
    by_item: dict[str, list[ProblemFact]]


def inspection_detail(db: Database, inspection_id: str) -> InspectionDetail:
    """NOT_FOUND unless HQ holds a submitted inspection with this id."""
    with db.read() as conn:
        row = conn.execute(
            select(doc_revs.c.data)
            .join(docs, and_(docs.c.id == doc_revs.c.id, docs.c.current_rev == doc_revs.c.rev))
            .where(docs.c.id == inspection_id, docs.c.kind == "inspection")
        ).first()
        if row is None:
            raise HqError(Kind.NOT_FOUND, "no_inspection", key="console_no_record", id=inspection_id[:64])
        inspection = Inspection.model_validate_json(row.data)
        checklist = pinned_checklist(conn, inspection)
        site_row = conn.execute(select(sites.c.data).where(sites.c.id == inspection.site_id)).first()
        fact_row = conn.execute(select(rm_inspections).where(_C.id == inspection_id)).first()
        problems = [
            problem_from_row(r)
            for r in conn.execute(
                select(rm_problems)
                .where(rm_problems.c.inspection_id == inspection_id)
                .order_by(rm_problems.c.item_code)
            )
        ]
    by_item: dict[str, list[ProblemFact]] = {}
    for problem in problems:
        by_item.setdefault(problem.item_code, []).append(problem)
    return InspectionDetail(
        inspection=inspection,
        fact=inspection_from_row(fact_row) if fact_row is not None else None,
        checklist=checklist,
        site=Site.model_validate_json(site_row.data) if site_row is not None else None,
        problems=problems,
        by_item=by_item,
    )
