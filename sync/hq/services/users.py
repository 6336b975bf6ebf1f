"""Users, enrollment codes and devices: `hq user add` issues a code, a device trades it for a token, `hq user revoke`
cuts every device of a user off at its next request. All of it is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from inspector.core.ids import new_id
from sync.hq.db import Database
from sync.hq.db.models import console_sessions, devices, enrollment_codes, users
from sync.hq.services import audit
from sync.hq.services.auth import CODE_LIFETIME, format_code, hash_secret, new_code, new_token, normalize_code
from sync.hq.services.errors import HqError, Kind
from sync.protocol import EnrollRequest, EnrollResponse, Role


@dataclass(frozen=True)
class IssuedCode:
    user: str
    role: Role
    code: str  # formatted for people, e.g. ABCD-EFGH
    expires_at: datetime
    created_user: bool


def add_user(
    db: Database, name: str, role: Role, *, now: datetime, actor: str = audit.HQ_ADMIN, ip: str | None = None
) -> IssuedCode:
    """Create the user (or reuse it, with the same role) and issue a fresh one-time enrollment code."""
    name = name.strip()
    if not name or len(name) > 200:
        raise HqError(Kind.INVALID, "invalid_name", key="user_name")
    code = new_code()
    with db.write() as w:
        row = w.conn.execute(select(users).where(users.c.name == name)).first()
        created = row is None
        if row is None:
            user_id = w.conn.execute(
                insert(users).values(name=name, role=role.value, created_at=now)
            ).inserted_primary_key
            assert user_id is not None
            uid = int(user_id[0])
        else:
            if row.role != role.value:
                raise HqError(
                    Kind.CONFLICT, "role_clash", key="user_role_clash", name=name, role=row.role, wanted=role.value
                )
            uid = int(row.id)
            if row.revoked_at is not None:  # issuing a new code lifts the revocation; old devices stay cut off
                w.conn.execute(update(users).where(users.c.id == uid).values(revoked_at=None))
        expires = now + CODE_LIFETIME
        w.conn.execute(
            insert(enrollment_codes).values(
                code_hash=hash_secret(code), user_id=uid, created_at=now, expires_at=expires
            )
        )
        audit.record(w.conn, action="user_add", actor=actor, ip=ip, at=now, user=name, role=role.value, new=created)
    return IssuedCode(user=name, role=role, code=format_code(code), expires_at=expires, created_user=created)


def revoke_user(db: Database, name: str, *, now: datetime, actor: str = audit.HQ_ADMIN, ip: str | None = None) -> int:
    """Revoke the user, all its devices and its unused codes. Returns how many devices were cut off."""
    with db.write() as w:
        row = w.conn.execute(select(users).where(users.c.name == name.strip())).first()
        if row is None:
            raise HqError(Kind.NOT_FOUND, "no_user", name=name)
        w.conn.execute(update(users).where(users.c.id == row.id).values(revoked_at=now))
        count = w.conn.execute(
            update(devices).where(devices.c.user_id == row.id, devices.c.revoked_at.is_(None)).values(revoked_at=now)
        ).rowcount
        w.conn.execute(
            update(enrollment_codes)
            .where(enrollment_codes.c.user_id == row.id, enrollment_codes.c.used_at.is_(None))
            .values(expires_at=now)
        )
        w.conn.execute(  # a console session ends too, and stays ended should the user be given a new code later
            update(console_sessions)
            .where(console_sessions.c.user_id == row.id, console_sessions.c.ended_at.is_(None))
            .values(ended_at=now)
        )
        audit.record(w.conn, action="user_revoke", actor=actor, ip=ip, at=now, user=row.name, devices=count)
    return int(count)


def enroll(db: Database, request: EnrollRequest, *, now: datetime, ip: str | None) -> EnrollResponse:
    """Trade a one-time code for a new device id and token. The code dies with its first use."""
    code_hash = hash_secret(normalize_code(request.code))
    token = new_token()
    device_id = new_id()
    with db.write() as w:
        row = w.conn.execute(
            select(enrollment_codes, users.c.name, users.c.role, users.c.revoked_at)
            .join(users, users.c.id == enrollment_codes.c.user_id)
            .where(enrollment_codes.c.code_hash == code_hash)
        ).first()
        if row is None:
            raise HqError(Kind.UNAUTHORIZED, "bad_code")
        if row.used_at is not None:
            raise HqError(Kind.UNAUTHORIZED, "code_used")
        if row.revoked_at is not None or row.expires_at <= now:
            raise HqError(Kind.UNAUTHORIZED, "code_expired")
        w.conn.execute(
            insert(devices).values(
                id=device_id,
                user_id=row.user_id,
                token_hash=hash_secret(token),
                name=request.device_name,
                app_version=request.app_version,
                created_at=now,
                last_seen_at=now,
            )
        )
        w.conn.execute(
            update(enrollment_codes)
            .where(enrollment_codes.c.code_hash == code_hash)
            .values(used_at=now, device_id=device_id)
        )
        audit.record(
            w.conn, action="enroll", actor=row.name, at=now, device_id=device_id, ip=ip, device_name=request.device_name
        )
    return EnrollResponse(server_time=now, device_id=device_id, token=token, user=row.name, role=Role(row.role))
