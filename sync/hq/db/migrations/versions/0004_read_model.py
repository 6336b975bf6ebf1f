"""The read model: `rm_inspections`, `rm_item_results`, `rm_problems`, built from the records already stored.

The tables are created from their one definition in models.py, and filled by the same derivation the pushes use
(services/readmodel.py `rebuild`), so an HQ upgraded from 0003 holds exactly the rows it would have written itself.
A later change to these tables comes as its own migration.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("rm_inspections", "rm_item_results", "rm_problems")


def upgrade() -> None:
    from sync.hq.db.models import metadata
    from sync.hq.services.readmodel import rebuild

    conn = op.get_bind()
    for name in TABLES:
        metadata.tables[name].create(conn)
    rebuild(conn)


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
