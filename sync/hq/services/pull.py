"""`GET /v1/sync/pull?cursor=`: what changed at HQ since the device's cursor, within what the device may see.

The cursor is `<epoch>:<change id>`. The head of the change counter is read first and every query is bounded by it;
since writers commit in counter order (db.py), everything up to the head is committed and nothing is skipped. A
cursor from another database (or from before a restore) has the wrong epoch or lies beyond the head: the device is
told to start again (`reset_required`).

Scope: sites and checklists go to everyone; an inspector gets its own assignments and the problems at its assigned
sites or found by itself; reviewers and admins get everything. Problems travel whole, with every event in server
order, so the device folds exactly what HQ folds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, or_, select

from sync.hq.db import Database, in_chunks
from sync.hq.db.models import assignments, checklists, doc_revs, docs, events, sites, users
from sync.hq.services import settings
from sync.hq.services.auth import Principal
from sync.hq.services.errors import HqError, Kind

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000


def parse_cursor(cursor: str | None, epoch: str, head: int) -> tuple[int, bool]:
    """(position, reset_required). A malformed cursor is a client bug: refused rather than a silent restart."""
    if not cursor:
        return 0, False
    given_epoch, sep, number = cursor.rpartition(":")
    if not sep or not number.isdigit() or len(number) > 18:
        raise HqError(Kind.INVALID, "bad_cursor", cursor=repr(cursor[:80]))
    position = int(number)
    if given_epoch != epoch or position > head:
        return 0, True
    return position, False


def _json_str(value: str | None) -> str:
    return json.dumps(value, ensure_ascii=False)


def _splice(data: str, extra: str) -> str:
    """Add fields to a stored JSON object without re-parsing it: `{"a":1}` + `"b":2` → `{"a":1,"b":2}`."""
    return data[:-1] + "," + extra + "}"


def pull(db: Database, who: Principal, cursor: str | None, limit: int, *, now: datetime) -> str:
    """The pull answer as JSON text (assembled from stored JSON, so a big page costs no re-encoding)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise HqError(Kind.INVALID, "bad_limit", max=MAX_LIMIT)
    with db.read() as conn:
        head, epoch = db.head(conn)
        position, reset = parse_cursor(cursor, epoch, head)
        rows: list[tuple[int, str, Any]] = []
        has_more = False
        if not reset and position < head:
            rows, has_more = _changes(conn, who, position, head, limit)
        next_position = rows[-1][0] if has_more else (0 if reset else head)
        keep_gps = settings.switched_on(conn, settings.PHOTOS_KEEP_GPS)
        parts = {"sites": [], "checklists": [], "assignments": [], "problems": []}  # type: dict[str, list[str]]
        problem_rows = [row for _, kind, row in rows if kind == "problems"]
        problem_json = problems_json(conn, problem_rows)
        for change_id, kind, row in rows:
            if kind == "sites":
                parts["sites"].append(_splice(row.data, f'"server_version":{change_id}'))
            elif kind == "checklists":
                parts["checklists"].append(row.data)
            elif kind == "assignments":
                parts["assignments"].append(
                    json.dumps(
                        {
                            "id": row.id,
                            "user": row.name,
                            "site_id": row.site_id,
                            "batch": row.batch,
                            "active": bool(row.active),
                            "server_version": change_id,
                        },
                        ensure_ascii=False,
                    )
                )
            else:
                parts["problems"].append(problem_json[row.id])
    head_fields = (
        f'"server_time":{_json_str(now.isoformat())},"cursor":{_json_str(f"{epoch}:{next_position}")},'
        f'"has_more":{"true" if has_more else "false"},"reset_required":{"true" if reset else "false"},'
        f'"photo_gps":{"true" if keep_gps else "false"}'
    )
    lists = ",".join(f'"{name}":[{",".join(items)}]' for name, items in parts.items())
    return "{" + head_fields + "," + lists + "}"


def problem_scope(who: Principal) -> ColumnElement[bool]:
    """The problems (rows of `docs`) an asker that does not see everything may pull: its own, and those at the sites
    it is actively assigned to. Photo access (attachments.py) asks the same question of the records naming a photo."""
    my_sites = select(assignments.c.site_id).where(
        and_(assignments.c.user_id == who.user_id, assignments.c.active.is_(True))
    )
    return or_(docs.c.owner_user_id == who.user_id, docs.c.site_id.in_(my_sites))


def _changes(
    conn: Connection, who: Principal, position: int, head: int, limit: int
) -> tuple[list[tuple[int, str, Any]], bool]:
    """The first `limit` changes after `position` across every pulled table, in change order."""
    queries: list[tuple[str, Select[Any]]] = [
        ("sites", select(sites.c.change_id, sites.c.data)),
        ("checklists", select(checklists.c.change_id, checklists.c.data)),
    ]
    assignment_query = select(
        assignments.c.change_id,
        assignments.c.id,
        users.c.name,
        assignments.c.site_id,
        assignments.c.batch,
        assignments.c.active,
    ).join(users, users.c.id == assignments.c.user_id)
    problem_query = select(docs.c.change_id, docs.c.id, docs.c.current_rev).where(docs.c.kind == "problem")
    if not who.sees_everything:
        assignment_query = assignment_query.where(assignments.c.user_id == who.user_id)
        problem_query = problem_query.where(problem_scope(who))
    queries += [("assignments", assignment_query), ("problems", problem_query)]
    found: list[tuple[int, str, Any]] = []
    for kind, query in queries:
        change = query.selected_columns.change_id
        bounded = query.where(change > position, change <= head).order_by(change).limit(limit + 1)
        found.extend((int(row.change_id), kind, row) for row in conn.execute(bounded))
    found.sort(key=lambda item: item[0])
    return found[:limit], len(found) > limit


def problems_json(conn: Connection, rows: Sequence[Any]) -> dict[str, str]:
    """Each problem as Problem JSON: its current version, its events in server order, and its HQ sync state."""
    if not rows:
        return {}
    ids = [row.id for row in rows]
    data: dict[str, str] = {}
    for chunk in in_chunks(ids):
        query = (
            select(doc_revs.c.id, doc_revs.c.data)
            .join(docs, and_(docs.c.id == doc_revs.c.id, docs.c.current_rev == doc_revs.c.rev))
            .where(docs.c.id.in_(chunk))
        )
        data.update((row.id, row.data) for row in conn.execute(query))
    event_json: dict[str, list[str]] = {pid: [] for pid in ids}
    for chunk in in_chunks(ids):
        query = (
            select(events.c.problem_id, events.c.rev, events.c.server_order, events.c.conflict, events.c.data)
            .where(events.c.problem_id.in_(chunk))
            .order_by(events.c.server_order)
        )
        for row in conn.execute(query):
            state = "conflict" if row.conflict else "synced"
            sync = (
                f'{{"state":"{state}","rev":{_json_str(row.rev)},"base_rev":null,'
                f'"server_version":{row.server_order},"message":{_json_str(row.conflict)}}}'
            )
            extra = f'"server_order":{row.server_order},"conflict":{_json_str(row.conflict)},"sync":{sync}'
            event_json[row.problem_id].append(_splice(row.data, extra))
    out: dict[str, str] = {}
    for row in rows:
        sync = (
            f'{{"state":"synced","rev":{_json_str(row.current_rev)},"base_rev":null,'
            f'"server_version":{row.change_id},"message":null}}'
        )
        out[row.id] = _splice(data[row.id], f'"events":[{",".join(event_json[row.id])}],"sync":{sync}')
    return out
