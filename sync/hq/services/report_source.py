"""HQ's report source: the read model's rows as the facts the shared report code computes over.

The filters become SQL over indexed columns, so a ranking or a filtered ledger reads only the rows it needs; the
report code (inspector/reports/) is the laptop's own, which is what makes the numbers the same at both ends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Select, and_, select
from sqlalchemy.exc import SQLAlchemyError

from inspector.core.problems import OVERDUE_STATUSES
from inspector.core.records import Site
from inspector.reports import SourceError
from inspector.reports.facts import Filters, InspectionFact, ItemFact, ProblemFact
from sync.hq.db import Database, in_chunks
from sync.hq.db.models import doc_revs, docs, rm_inspections, rm_item_results, rm_problems, sites
from sync.hq.services.pull import problems_json
from sync.hq.services.readmodel import PROBLEM_COLUMNS, inspection_from_row, item_from_row, problem_from_values

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

    def inspection_facts(self, filters: Filters) -> list[InspectionFact]:
        query = select(rm_inspections).where(and_(True, *inspection_where(filters))).order_by(rm_inspections.c.id)
        return self._facts(query, inspection_from_row)

    def problem_facts(self, filters: Filters) -> list[ProblemFact]:
        """Rows turned into facts as they stream in, the texts that repeat from row to row (an item's wording, a
        unit, a street) held once: 150,000 problems as a list, for the reports that need them all at once."""
        query = (
            select(*PROBLEM_COLUMNS)
            .where(and_(True, *problem_where(filters)))
            .order_by(rm_problems.c.id)
            .execution_options(yield_per=2000)
        )
        seen: dict[str, str] = {}
        shared = [n for n, c in enumerate(PROBLEM_COLUMNS) if c.name in _REPEATED]

        def fact(row: tuple[Any, ...]) -> ProblemFact:
            values = list(row)
            for n in shared:
                if isinstance(values[n], str):
                    values[n] = seen.setdefault(values[n], values[n])
            return problem_from_values(values)

        try:
            with self.db.read() as conn:
                return [fact(row) for row in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise SourceError(_reason(exc)) from exc

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

    def _facts(self, query: Select[Any], make: Callable[[Any], _Fact]) -> list[_Fact]:
        """Rows turned into facts as they stream in (never all rows and all facts at once), the texts that repeat
        from row to row (an item's wording, a unit, a street) held once: 150,000 problems fit in tens of MB."""
        seen: dict[str, str] = {}
        try:
            with self.db.read() as conn:
                return [make(_shared(row, seen)) for row in conn.execute(query.execution_options(yield_per=2000))]
        except SQLAlchemyError as exc:
            raise SourceError(_reason(exc)) from exc

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

# Columns whose values repeat across rows; free text (a description, a note) is left as it is.
_REPEATED = frozenset(
    {
        "site_id",
        "street",
        "community",
        "district",
        "batch",
        "item_code",
        "item_text",
        "severity",
        "status",
        "responsible_unit",
        "deadline_kind",
        "found_by",
        "checklist",
        "inspector",
        "site_type",
        "grid",
        "review",
    }
)


def _shared(row: Any, seen: dict[str, str]) -> Any:
    values = row._asdict()
    for name in _REPEATED.intersection(values):
        value = values[name]
        if isinstance(value, str):
            values[name] = seen.setdefault(value, value)
    return SimpleNamespace(**values)


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
