"""What `inspector hq user list`, `device list | revoke`, `audit` and the console's 用户与设备 and 审计日志 pages read
and change: users, their devices, the audit log. A device revocation is audited, with who asked and from where, in
the transaction that makes it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from sync.hq.db import Database
from sync.hq.db.models import audit_log, devices, users
from sync.hq.services import audit
from sync.hq.services.errors import HqError, Kind


@dataclass(frozen=True)
class UserRow:
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None
    devices: int  # not revoked


def list_users(db: Database) -> list[UserRow]:
    live = (
        select(devices.c.user_id, func.count().label("n"))
        .where(devices.c.revoked_at.is_(None))
        .group_by(devices.c.user_id)
        .subquery()
    )
    query = (
        select(users.c.name, users.c.role, users.c.created_at, users.c.revoked_at, live.c.n)
        .outerjoin(live, live.c.user_id == users.c.id)
        .order_by(users.c.name)
    )
    with db.read() as conn:
        return [UserRow(r.name, r.role, r.created_at, r.revoked_at, int(r.n or 0)) for r in conn.execute(query)]


@dataclass(frozen=True)
class DeviceRow:
    id: str
    user: str
    name: str
    app_version: str
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None


def list_devices(db: Database) -> list[DeviceRow]:
    query = (
        select(devices, users.c.name.label("user"))
        .join(users, users.c.id == devices.c.user_id)
        .order_by(users.c.name, devices.c.created_at)
    )
    with db.read() as conn:
        return [
            DeviceRow(r.id, r.user, r.name, r.app_version, r.created_at, r.last_seen_at, r.revoked_at)
            for r in conn.execute(query)
        ]


def revoke_device(
    db: Database, device_id: str, *, now: datetime, actor: str = audit.HQ_ADMIN, ip: str | None = None
) -> tuple[DeviceRow, bool]:
    """Revoke one device (its next request is refused). (the device, whether this call revoked it)."""
    device_id = device_id.strip()
    with db.small_write() as conn:
        row = conn.execute(
            select(devices, users.c.name.label("user"))
            .join(users, users.c.id == devices.c.user_id)
            .where(devices.c.id == device_id)
        ).first()
        if row is None:
            raise HqError(Kind.NOT_FOUND, "no_device", id=device_id[:80])
        if row.revoked_at is not None:
            return DeviceRow(
                row.id, row.user, row.name, row.app_version, row.created_at, row.last_seen_at, row.revoked_at
            ), False
        conn.execute(update(devices).where(devices.c.id == device_id).values(revoked_at=now))
        audit.record(conn, action="device_revoke", actor=actor, ip=ip, at=now, device_id=device_id, user=row.user)
    return DeviceRow(row.id, row.user, row.name, row.app_version, row.created_at, row.last_seen_at, now), True


@dataclass(frozen=True)
class AuditRow:
    id: int
    ts: datetime
    actor: str
    action: str
    device_id: str | None
    ip: str | None
    reason: str | None
    count: int
    last_at: datetime | None
    detail: dict[str, Any]


def audit_entries(
    db: Database,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[AuditRow]:
    """The newest `limit` rows after skipping `offset` (at or after `since`, before `until`, by `actor`, of
    `action`), newest first. Values are bound parameters compared for equality: a filter is never a pattern."""
    query = select(audit_log)
    if since is not None:
        query = query.where(audit_log.c.ts >= since)
    if until is not None:
        query = query.where(audit_log.c.ts < until)
    if actor is not None:
        query = query.where(audit_log.c.actor == actor)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    query = query.order_by(audit_log.c.id.desc()).limit(limit).offset(max(offset, 0))
    found = []
    with db.read() as conn:
        for r in conn.execute(query):
            try:
                detail = json.loads(r.detail)
            except ValueError:
                detail = {"detail": r.detail}
            found.append(
                AuditRow(
                    r.id,
                    r.ts,
                    r.actor,
                    r.action,
                    r.device_id,
                    r.ip,
                    r.reason,
                    int(r._mapping["count"] or 1),
                    r.last_at,
                    detail if isinstance(detail, dict) else {"detail": detail},
                )
            )
    return found


def audit_actions(db: Database) -> list[str]:
    """Every action the log holds, for the audit page's choice of action."""
    with db.read() as conn:
        return [
            str(a) for a in conn.execute(select(audit_log.c.action).distinct().order_by(audit_log.c.action)).scalars()
        ]
