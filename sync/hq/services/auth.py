"""Device tokens, enrollment codes and roles.

A device proves itself with `Authorization: Bearer <token>`: 32 random bytes, of which HQ keeps only the sha256, so
a copy of the database cannot impersonate anyone. A user's devices are cut off the moment the user is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from sync.hq.db import Database
from sync.hq.db.models import devices, users
from sync.hq.services.errors import HqError, Kind
from sync.protocol import Role

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or typed from paper without doubt
CODE_LENGTH = 8
CODE_LIFETIME = timedelta(hours=24)
LAST_SEEN_EVERY = timedelta(minutes=5)  # refresh `last_seen_at` at most this often: reads stay reads


@dataclass(frozen=True)
class Principal:
    """Who is asking: the user behind the token and the device it was issued to."""

    user_id: int
    user: str
    role: Role
    device_id: str

    @property
    def sees_everything(self) -> bool:
        return self.role in (Role.REVIEWER, Role.ADMIN)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """`ABCDEFGH` → `ABCD-EFGH`, easier to read out."""
    return f"{code[:4]}-{code[4:]}"


def normalize_code(typed: str) -> str:
    """What a person typed (any case, spaces or dashes) → the code as issued."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise HqError(Kind.UNAUTHORIZED, "no_token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HqError(Kind.UNAUTHORIZED, "bad_token")
    return token.strip()


def authenticate(db: Database, authorization: str | None, *, now: datetime) -> Principal:
    """The principal behind a bearer token, or an UNAUTHORIZED HqError saying whether it is unknown or revoked."""
    token = bearer_token(authorization)
    query = (
        select(
            devices.c.id,
            devices.c.revoked_at,
            devices.c.last_seen_at,
            users.c.id.label("user_id"),
            users.c.name,
            users.c.role,
            users.c.revoked_at.label("user_revoked_at"),
        )
        .join(users, users.c.id == devices.c.user_id)
        .where(devices.c.token_hash == hash_secret(token))
    )
    with db.read() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise HqError(Kind.UNAUTHORIZED, "unknown_token")
    revoked_at = row.revoked_at or row.user_revoked_at
    if revoked_at is not None:
        raise HqError(Kind.UNAUTHORIZED, "revoked", at=f"{revoked_at:%Y-%m-%d %H:%M}")
    if row.last_seen_at is None or now - row.last_seen_at > LAST_SEEN_EVERY:
        with db.small_write() as conn:
            conn.execute(update(devices).where(devices.c.id == row.id).values(last_seen_at=now))
    return Principal(user_id=row.user_id, user=row.name, role=Role(row.role), device_id=row.id)


def require_role(who: Principal, *allowed: Role) -> None:
    if who.role not in allowed:
        names = " or ".join(r.value for r in allowed)
        raise HqError(Kind.FORBIDDEN, "forbidden", roles=names, user=who.user, role=who.role.value)
