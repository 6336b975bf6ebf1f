"""The 概览's indexes on `rm_problems`: (status, closed_at) for what was closed in a period and by each week's end,
and a partial index of the problems with conflicts. services/overview.py counts each number by an index range
instead of passing over every problem of the city (two passes took ~140 ms of the page at a quarter of a
city-year). 0004 creates its tables from models.py as it is now, so a database created from scratch has them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _existing() -> set[str]:
    return {str(index["name"]) for index in sa.inspect(op.get_bind()).get_indexes("rm_problems")}


def upgrade() -> None:
    existing = _existing()
    if "ix_rm_problems_status_closed" not in existing:
        op.create_index("ix_rm_problems_status_closed", "rm_problems", ["status", "closed_at"])
    if "ix_rm_problems_conflicts" not in existing:
        op.create_index(
            "ix_rm_problems_conflicts",
            "rm_problems",
            ["status"],
            postgresql_where=sa.text("conflicts > 0"),
            sqlite_where=sa.text("conflicts > 0"),
        )


def downgrade() -> None:
    existing = _existing()
    for name in ("ix_rm_problems_conflicts", "ix_rm_problems_status_closed"):
        if name in existing:
            op.drop_index(name, table_name="rm_problems")
