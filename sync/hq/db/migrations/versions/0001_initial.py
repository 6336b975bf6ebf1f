"""The first HQ schema: users and devices, records and their revisions, events, reference data, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-05-01
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64
REF = 200


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(REF), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        _time("created_at"),
        _time("revoked_at", nullable=True),
    )
    op.create_table(
        "enrollment_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        _time("created_at"),
        _time("expires_at"),
        _time("used_at", nullable=True),
        sa.Column("device_id", sa.String(ID)),
    )
    op.create_index("ix_enrollment_codes_user_id", "enrollment_codes", ["user_id"])
    op.create_table(
        "devices",
        sa.Column("id", sa.String(ID), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(REF), nullable=False),
        sa.Column("app_version", sa.String(50), nullable=False),
        _time("created_at"),
        _time("last_seen_at", nullable=True),
        _time("revoked_at", nullable=True),
    )
    op.create_index("ix_devices_user_id", "devices", ["user_id"])
    counter = op.create_table(
        "sequence_counter",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Column("epoch", sa.String(ID), nullable=False),
    )
    op.bulk_insert(counter, [{"id": 1, "value": 0, "epoch": str(uuid.uuid4())}])
    op.create_table(
        "docs",
        sa.Column("id", sa.String(ID), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("current_rev", sa.String(ID), nullable=False),
        sa.Column("change_id", sa.BigInteger, nullable=False, unique=True),
        sa.Column("owner_user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("owner_device_id", sa.String(ID), nullable=False),
        sa.Column("site_id", sa.String(REF), nullable=False),
        sa.Column("superseded_by", sa.String(ID)),
        _time("received_at"),
    )
    op.create_index("ix_docs_kind_change", "docs", ["kind", "change_id"])
    op.create_index("ix_docs_site", "docs", ["site_id"])
    op.create_index("ix_docs_owner", "docs", ["owner_user_id"])
    op.create_table(
        "doc_revs",
        sa.Column("id", sa.String(ID), primary_key=True),
        sa.Column("rev", sa.String(ID), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("base_rev", sa.String(ID)),
        sa.Column("content_sha", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("message", sa.Text),
        sa.Column("server_version", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("device_id", sa.String(ID), nullable=False),
        _time("received_at"),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.String(ID), primary_key=True),
        sa.Column("rev", sa.String(ID), nullable=False),
        sa.Column("problem_id", sa.String(ID), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("server_order", sa.BigInteger, nullable=False, unique=True),
        sa.Column("conflict", sa.Text),
        sa.Column("content_sha", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("device_id", sa.String(ID), nullable=False),
        _time("received_at"),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_events_problem_id", "events", ["problem_id"])
    op.create_table(
        "attachments",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mime", sa.String(50), nullable=False),
        sa.Column("device_id", sa.String(ID), nullable=False),
        _time("uploaded_at"),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.String(REF), primary_key=True),
        sa.Column("change_id", sa.BigInteger, nullable=False, unique=True),
        _time("updated_at"),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "checklists",
        sa.Column("id", sa.String(REF), primary_key=True),
        sa.Column("version", sa.String(REF), primary_key=True),
        sa.Column("change_id", sa.BigInteger, nullable=False, unique=True),
        sa.Column("content_sha", sa.String(64), nullable=False),
        _time("published_at"),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.String(ID), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("site_id", sa.String(REF), nullable=False),
        sa.Column("batch", sa.String(REF), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("change_id", sa.BigInteger, nullable=False, unique=True),
        _time("updated_at"),
        sa.UniqueConstraint("user_id", "site_id", "batch", name="uq_assignment"),
    )
    op.create_index("ix_assignments_user_site", "assignments", ["user_id", "site_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _time("ts"),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(REF), nullable=False),
        sa.Column("device_id", sa.String(ID)),
        sa.Column("ip", sa.String(64)),
        sa.Column("detail", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "audit_log",
        "assignments",
        "checklists",
        "sites",
        "attachments",
        "events",
        "doc_revs",
        "docs",
        "sequence_counter",
        "devices",
        "enrollment_codes",
        "users",
    ):
        op.drop_table(table)
