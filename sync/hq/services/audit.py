"""The append-only audit log: who did what, from which device, when, with what counts, kept so a
supervisor can answer "who changed this, and from where" long after the fact.

`record` writes a change's row inside the transaction of the change it describes, so an audited change and its
audit row commit together or not at all. `refuse` / `record_refusal` write refusals (401, 403, 426, a rejected push
item): who (the user when known, else the first characters of the presented token's hash, else "?"), from which
address, what (method and route) and why (the refusal's code). So that a flood of bad requests cannot grow the log
without bound, the same (actor, address, action, reason) within `REFUSAL_WINDOW` of the row's last repeat bumps that
row's `count` and `last_at` instead of adding one: the only update the server ever makes to an audit row. Nothing
deletes audit rows."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, text, update

from sync.hq.db import Database
from sync.hq.db.models import audit_log

HQ_ADMIN = "hq-admin"  # the actor for commands run on the HQ machine itself
UNKNOWN = "?"  # the actor of a refusal when neither user nor token is known
REFUSAL_WINDOW = timedelta(minutes=10)
TOKEN_PREFIX = 8  # hex characters of the presented token's sha256 that name an unknown caller: never the token
ACTION_MAX = 40  # the width of audit_log.action


def record(
    conn: Connection,
    *,
    action: str,
    actor: str,
    at: datetime,
    device_id: str | None = None,
    ip: str | None = None,
    **detail: Any,
) -> None:
    conn.execute(
        insert(audit_log).values(
            ts=at,
            action=action,
            actor=actor,
            device_id=device_id,
            ip=ip,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )
    )


def token_actor(authorization: str | None) -> str:
    """The actor for a caller HQ could not name: `token:` and the first characters of the sha256 of the token it
    presented (enough to tell one flood from another, useless to impersonate anyone), or "?" with no token."""
    if not authorization:
        return UNKNOWN
    _, _, token = authorization.partition(" ")
    token = token.strip() or authorization.strip()
    if not token:
        return UNKNOWN
    return "token:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:TOKEN_PREFIX]


def refuse(
    conn: Connection,
    *,
    actor: str,
    ip: str | None,
    action: str,
    reason: str,
    at: datetime,
    device_id: str | None = None,
    window: timedelta = REFUSAL_WINDOW,
    **detail: Any,
) -> None:
    """Audit one refusal in `conn`'s transaction, coalesced with a repeat seen within `window`."""
    action, actor, reason = action[:ACTION_MAX], actor[:200], reason[:64]
    if conn.dialect.name == "postgresql":  # two identical refusals at once must not both insert: one row per key
        key = hashlib.sha256(f"{actor}|{ip}|{action}|{reason}".encode()).digest()
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": int.from_bytes(key[:8], "big", signed=True)})
    same_ip = audit_log.c.ip.is_(None) if ip is None else audit_log.c.ip == ip
    found = conn.execute(
        select(audit_log.c.id)
        .where(
            audit_log.c.reason == reason,
            audit_log.c.actor == actor,
            audit_log.c.action == action,
            same_ip,
            audit_log.c.last_at >= at - window,
        )
        .order_by(audit_log.c.id.desc())
        .limit(1)
    ).scalar()
    if found is not None:
        conn.execute(update(audit_log).where(audit_log.c.id == found).values(count=audit_log.c.count + 1, last_at=at))
        return
    conn.execute(
        insert(audit_log).values(
            ts=at,
            last_at=at,
            count=1,
            action=action,
            actor=actor,
            device_id=device_id,
            ip=ip,
            reason=reason,
            detail=json.dumps({"reason": reason, **detail}, ensure_ascii=False, default=str),
        )
    )


def record_refusal(
    db: Database,
    *,
    actor: str,
    ip: str | None,
    action: str,
    reason: str,
    at: datetime,
    device_id: str | None = None,
    **detail: Any,
) -> None:
    """Audit one refusal in a transaction of its own (the refused request changed nothing else)."""
    with db.small_write() as conn:
        refuse(conn, actor=actor, ip=ip, action=action, reason=reason, at=at, device_id=device_id, **detail)
