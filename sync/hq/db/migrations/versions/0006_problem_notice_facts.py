"""rm_problems gains what the 整改通知书 and the bulletin's 整改落实 read: the before-photos (photo_ids), the number of
延期 (extended) and the day of the last 提交整改 (fixed_on); the rows are derived again from the stored records.

An HQ created at 0004 by this code already has the columns (0004 creates the tables from models.py), so each is
added only when missing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("photo_ids", "extended", "fixed_on")


def upgrade() -> None:
    from sync.hq.services.readmodel import rebuild

    conn = op.get_bind()
    present = {c["name"] for c in sa.inspect(conn).get_columns("rm_problems")}
    with op.batch_alter_table("rm_problems") as batch:
        if "photo_ids" not in present:
            batch.add_column(sa.Column("photo_ids", sa.Text(), nullable=False, server_default=""))
        if "extended" not in present:
            batch.add_column(sa.Column("extended", sa.Integer(), nullable=False, server_default="0"))
        if "fixed_on" not in present:
            batch.add_column(sa.Column("fixed_on", sa.Date()))
    rebuild(conn)


def downgrade() -> None:
    with op.batch_alter_table("rm_problems") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
