"""The SQL of a push: what HQ already holds for a batch (read in bulk), and the batch's outcome written with one
executemany per statement, in an order that satisfies the foreign keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from inspector.core.records import Problem, ProblemEvent
from sync.hq.db import Database, in_chunks
from sync.hq.db.models import assignments, attachments, doc_revs, docs, events, photo_refs, users
from sync.hq.services import settings
from sync.hq.services.auth import Principal
from sync.hq.services.push.decide import Doc, HeldEvent, Holdings, Op, Rev
from sync.hq.services.push.parse import InspectionFacts, ParsedItem


def known_shas(db: Database, items: Sequence[ParsedItem]) -> set[tuple[str, str, str]]:
    """(id, rev, sha) HQ already holds for these items: exact repeats need no validation (read before the lock)."""
    doc_ids = sorted({i.id for i in items if i.kind != "event"})
    event_ids = sorted({i.id for i in items if i.kind == "event"})
    known: set[tuple[str, str, str]] = set()
    with db.read() as conn:
        for chunk in in_chunks(doc_ids):
            query = select(doc_revs.c.id, doc_revs.c.rev, doc_revs.c.content_sha).where(doc_revs.c.id.in_(chunk))
            known.update((r.id, r.rev, r.content_sha) for r in conn.execute(query))
        for chunk in in_chunks(event_ids):
            query = select(events.c.id, events.c.rev, events.c.content_sha).where(events.c.id.in_(chunk))
            known.update((r.id, r.rev, r.content_sha) for r in conn.execute(query))
    return known


def load(conn: Connection, who: Principal, items: Sequence[ParsedItem]) -> Holdings:
    """What HQ holds for the ids these items name (and the problems their events belong to)."""
    held = Holdings()
    doc_ids = sorted({i.id for i in items if i.kind != "event"})
    event_ids = sorted({i.id for i in items if i.kind == "event"})
    problem_ids = sorted(
        {i.record.problem_id for i in items if isinstance(i.record, ProblemEvent) and len(i.record.problem_id) <= 64}
    )
    supersedes = sorted(
        {i.record.supersedes for i in items if isinstance(i.record, InspectionFacts) and i.record.supersedes}
    )
    wanted = sorted(set(doc_ids) | set(problem_ids) | {s for s in supersedes if len(s) <= 64})
    for chunk in in_chunks(wanted):
        for row in conn.execute(
            select(docs.c.id, docs.c.kind, docs.c.current_rev, docs.c.owner_user_id, users.c.name, docs.c.site_id)
            .join(users, users.c.id == docs.c.owner_user_id)
            .where(docs.c.id.in_(chunk))
        ):
            held.docs[row.id] = Doc(row.kind, row.current_rev, row.owner_user_id, row.name, row.site_id)
    for chunk in in_chunks(doc_ids):
        for rev_row in conn.execute(
            select(
                doc_revs.c.id,
                doc_revs.c.rev,
                doc_revs.c.content_sha,
                doc_revs.c.state,
                doc_revs.c.message,
                doc_revs.c.server_version,
            ).where(doc_revs.c.id.in_(chunk))
        ):
            held.revs[(rev_row.id, rev_row.rev)] = Rev(
                rev_row.content_sha, rev_row.state, rev_row.message, rev_row.server_version
            )
    for doc_id, doc in held.docs.items():
        current = held.revs.get((doc_id, doc.current_rev))
        doc.current_sha = current.sha if current else None
    for chunk in in_chunks(event_ids):
        for event_row in conn.execute(
            select(events.c.id, events.c.rev, events.c.content_sha, events.c.conflict, events.c.server_order).where(
                events.c.id.in_(chunk)
            )
        ):
            held.events[event_row.id] = HeldEvent(
                event_row.rev, event_row.content_sha, event_row.conflict, event_row.server_order
            )
    known_problems = [p for p in problem_ids if p in held.docs and held.docs[p].kind == "problem"]
    for chunk in in_chunks(known_problems):
        for problem_row in conn.execute(
            select(doc_revs.c.id, doc_revs.c.data)
            .join(docs, (docs.c.id == doc_revs.c.id) & (docs.c.current_rev == doc_revs.c.rev))
            .where(docs.c.id.in_(chunk))
        ):
            held.problem_records[problem_row.id] = Problem.model_validate_json(problem_row.data)
        for history_row in conn.execute(
            select(events.c.problem_id, events.c.data, events.c.server_order, events.c.conflict)
            .where(events.c.problem_id.in_(chunk))
            .order_by(events.c.server_order)
        ):
            event = ProblemEvent.model_validate_json(history_row.data)
            event.server_order = history_row.server_order
            event.conflict = history_row.conflict
            held.problem_events.setdefault(history_row.problem_id, []).append(event)
    if not who.sees_everything:
        _load_corrections(conn, held)
        held.inspectors_close = settings.inspectors_close(conn)
        held.assigned_sites = {
            row.site_id
            for row in conn.execute(
                select(assignments.c.site_id).where(
                    assignments.c.user_id == who.user_id, assignments.c.active.is_(True)
                )
            )
        }
    return held


def _load_corrections(conn: Connection, held: Holdings) -> None:
    """Who superseded the inspections of the problems named: an inspector may void the problems of an inspection
    their own correction superseded."""
    wanted = sorted({p.inspection_id for p in held.problem_records.values()})
    by: dict[str, str] = {}
    while wanted:  # and the corrections of those corrections, down the chain
        found: dict[str, str] = {}
        for chunk in in_chunks(wanted):
            query = select(docs.c.id, docs.c.superseded_by).where(
                docs.c.id.in_(chunk), docs.c.superseded_by.is_not(None)
            )
            found.update((row.id, row.superseded_by) for row in conn.execute(query))
        by.update(found)
        wanted = sorted(set(found.values()) - set(by))
    owners: dict[str, int] = {}
    for chunk in in_chunks(sorted(set(by.values()))):
        query = select(docs.c.id, docs.c.owner_user_id).where(docs.c.id.in_(chunk))
        owners.update((row.id, row.owner_user_id) for row in conn.execute(query))
    held.superseded_by.update({target: (b, owners[b]) for target, b in by.items() if b in owners})


_ORDER = ("doc_insert", "doc_update", "doc_supersede", "rev_insert", "event_insert", "ref_insert", "doc_touch")


def _statement(name: str, dialect: str) -> Any:
    table: Table
    if name == "ref_insert":  # a photo named again by a later rev of the same record: the row is there already
        module: Any = postgresql if dialect == "postgresql" else sqlite
        return module.insert(photo_refs).on_conflict_do_nothing()
    if name == "doc_insert":
        return insert(docs)
    if name == "rev_insert":
        return insert(doc_revs)
    if name == "event_insert":
        return insert(events)
    table = docs
    where = table.c.id == bindparam("b_id")
    if name == "doc_update":
        return (
            update(table)
            .where(where)
            .values(current_rev=bindparam("b_rev"), change_id=bindparam("b_change"), site_id=bindparam("b_site"))
        )
    if name == "doc_supersede":
        return update(table).where(where).values(superseded_by=bindparam("b_by"))
    if name == "doc_touch":
        return update(table).where(where).values(change_id=bindparam("b_change"))
    raise ValueError(name)


def run_ops(conn: Connection, ops: Sequence[Op]) -> None:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for name, params in ops:
        grouped.setdefault(name, []).append(params)
    for name in _ORDER:
        rows = grouped.get(name)
        if rows:
            conn.execute(_statement(name, conn.dialect.name), rows)


def missing_attachments(conn: Connection, photos: Iterable[str]) -> list[str]:
    wanted = sorted(set(photos))
    present: set[str] = set()
    for chunk in in_chunks(wanted):
        present.update(
            r.sha256 for r in conn.execute(select(attachments.c.sha256).where(attachments.c.sha256.in_(chunk)))
        )
    return [p for p in wanted if p not in present]
