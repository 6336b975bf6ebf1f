"""Photo access follows record access: `photo_refs` (which record names which photo) and `photo_uploaders` (who
uploaded a photo's bytes), backfilled from the stored records and the attachments already held.

Revision ID: 0003
Revises: 0002
Create Date: 2026-06-01
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64
CHUNK = 1000


def _photos(kind: str, data: str) -> list[str]:
    """The photos a stored record's JSON names (the same fields push/decide.py reads)."""
    try:
        record = json.loads(data)
    except ValueError:
        return []
    if not isinstance(record, dict):
        return []
    if kind == "inspection":
        results = record.get("results") or {}
        found = [p for r in results.values() if isinstance(r, dict) for p in (r.get("photos") or [])]
    else:
        found = list(record.get("photos") or [])
    return [p for p in dict.fromkeys(found) if isinstance(p, str) and len(p) == 64]


def _refs(conn: sa.Connection) -> Iterator[dict[str, Any]]:
    revs = sa.table("doc_revs", sa.column("id"), sa.column("kind"), sa.column("data"))
    events = sa.table("events", sa.column("id"), sa.column("problem_id"), sa.column("data"))
    seen: set[tuple[str, str, str]] = set()
    for row in conn.execute(sa.select(revs.c.id, revs.c.kind, revs.c.data)).yield_per(CHUNK):
        for sha in _photos(row.kind, row.data):
            if (sha, row.kind, row.id) not in seen:
                seen.add((sha, row.kind, row.id))
                yield {"sha256": sha, "kind": row.kind, "record_id": row.id, "doc_id": row.id}
    for row in conn.execute(sa.select(events.c.id, events.c.problem_id, events.c.data)).yield_per(CHUNK):
        for sha in _photos("event", row.data):
            yield {"sha256": sha, "kind": "event", "record_id": row.id, "doc_id": row.problem_id}


def upgrade() -> None:
    refs = op.create_table(
        "photo_refs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("record_id", sa.String(ID), primary_key=True),
        sa.Column("doc_id", sa.String(ID), nullable=False),
    )
    uploaders = op.create_table(
        "photo_uploaders",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    conn = op.get_bind()
    batch: list[dict[str, Any]] = []
    for ref in _refs(conn):
        batch.append(ref)
        if len(batch) >= CHUNK:
            conn.execute(refs.insert(), batch)
            batch = []
    if batch:
        conn.execute(refs.insert(), batch)
    attachments = sa.table("attachments", sa.column("sha256"), sa.column("device_id"), sa.column("uploaded_at"))
    devices = sa.table("devices", sa.column("id"), sa.column("user_id"))
    conn.execute(
        uploaders.insert().from_select(
            ["sha256", "user_id", "uploaded_at"],
            sa.select(attachments.c.sha256, devices.c.user_id, attachments.c.uploaded_at).join(
                devices, devices.c.id == attachments.c.device_id
            ),
        )
    )


def downgrade() -> None:
    op.drop_table("photo_uploaders")
    op.drop_table("photo_refs")
