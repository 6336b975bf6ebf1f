"""The append-only audit log: who did what, from which device, when, with what counts, kept so a
supervisor can answer "who changed this, and from where" long after the fact.

Only `record` writes here, always inside the transaction of the change it describes, so an audited change and its
audit row commit together or not at all. Nothing in the server updates or deletes audit rows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from sync.hq.db.models import audit_log

HQ_ADMIN = "hq-admin"  # the actor for commands run on the HQ machine itself


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
