"""HQ's report source: the read model's rows as the facts the shared report code computes over.

The filters become SQL over indexed columns, so a ranking or a filtered ledger reads only the rows it needs; the
report code (inspector/reports/) is the laptop's own, which is what makes the numbers the same at both ends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from inspector.core.problems import OPEN_STATUSES, OVERDUE_STATUSES
from inspector.core.records import Site
from inspector.reports import SourceError
from inspector.reports.facts import Filters, InspectionFact, ItemFact, ProblemFact, Window
from sync.hq.db import Database, in_chunks, plain_rows
from sync.hq.db.models import doc_revs, docs, rm_inspections, rm_item_results, rm_problems, sites
from sync.hq.services.pull import problems_json
from sync.hq.services.readmodel import (
    INSPECTION_COLUMNS,
    PROBLEM_COLUMNS,
    inspection_from_values,
    item_from_row,
    problem_from_values,
)

__all__ = ["HqSource", "inspection_where", "problem_where"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _place(table: Any, filters: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.street is not None:
        where.append(table.c.street == filters.street)
    if filters.community is not None:
        where.append(table.c.community == filters.community)
    if filters.batch is not None:
        where.append(table.c.batch == filters.batch)
    return where


def inspection_where(filters: Filters) -> list[ColumnElement[bool]]:
    where = _place(rm_inspections, filters)
    if filters.date_from is not None:
        where.append(rm_inspections.c.day >= filters.date_from)
    if filters.date_to is not None:
        where.append(rm_inspections.c.day <= filters.date_to)
    return where


def problem_where(filters: Filters) -> list[ColumnElement[bool]]:
    """The filters of `problem_passes` (inspector/reports/local.py), as SQL."""
    where = _place(rm_problems, filters)
    if filters.date_from is not None:
        where.append(rm_problems.c.found_on >= filters.date_from)
    if filters.date_to is not None:
        where.append(rm_problems.c.found_on <= filters.date_to)
    if filters.unit is not None:
        where.append(rm_problems.c.responsible_unit == filters.unit)
    if filters.status is not None:
        where.append(rm_problems.c.status == filters.status.value)
    if filters.overdue_on is not None:
        where.append(rm_problems.c.status.in_([s.value for s in OVERDUE_STATUSES]))
        where.append(rm_problems.c.due < filters.overdue_on)
    return where


class HqSource:
    """Reads in one read transaction per call; raises SourceError when the database does not answer."""

    reads_concurrently = True  # each read takes its own pooled connection (load_report_data reads two at once)

    def __init__(self, db: Database, photos: Path | None = None) -> None:
        self.db = db
        self.photos = photos  # HQ's photo folder (DATA_DIR/hq/attachments), for the 整改通知书's before-photos

    def photo_path(self, sha256: str) -> Path | None:
        """Where HQ keeps a photo (services/attachments.py lays them out as ab/abcd…), when it has the file."""
        if self.photos is None or not _SHA256.match(sha256):
            return None
        path = self.photos / sha256[:2] / sha256
        return path if path.is_file() else None

    def _rows(self, query: Select[Any]) -> list[Any]:
        try:
            with self.db.read() as conn:
                return list(conn.execute(query))
        except SQLAlchemyError as exc:
            raise SourceError(_reason(exc)) from exc

    def sites(self) -> dict[str, Site]:
        return {row.id: Site.model_validate_json(row.data) for row in self._rows(select(sites.c.id, sites.c.data))}

    def inspection_facts(self, filters: Filters, window: Window | None = None) -> list[InspectionFact]:
        where = inspection_where(filters)
        if window is not None:
            where.append(
                or_(
                    and_(rm_inspections.c.day >= window.since, rm_inspections.c.day <= window.date_to),
                    rm_inspections.c.id.in_(_latest_before(window.since, filters)),
                )
            )
        query = select(*INSPECTION_COLUMNS).where(and_(True, *where))  # in no order: load_report_data sorts
        return self._facts(query, inspection_from_values)

    def problem_facts(self, filters: Filters, window: Window | None = None) -> list[ProblemFact]:
        """Those that pass `filters`; with a window, only the problems it names (`Window`), chosen in SQL."""
        where = problem_where(filters)
        if window is not None:
            # Closed in the period, whatever the zone its days are counted in: a day either side is read too.
            after = datetime.combine(window.date_from - timedelta(days=1), time(), UTC)
            before = datetime.combine(window.date_to + timedelta(days=2), time(), UTC)
            where.append(
                or_(
                    and_(rm_problems.c.found_on >= window.since, rm_problems.c.found_on <= window.date_to),
                    rm_problems.c.status.in_([s.value for s in OPEN_STATUSES]),
                    and_(rm_problems.c.closed_at >= after, rm_problems.c.closed_at < before),
                    rm_problems.c.reopened > 0,
                )
            )
        query = select(*PROBLEM_COLUMNS).where(and_(True, *where))  # in no order, as above
        return self._facts(query, problem_from_values)

    def problems_by_time(self, filters: Filters) -> Iterator[ProblemFact]:
        """Streamed from the database (a server-side cursor on PostgreSQL): memory stays flat however many rows."""
        query = (
            select(*PROBLEM_COLUMNS)
            .where(and_(True, *problem_where(filters)))
            .order_by(rm_problems.c.found_at, rm_problems.c.id)
            .execution_options(yield_per=2000)
        )
        try:
            with self.db.read() as conn:
                for row in conn.execute(query):
                    yield problem_from_values(row)
        except SQLAlchemyError as exc:
            raise SourceError(_reason(exc)) from exc

    def _facts(self, query: Select[Any], make: Callable[[Sequence[Any], dict[str, str]], _Fact]) -> list[_Fact]:
        """Rows turned into facts, each raw row dropped as its fact is made (never all rows and all facts at once),
        the texts that repeat held once across the read (`make`'s `seen`)."""
        try:
            with self.db.read() as conn:
                rows = plain_rows(conn, query)
        except SQLAlchemyError as exc:
            raise SourceError(_reason(exc)) from exc
        seen: dict[str, str] = {}
        rows.reverse()
        facts = []
        while rows:
            facts.append(make(rows.pop(), seen))
        return facts

    def item_facts(self, inspection_ids: Sequence[str]) -> Iterator[ItemFact]:
        """In the order asked, a thousand inspections per query: memory stays flat over 1.6 million rows."""
        for chunk in in_chunks(list(inspection_ids)):
            query = select(rm_item_results).where(rm_item_results.c.inspection_id.in_(chunk))
            by_inspection: dict[str, list[Any]] = {}
            for row in self._rows(query):
                by_inspection.setdefault(row.inspection_id, []).append(row)
            for inspection_id in chunk:
                for row in sorted(by_inspection.get(inspection_id, ()), key=lambda r: r.position):
                    yield item_from_row(row)

    def documents(
        self, inspection_ids: Sequence[str], problem_ids: Sequence[str]
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """The records whole, as a device would pull them (a problem with its events)."""
        try:
            with self.db.read() as conn:
                yield from _inspection_documents(conn, list(inspection_ids))
                yield from _problem_documents(conn, list(problem_ids))
        except SQLAlchemyError as exc:
            raise SourceError(_reason(exc)) from exc


_Fact = TypeVar("_Fact")


def _latest_before(since: date, filters: Filters) -> Select[Any]:
    """Each site's latest submitted inspection counted before `since` (by counted_at, then id: the reports'
    order), among those that pass the filters."""
    latest = func.row_number().over(
        partition_by=rm_inspections.c.site_id,
        order_by=(rm_inspections.c.counted_at.desc(), rm_inspections.c.id.desc()),
    )
    ranked = (
        select(rm_inspections.c.id, latest.label("latest"))
        .where(rm_inspections.c.submitted.is_(True), rm_inspections.c.day < since, *inspection_where(filters))
        .subquery()
    )
    return select(ranked.c.id).where(ranked.c.latest == 1)


def _reason(exc: SQLAlchemyError) -> str:
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).splitlines() or [type(cause).__name__])[0]


def _inspection_documents(conn: Connection, ids: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    for chunk in in_chunks(ids):
        query = (
            select(doc_revs.c.data)
            .join(docs, and_(docs.c.id == doc_revs.c.id, docs.c.current_rev == doc_revs.c.rev))
            .where(docs.c.id.in_(chunk))
            .order_by(docs.c.id)
        )
        for row in conn.execute(query):
            yield "inspection", json.loads(row.data)


def _problem_documents(conn: Connection, ids: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    for chunk in in_chunks(ids):
        rows = list(
            conn.execute(
                select(docs.c.id, docs.c.change_id, docs.c.current_rev).where(docs.c.id.in_(chunk)).order_by(docs.c.id)
            )
        )
        for text in problems_json(conn, rows).values():
            yield "problem", json.loads(text)
