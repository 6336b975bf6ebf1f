"""Reference data owned by HQ and pulled by devices: sites, checklist versions, assignments.

Each change takes a fresh change id so devices pull it; re-sending unchanged data changes nothing. A checklist
version, once published, never changes (getodk/central#39): publish a new version instead. A new assignment also
re-sends the problems at that site, so an inspector who takes over a site receives its open problems."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from inspector.core.ids import new_id
from inspector.core.records import Site
from sync.hq.db import Database, Writer, sha256_text
from sync.hq.db.models import assignments, checklists, docs, sites, users
from sync.hq.services import audit, readmodel
from sync.hq.services.errors import HqError, Kind
from sync.protocol import AssignmentsUpload, ChecklistsUpload, SitesUpload


def upsert_sites(
    db: Database,
    upload: SitesUpload,
    *,
    actor: str,
    device_id: str | None,
    now: datetime,
    action: str = "sites",
    **detail: Any,
) -> tuple[int, int]:
    """(changed, unchanged). The audit row (`action`, with `detail` beside the counts) commits with the change."""
    changed = unchanged = 0
    changed_sites: list[Site] = []
    with db.write() as w:
        ids = [s.id for s in upload.sites]
        current = {r.id: r.data for r in w.conn.execute(select(sites.c.id, sites.c.data).where(sites.c.id.in_(ids)))}
        for site in upload.sites:
            if len(site.id) > 200:
                raise HqError(Kind.INVALID, "invalid_request", key="site_id_too_long", id=site.id[:40])
            data = site.model_dump_json(exclude={"server_version"})
            if current.get(site.id) == data:
                unchanged += 1
                continue
            values = {"change_id": w.next_change_id(), "updated_at": now, "data": data}
            if site.id in current:
                w.conn.execute(update(sites).where(sites.c.id == site.id).values(**values))
            else:
                w.conn.execute(insert(sites).values(id=site.id, **values))
            current[site.id] = data
            changed_sites.append(site)
            changed += 1
        readmodel.refresh_sites(w.conn, changed_sites)
        audit.record(
            w.conn,
            action=action,
            actor=actor,
            at=now,
            device_id=device_id,
            changed=changed,
            unchanged=unchanged,
            **detail,
        )
    return changed, unchanged


def publish_checklists(
    db: Database, upload: ChecklistsUpload, *, actor: str, device_id: str | None, now: datetime, ip: str | None = None
) -> tuple[int, int]:
    changed = unchanged = 0
    with db.write() as w:
        for checklist in upload.checklists:
            data = checklist.model_dump_json()
            sha = sha256_text(data)
            row = w.conn.execute(
                select(checklists.c.content_sha).where(
                    checklists.c.id == checklist.id, checklists.c.version == checklist.version
                )
            ).first()
            if row is not None:
                if row.content_sha != sha:
                    raise HqError(Kind.CONFLICT, "checklist_published", checklist=checklist.key)
                unchanged += 1
                continue
            w.conn.execute(
                insert(checklists).values(
                    id=checklist.id,
                    version=checklist.version,
                    change_id=w.next_change_id(),
                    content_sha=sha,
                    published_at=now,
                    data=data,
                )
            )
            changed += 1
        audit.record(
            w.conn,
            action="checklists",
            actor=actor,
            at=now,
            device_id=device_id,
            ip=ip,
            changed=changed,
            unchanged=unchanged,
        )
    return changed, unchanged


def set_assignments(
    db: Database,
    upload: AssignmentsUpload,
    *,
    actor: str,
    device_id: str | None,
    now: datetime,
    action: str = "assignments",
    **detail: Any,
) -> tuple[int, int]:
    """(changed, unchanged). The audit row (`action`, with `detail` beside the counts) commits with the change."""
    changed = unchanged = 0
    with db.write() as w:
        names = {a.user for a in upload.assignments}
        user_ids = {
            r.name: r.id for r in w.conn.execute(select(users.c.id, users.c.name).where(users.c.name.in_(names)))
        }
        unknown = sorted(names - user_ids.keys())
        if unknown:
            raise HqError(Kind.INVALID, "unknown_user", names=", ".join(unknown[:10]))
        for a in upload.assignments:
            uid = user_ids[a.user]
            row = w.conn.execute(
                select(assignments.c.id, assignments.c.active).where(
                    assignments.c.user_id == uid, assignments.c.site_id == a.site_id, assignments.c.batch == a.batch
                )
            ).first()
            if row is not None and bool(row.active) == a.active:
                unchanged += 1
                continue
            values = {"active": a.active, "change_id": w.next_change_id(), "updated_at": now}
            if row is None:
                w.conn.execute(
                    insert(assignments).values(id=new_id(), user_id=uid, site_id=a.site_id, batch=a.batch, **values)
                )
            else:
                w.conn.execute(update(assignments).where(assignments.c.id == row.id).values(**values))
            if a.active:
                _resend_problems_at(w, a.site_id)
            changed += 1
        audit.record(
            w.conn,
            action=action,
            actor=actor,
            at=now,
            device_id=device_id,
            changed=changed,
            unchanged=unchanged,
            **detail,
        )
    return changed, unchanged


def _resend_problems_at(w: Writer, site_id: str) -> None:
    conn: Connection = w.conn
    ids = [r.id for r in conn.execute(select(docs.c.id).where(docs.c.kind == "problem", docs.c.site_id == site_id))]
    for problem_id in ids:
        conn.execute(update(docs).where(docs.c.id == problem_id).values(change_id=w.next_change_id()))


def sites_by_id(db: Database, ids: Iterable[str]) -> dict[str, Site]:
    """The named sites HQ holds (a page of the console names the sites of its rows, not the whole city's)."""
    with db.read() as conn:
        return readmodel.read_sites(conn, ids)
