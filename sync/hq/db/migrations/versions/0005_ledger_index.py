"""The ledger's index: `rm_problems (street, status, due)`, for a page of one 街道's problems in some statuses sorted
by 期限 (services/ledger.py). With only (street, community) and (status, due), PostgreSQL had to AND two bitmaps,
one of them every open problem in the city (75,000 of 150,000 in a city-year), to find one street's 1,500.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_rm_problems_street_status_due", "rm_problems", ["street", "status", "due"])


def downgrade() -> None:
    op.drop_index("ix_rm_problems_street_status_due", table_name="rm_problems")
