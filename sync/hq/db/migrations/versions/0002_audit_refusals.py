"""Audited refusals: the audit log keeps a refusal's code and coalesces repeats (`count`, `last_at`).

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("reason", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("count", sa.Integer, nullable=False, server_default="1"))
    op.add_column("audit_log", sa.Column("last_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_audit_refusal", "audit_log", ["reason", "actor", "action"])


def downgrade() -> None:
    op.drop_index("ix_audit_refusal", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("last_at")
        batch.drop_column("count")
        batch.drop_column("reason")
