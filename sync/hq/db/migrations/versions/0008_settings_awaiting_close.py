"""HQ settings (hq_settings: key → value, e.g. `inspectors_close`), and 待销号: a passed re-inspection no longer
closes a problem but leaves it awaiting the office's 销号, so every problem's folded status in the read model is
derived again from the stored records.

0004 creates its tables from models.py as it is now, so a database created from scratch has the table already.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from sync.hq.db.models import hq_settings
    from sync.hq.services.readmodel import rebuild

    conn = op.get_bind()
    if "hq_settings" not in sa.inspect(conn).get_table_names():
        hq_settings.create(conn)
    rebuild(conn)


def downgrade() -> None:
    if "hq_settings" in sa.inspect(op.get_bind()).get_table_names():
        op.drop_table("hq_settings")
