"""Signing in to the web console: passwords, sessions and the wrong-password throttle.

Only reviewers and admins get a password; inspectors work from their devices and their tokens. A password is kept
as an argon2id hash (argon2-cffi, its parameters and salt inside the hash), so a copy of the database gives no one
a password. A session is 32 random bytes in an HttpOnly cookie of which HQ keeps the sha256, with its own CSRF
token; it ends on sign-out, after `IDLE` without a request, after `LONGEST` in all, and the moment its user is
revoked (every request checks the user). Wrong passwords are counted per user name and per address: after
`FREE_FAILURES` within `WINDOW` each further try must wait, from `FIRST_WAIT` doubling up to `MAX_WAIT`, so
guessing is slowed without locking the owner out for long. Every sign-in, refusal and sign-out is audited with
the address.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, insert, select, update

from sync.hq.db import Database
from sync.hq.db.models import console_accounts, console_sessions, signin_failures, users
from sync.hq.services import audit
from sync.hq.services.auth import hash_secret
from sync.hq.services.errors import HqError, Kind
from sync.protocol import Role

__all__ = [
    "CONSOLE_ROLES",
    "IDLE",
    "ConsoleUser",
    "NewSession",
    "change_lang",
    "check_password",
    "session_user",
    "set_password",
    "sign_in",
    "sign_out",
]

CONSOLE_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})
PASSWORD_MIN = 8
PASSWORD_MAX = 256  # argon2 takes any length; a bound keeps a hostile form from costing a megabyte of hashing
IDLE = timedelta(hours=2)
LONGEST = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # refresh `last_seen_at` at most this often: page views stay reads
FREE_FAILURES = 5
WINDOW = timedelta(minutes=15)
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the library's current recommended parameters


@cache
def _decoy() -> str:
    """A hash to verify against when the user is unknown, so a wrong name costs the same time as a wrong password."""
    return _hasher().hash(secrets.token_hex(16))


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """Who a console request is from."""

    user_id: int
    name: str
    role: Role
    lang: str
    csrf: str  # the session's form token

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str  # the cookie's value; HQ keeps only its hash
    user: ConsoleUser


def check_password(password: str) -> None:
    """INVALID unless the password may be set (its length; argon2 takes any characters)."""
    if len(password) < PASSWORD_MIN:
        raise HqError(Kind.INVALID, "password_short", n=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        raise HqError(Kind.INVALID, "password_long", n=PASSWORD_MAX)


def set_password(
    db: Database, name: str, password: str, *, now: datetime, actor: str = audit.HQ_ADMIN, ip: str | None = None
) -> None:
    """Give a reviewer or an admin a (new) password. Ends the user's open sessions: a changed password must lock
    out whoever knew the old one."""
    check_password(password)
    digest = _hasher().hash(password)
    with db.small_write() as conn:
        row = conn.execute(select(users.c.id, users.c.role).where(users.c.name == name.strip())).first()
        if row is None:
            raise HqError(Kind.NOT_FOUND, "no_user", name=name)
        if Role(row.role) not in CONSOLE_ROLES:
            raise HqError(Kind.INVALID, "console_role")
        values = {"password_hash": digest, "password_set_at": now}
        if not conn.execute(
            update(console_accounts).where(console_accounts.c.user_id == row.id).values(**values)
        ).rowcount:
            conn.execute(insert(console_accounts).values(user_id=row.id, **values))
        conn.execute(
            update(console_sessions)
            .where(console_sessions.c.user_id == row.id, console_sessions.c.ended_at.is_(None))
            .values(ended_at=now)
        )
        audit.record(conn, action="console_password", actor=actor, ip=ip, at=now, user=name.strip())


def _wait_left(conn: Connection, keys: list[str], now: datetime) -> int:
    """Seconds until the throttle lets the next try through (0: now)."""
    rows = conn.execute(select(signin_failures.c.locked_until).where(signin_failures.c.key.in_(keys)))
    waits = [(row.locked_until - now).total_seconds() for row in rows if row.locked_until is not None]
    return max(0, int(max(waits, default=0) + 0.999))


def _count_failure(conn: Connection, key: str, now: datetime) -> None:
    row = conn.execute(select(signin_failures).where(signin_failures.c.key == key)).first()
    if row is None or (now - row.first_at > WINDOW and (row.locked_until is None or row.locked_until <= now)):
        conn.execute(delete(signin_failures).where(signin_failures.c.key == key))
        conn.execute(insert(signin_failures).values(key=key, failures=1, first_at=now, locked_until=None))
        return
    failures = int(row.failures) + 1
    locked = None
    if failures >= FREE_FAILURES:
        locked = now + min(FIRST_WAIT * 2 ** (failures - FREE_FAILURES), MAX_WAIT)
    conn.execute(
        update(signin_failures).where(signin_failures.c.key == key).values(failures=failures, locked_until=locked)
    )


def sign_in(db: Database, name: str, password: str, *, ip: str | None, now: datetime) -> NewSession:
    """A new session for a reviewer or admin whose password matches; UNAUTHORIZED otherwise (the same words for an
    unknown name and a wrong password), TOO_MANY while the throttle holds."""
    name = name.strip()[:200]
    keys = [f"user:{name}", f"ip:{ip or '?'}"]
    with db.read() as conn:
        wait = _wait_left(conn, keys, now)
        row = conn.execute(
            select(users.c.id, users.c.name, users.c.role, users.c.revoked_at, console_accounts)
            .join(console_accounts, console_accounts.c.user_id == users.c.id)
            .where(users.c.name == name)
        ).first()
    if wait:
        audit.record_refusal(
            db, actor=name or audit.UNKNOWN, ip=ip, action="console_signin", reason="throttled", at=now
        )
        raise HqError(Kind.TOO_MANY, "throttled", key="signin_throttled", seconds=wait)
    good = _verify(row.password_hash if row is not None else _decoy(), password[:PASSWORD_MAX])
    allowed = row is not None and good and row.revoked_at is None and Role(row.role) in CONSOLE_ROLES
    if not allowed or row is None:
        with db.small_write() as conn:
            for key in keys:
                _count_failure(conn, key, now)
            reason = "bad_password" if row is not None and not good else "revoked" if row is not None else "no_account"
            audit.refuse(conn, actor=name or audit.UNKNOWN, ip=ip, action="console_signin", reason=reason, at=now)
        raise HqError(Kind.UNAUTHORIZED, "bad_signin")
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with db.small_write() as conn:
        conn.execute(delete(signin_failures).where(signin_failures.c.key == keys[0]))
        conn.execute(
            insert(console_sessions).values(
                token_hash=hash_secret(token), user_id=row.id, csrf=csrf, created_at=now, last_seen_at=now, ip=ip
            )
        )
        conn.execute(delete(console_sessions).where(console_sessions.c.last_seen_at < now - LONGEST * 2))
        audit.record(conn, action="console_signin", actor=row.name, at=now, ip=ip)
    user = ConsoleUser(user_id=int(row.id), name=row.name, role=Role(row.role), lang=row.lang, csrf=csrf)
    return NewSession(token=token, user=user)


def _verify(digest: str, password: str) -> bool:
    try:
        return _hasher().verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False


def session_user(db: Database, token: str | None, *, now: datetime) -> ConsoleUser:
    """The user of a live session; UNAUTHORIZED (`no_session` or `session_expired`) otherwise."""
    if not token:
        raise HqError(Kind.UNAUTHORIZED, "no_session")
    query = (
        select(
            console_sessions.c.csrf,
            console_sessions.c.created_at,
            console_sessions.c.last_seen_at,
            console_sessions.c.ended_at,
            users.c.id,
            users.c.name,
            users.c.role,
            users.c.revoked_at,
            console_accounts.c.lang,
        )
        .join(users, users.c.id == console_sessions.c.user_id)
        .join(console_accounts, console_accounts.c.user_id == users.c.id)
        .where(console_sessions.c.token_hash == hash_secret(token))
    )
    with db.read() as conn:
        row = conn.execute(query).first()
    if row is None or row.ended_at is not None or row.revoked_at is not None or Role(row.role) not in CONSOLE_ROLES:
        raise HqError(Kind.UNAUTHORIZED, "no_session")
    if now - row.last_seen_at > IDLE or now - row.created_at > LONGEST:
        raise HqError(Kind.UNAUTHORIZED, "session_expired")
    if now - row.last_seen_at > TOUCH_EVERY:
        with db.small_write() as conn:
            conn.execute(
                update(console_sessions)
                .where(console_sessions.c.token_hash == hash_secret(token))
                .values(last_seen_at=now)
            )
    return ConsoleUser(user_id=int(row.id), name=row.name, role=Role(row.role), lang=row.lang, csrf=row.csrf)


def sign_out(db: Database, token: str, who: ConsoleUser, *, ip: str | None, now: datetime) -> None:
    with db.small_write() as conn:
        conn.execute(
            update(console_sessions).where(console_sessions.c.token_hash == hash_secret(token)).values(ended_at=now)
        )
        audit.record(conn, action="console_signout", actor=who.name, at=now, ip=ip)


def change_lang(db: Database, who: ConsoleUser, lang: str) -> None:
    """Remember the page language for the user (every session of it, on any PC)."""
    with db.small_write() as conn:
        conn.execute(
            update(console_accounts)
            .where(console_accounts.c.user_id == who.user_id)
            .values(lang="en" if lang == "en" else "zh")
        )
