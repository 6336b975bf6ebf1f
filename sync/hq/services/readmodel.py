"""HQ's read model: the report facts of every stored record, kept in step with what HQ acknowledged.

Rows are derived by the same functions a laptop uses (inspector/reports/facts.py: the tally against the pinned
checklist, the device's `fold` for a problem), from the records exactly as HQ stores them: the current version of
each inspection and problem, a problem's events in server order. `refresh` runs inside the transaction that stored
the records, so a report can never count something HQ has not acknowledged, nor miss something it has. `rebuild`
derives everything again (the migration that introduced the model, `inspector hq reindex`) and says what differed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, and_, delete, insert, select, update

from checklists.schema import Checklist
from inspector.core.problems import ProblemStatus, ReviewConclusion, fold
from inspector.core.records import DeadlineKind, DeadlineRule, Inspection, Problem, Severity, Site, Verdict
from inspector.reports.facts import (
    CHINA_TZ,
    InspectionFact,
    ItemFact,
    ProblemFact,
    Tally,
    inspection_fact,
    item_facts,
    problem_fact,
)
from sync.hq.db import in_chunks
from sync.hq.db.models import checklists, doc_revs, docs, rm_inspections, rm_item_results, rm_problems, sites
from sync.hq.services.pull import problems_json

__all__ = [
    "INSPECTION_COLUMNS",
    "PROBLEM_COLUMNS",
    "REPORT_TZ",
    "Differences",
    "inspection_from_row",
    "inspection_from_values",
    "item_from_row",
    "problem_from_row",
    "problem_from_values",
    "rebuild",
    "refresh",
    "refresh_sites",
]

REPORT_TZ = CHINA_TZ  # the days HQ counts in: a report's period means the same days on every machine

_SITE_FIELDS = ("district", "street", "community")


def read_sites(conn: Connection, ids: Iterable[str]) -> dict[str, Site]:
    """The sites HQ holds among `ids`, by id (in IN-chunks, whatever their number)."""
    found: dict[str, Site] = {}
    for chunk in in_chunks(list(dict.fromkeys(ids))):
        for row in conn.execute(select(sites.c.id, sites.c.data).where(sites.c.id.in_(chunk))):
            found[row.id] = Site.model_validate_json(row.data)
    return found


class _Resolver:
    """Sites and checklist versions, read once per refresh."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._sites: dict[str, Site | None] = {}
        self._checklists: dict[tuple[str, str], Checklist | None] = {}

    def sites(self, ids: Iterable[str]) -> None:
        wanted = [i for i in dict.fromkeys(ids) if i not in self._sites]
        self._sites.update(read_sites(self.conn, wanted))
        for site_id in wanted:
            self._sites.setdefault(site_id, None)

    def site(self, site_id: str) -> Site | None:
        if site_id not in self._sites:
            self.sites([site_id])
        return self._sites[site_id]

    def checklist(self, inspection: Inspection) -> Checklist | None:
        """The version the inspection was pinned to as HQ published it, else the built-in one (as on a laptop)."""
        key = (inspection.checklist_id, inspection.checklist_version)
        if key not in self._checklists:
            row = self.conn.execute(
                select(checklists.c.data).where(checklists.c.id == key[0], checklists.c.version == key[1])
            ).first()
            found: Checklist | None = None
            if row is not None:
                found = Checklist.model_validate_json(row.data)
            else:
                from checklists.registry import builtin_checklist

                found = builtin_checklist(key[0])
            self._checklists[key] = found
        return self._checklists[key]


def _place(site: Site | None) -> dict[str, str]:
    return {name: getattr(site, name) if site else "" for name in _SITE_FIELDS}


# --- facts ⇄ rows -----------------------------------------------------------------------------------------------


def _inspection_row(fact: InspectionFact, site: Site | None) -> dict[str, Any]:
    return {
        "id": fact.id,
        "site_id": fact.site_id,
        "site_type": site.site_type if site else "",
        **_place(site),
        "grid": site.grid if site else "",
        "checklist": fact.checklist,
        "inspector": fact.inspector,
        "batch": fact.batch,
        "submitted": fact.submitted,
        "counted_at": fact.counted_at,
        "day": fact.day,
        "started_at": fact.started_at,
        "finished_at": fact.finished_at,
        "passed": fact.counts.passed,
        "failed": fact.counts.failed,
        "not_applicable": fact.counts.not_applicable,
        "answered": fact.answered,
        "rate": fact.counts.rate,
    }


# The columns `inspection_from_values` reads, in its order.
INSPECTION_COLUMNS = tuple(
    rm_inspections.c[name]
    for name in (
        "id",
        "site_id",
        "checklist",
        "inspector",
        "batch",
        "submitted",
        "counted_at",
        "day",
        "started_at",
        "finished_at",
        "passed",
        "failed",
        "not_applicable",
        "answered",
    )
)


def inspection_from_values(values: Sequence[Any], seen: dict[str, str] | None = None) -> InspectionFact:
    """`inspection_from_row` for a row of INSPECTION_COLUMNS, by position; the texts that repeat from row to row
    (site, checklist, inspector, 批次) held once in `seen`, shared by the rows of one read."""
    share = (seen if seen is not None else {}).setdefault
    (
        id_,
        site_id,
        checklist,
        inspector,
        batch,
        submitted,
        counted_at,
        day,
        started_at,
        finished_at,
        passed,
        failed,
        not_applicable,
        answered,
    ) = values
    return InspectionFact(  # by position, in the fact's field order: a third of the time keywords take
        id_,
        share(site_id, site_id),
        share(checklist, checklist),
        share(inspector, inspector),
        share(batch, batch),
        bool(submitted),
        counted_at,
        day,
        started_at,
        finished_at,
        Tally(passed, failed, not_applicable),
        answered,
    )


def _item_row(fact: ItemFact) -> dict[str, Any]:
    return {
        "inspection_id": fact.inspection_id,
        "position": fact.position,
        "code": fact.code,
        "title": fact.title,
        "category": fact.category,
        "verdict": fact.verdict.value if fact.verdict else None,
        "severity": fact.severity.value if fact.severity else None,
        "description": fact.description,
        "photos": fact.photos,
        "exemption": fact.exemption,
    }


def item_from_row(row: Any) -> ItemFact:
    return ItemFact(
        inspection_id=row.inspection_id,
        position=row.position,
        code=row.code,
        title=row.title,
        category=row.category,
        verdict=Verdict(row.verdict) if row.verdict else None,
        severity=Severity(row.severity) if row.severity else None,
        description=row.description,
        photos=row.photos,
        exemption=row.exemption,
    )


def _problem_row(fact: ProblemFact, site: Site | None) -> dict[str, Any]:
    return {
        "id": fact.id,
        "inspection_id": fact.inspection_id,
        "site_id": fact.site_id,
        **_place(site),
        "batch": fact.batch,
        "item_code": fact.item_code,
        "item_text": fact.item_text,
        "description": fact.description,
        "severity": fact.severity.value,
        "cg_code": fact.cg_code,
        "found_at": fact.found_at,
        "found_by": fact.found_by,
        "photos": fact.photos,
        "status": fact.status.value,
        "responsible_unit": fact.responsible_unit,
        "deadline_kind": fact.deadline.kind.value,
        "deadline_n": fact.deadline.n,
        "found_on": fact.found_on,
        "assigned_on": fact.assigned_on,
        "due": fact.due,
        "closed_at": fact.closed_at,
        "rectification_note": fact.rectification_note,
        "after_photos": fact.after_photos,
        "review": fact.review.value if fact.review else None,
        "review_note": fact.review_note,
        "reopened": fact.reopened,
        "reopened_on": ",".join(day.isoformat() for day in fact.reopened_on),
        "conflicts": fact.conflicts,
        "photo_ids": ",".join(fact.photo_ids),
        "extended": fact.extended,
        "fixed_on": fact.fixed_on,
    }


# A problem's deadline is one of a few rules: one model per rule rather than one per row (a pydantic model is a few
# hundred bytes, and a report may read 150,000 rows). Facts are read, never changed, so sharing is safe.
_RULES: dict[tuple[str, int], DeadlineRule] = {}


def _rule(kind: str, n: int) -> DeadlineRule:
    rule = _RULES.get((kind, n))
    if rule is None:
        rule = _RULES[(kind, n)] = DeadlineRule(kind=DeadlineKind(kind), n=n)
    return rule


_SEVERITIES = {s.value: s for s in Severity}
_STATUSES = {s.value: s for s in ProblemStatus}
_REVIEWS = {r.value: r for r in ReviewConclusion}

# The columns `problem_from_values` reads, in its order: a report reading 150,000 rows takes them as plain tuples.
PROBLEM_COLUMNS = tuple(
    rm_problems.c[name]
    for name in (
        "id",
        "inspection_id",
        "site_id",
        "batch",
        "item_code",
        "item_text",
        "description",
        "severity",
        "cg_code",
        "found_at",
        "found_by",
        "photos",
        "status",
        "responsible_unit",
        "deadline_kind",
        "deadline_n",
        "found_on",
        "assigned_on",
        "due",
        "closed_at",
        "rectification_note",
        "after_photos",
        "review",
        "review_note",
        "reopened_on",
        "conflicts",
        "photo_ids",
        "extended",
        "fixed_on",
    )
)


def problem_from_values(values: Sequence[Any], seen: dict[str, str] | None = None) -> ProblemFact:
    """`problem_from_row` for a row of PROBLEM_COLUMNS, by position (the same fact, a few times faster); the texts
    that repeat from row to row (site, 批次, item code and wording, unit, finder) held once in `seen`, shared by the
    rows of one read: 150,000 problems fit in tens of MB."""
    share = (seen if seen is not None else {}).setdefault
    (
        id_,
        inspection_id,
        site_id,
        batch,
        item_code,
        item_text,
        description,
        severity,
        cg_code,
        found_at,
        found_by,
        photos,
        status,
        unit,
        deadline_kind,
        deadline_n,
        found_on,
        assigned_on,
        due,
        closed_at,
        rectification_note,
        after_photos,
        review,
        review_note,
        reopened_on,
        conflicts,
        photo_ids,
        extended,
        fixed_on,
    ) = values
    return ProblemFact(  # by position, in the fact's field order: a third of the time keywords take
        id_,
        inspection_id,
        share(site_id, site_id),
        share(batch, batch),
        share(item_code, item_code),
        share(item_text, item_text),
        description,
        _SEVERITIES[severity],
        cg_code,
        found_at,
        share(found_by, found_by),
        photos,
        _STATUSES[status],
        share(unit, unit),
        _rule(deadline_kind, deadline_n),
        found_on,
        assigned_on,
        due,
        closed_at,
        rectification_note,
        after_photos,
        _REVIEWS[review] if review else None,
        review_note,
        tuple(date.fromisoformat(d) for d in reopened_on.split(",")) if reopened_on else (),
        conflicts,
        tuple(photo_ids.split(",")) if photo_ids else (),
        extended,
        fixed_on,
    )


def inspection_from_row(row: Any) -> InspectionFact:
    """A fact from a row holding INSPECTION_COLUMNS by name (a `select(rm_inspections)` row)."""
    return inspection_from_values([getattr(row, column.name) for column in INSPECTION_COLUMNS])


def problem_from_row(row: Any) -> ProblemFact:
    """A fact from a row holding PROBLEM_COLUMNS by name (a `select(rm_problems)` row)."""
    return problem_from_values([getattr(row, column.name) for column in PROBLEM_COLUMNS])


# --- deriving -----------------------------------------------------------------------------------------------------


def _current(conn: Connection, kind: str, ids: Sequence[str] | None) -> Iterator[Any]:
    """(id, data) of the current version of each record of `kind` (all of them when `ids` is None)."""
    query = (
        select(docs.c.id, docs.c.change_id, docs.c.current_rev, doc_revs.c.data)
        .join(doc_revs, and_(doc_revs.c.id == docs.c.id, doc_revs.c.rev == docs.c.current_rev))
        .where(docs.c.kind == kind)
    )
    if ids is None:
        yield from conn.execute(query.order_by(docs.c.id)).yield_per(1000)
        return
    for chunk in in_chunks(list(dict.fromkeys(ids))):
        yield from conn.execute(query.where(docs.c.id.in_(chunk)))


@dataclass
class _Derived:
    inspections: list[dict[str, Any]]
    items: list[dict[str, Any]]
    problems: list[dict[str, Any]]


def _derive_inspections(resolver: _Resolver, rows: Iterable[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    inspections: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    records = []
    for row in rows:
        try:
            records.append(Inspection.model_validate_json(row.data))
        except ValidationError:  # stored before a schema change: reported by reindex as differing, never fatal
            continue
    resolver.sites(r.site_id for r in records)
    for record in records:
        checklist = resolver.checklist(record)
        inspections.append(
            _inspection_row(inspection_fact(record, checklist, REPORT_TZ), resolver.site(record.site_id))
        )
        items.extend(_item_row(f) for f in item_facts(record, checklist))
    return inspections, items


def _derive_problems(conn: Connection, resolver: _Resolver, rows: Sequence[Any]) -> list[dict[str, Any]]:
    documents = problems_json(conn, rows)
    problems: list[Problem] = []
    for row in rows:
        try:
            problems.append(Problem.model_validate_json(documents[row.id]))
        except ValidationError:
            continue
    batches = _batches(conn, [p.inspection_id for p in problems])
    resolver.sites(p.site_id for p in problems)
    return [
        _problem_row(
            problem_fact(p, fold(p, REPORT_TZ), batches.get(p.inspection_id, ""), REPORT_TZ),
            resolver.site(p.site_id),
        )
        for p in problems
    ]


def _batches(conn: Connection, inspection_ids: Sequence[str]) -> dict[str, str]:
    """Each inspection's 批次, from the read model (refreshed first in the same transaction)."""
    found: dict[str, str] = {}
    for chunk in in_chunks(list(dict.fromkeys(inspection_ids))):
        query = select(rm_inspections.c.id, rm_inspections.c.batch).where(rm_inspections.c.id.in_(chunk))
        found.update((row.id, row.batch) for row in conn.execute(query))
    return found


def refresh(conn: Connection, *, inspections: Iterable[str] = (), problems: Iterable[str] = ()) -> None:
    """Derive the rows of these records again from what is stored now, in the caller's transaction."""
    inspection_ids = list(dict.fromkeys(inspections))
    problem_ids = list(dict.fromkeys(problems))
    resolver = _Resolver(conn)
    if inspection_ids:
        rows, items = _derive_inspections(resolver, _current(conn, "inspection", inspection_ids))
        for chunk in in_chunks(inspection_ids):
            conn.execute(delete(rm_item_results).where(rm_item_results.c.inspection_id.in_(chunk)))
            conn.execute(delete(rm_inspections).where(rm_inspections.c.id.in_(chunk)))
        _insert(conn, rm_inspections, rows)
        _insert(conn, rm_item_results, items)
        # A problem pushed before its inspection took no 批次 (or an old one): it takes it now. One query finds
        # them (usually none), rather than one UPDATE per inspection.
        batch_of = {row["id"]: row["batch"] for row in rows if row["batch"]}
        for chunk in in_chunks(list(batch_of)):
            query = select(rm_problems.c.id, rm_problems.c.inspection_id, rm_problems.c.batch).where(
                rm_problems.c.inspection_id.in_(chunk)
            )
            for found in list(conn.execute(query)):
                if found.batch != batch_of[found.inspection_id]:
                    conn.execute(
                        update(rm_problems)
                        .where(rm_problems.c.id == found.id)
                        .values(batch=batch_of[found.inspection_id])
                    )
    if problem_ids:
        doc_rows = list(_current(conn, "problem", problem_ids))
        derived = _derive_problems(conn, resolver, doc_rows)
        for chunk in in_chunks(problem_ids):
            conn.execute(delete(rm_problems).where(rm_problems.c.id.in_(chunk)))
        _insert(conn, rm_problems, derived)


def refresh_sites(conn: Connection, changed: Sequence[Site]) -> None:
    """A site's 区/街道/社区 (and type, 网格) changed: the rows of its records follow."""
    for site in changed:
        place = _place(site)
        conn.execute(
            update(rm_inspections)
            .where(rm_inspections.c.site_id == site.id)
            .values(**place, site_type=site.site_type, grid=site.grid)
        )
        conn.execute(update(rm_problems).where(rm_problems.c.site_id == site.id).values(**place))


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """On PostgreSQL by COPY: a push's few hundred rows are one round trip and no per-row statement (an
    executemany of 300 rows was half of a push's read-model time); elsewhere an executemany per 1,000 rows."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        columns = [c.name for c in table.columns]
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            names = ", ".join(f'"{name}"' for name in columns)
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([_stored(row[name]) for name in columns])
        return
    for start in range(0, len(rows), 1000):
        conn.execute(insert(table), [_storable(row) for row in rows[start : start + 1000]])


def _stored(value: Any) -> Any:
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def _storable(row: dict[str, Any]) -> dict[str, Any]:
    """Free text may hold a NUL (a note typed so syncs as sent); PostgreSQL's text columns cannot, so the report
    row shows U+FFFD there while the stored record keeps the note exactly."""
    return {k: v.replace("\x00", "\ufffd") if isinstance(v, str) else v for k, v in row.items()}


# --- rebuilding -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Differences:
    """How the stored rows differed from a fresh derivation: rows missing, extra, or with other values."""

    inspections: int
    items: int
    problems: int

    @property
    def any(self) -> bool:
        return bool(self.inspections or self.items or self.problems)


def rebuild(conn: Connection, *, apply: bool = True) -> Differences:
    """Derive every row from the stored records; replace the model when `apply`. Returns what differed."""
    resolver = _Resolver(conn)
    inspections, items = _derive_inspections(resolver, _current(conn, "inspection", None))
    # Batches come from the fresh inspection rows, not the stored ones that may be what is wrong.
    batch_of = {row["id"]: row["batch"] for row in inspections}
    problem_docs = list(_current(conn, "problem", None))
    problems: list[dict[str, Any]] = []
    for start in range(0, len(problem_docs), 1000):
        chunk = problem_docs[start : start + 1000]
        for row in _derive_problems(conn, resolver, chunk):
            row["batch"] = batch_of.get(row["inspection_id"], "")
            problems.append(row)
    differences = Differences(
        inspections=_differ(conn, rm_inspections, inspections, ("id",)),
        items=_differ(conn, rm_item_results, items, ("inspection_id", "position")),
        problems=_differ(conn, rm_problems, problems, ("id",)),
    )
    if apply and differences.any:
        for table in (rm_item_results, rm_inspections, rm_problems):
            conn.execute(delete(table))
        _insert(conn, rm_inspections, inspections)
        _insert(conn, rm_item_results, items)
        _insert(conn, rm_problems, problems)
    return differences


def _differ(conn: Connection, table: Any, fresh: list[dict[str, Any]], key: tuple[str, ...]) -> int:
    """How many rows are missing, extra or different (values compared as the database gives them back)."""
    columns = [c.name for c in table.columns]
    stored = {
        tuple(getattr(row, k) for k in key): tuple(_norm(getattr(row, c)) for c in columns)
        for row in conn.execute(select(table))
    }
    differing = 0
    for row in map(_storable, fresh):
        ident = tuple(row[k] for k in key)
        values = tuple(_norm(row[c]) for c in columns)
        if stored.pop(ident, None) != values:
            differing += 1
    return differing + len(stored)


def _norm(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, bool):
        return int(value)
    return value


def pinned_checklist(conn: Connection, inspection: Inspection) -> Checklist | None:
    """The checklist version an inspection was walked with, as the read model resolves it (the console shows its
    wording beside the verdicts)."""
    return _Resolver(conn).checklist(inspection)
