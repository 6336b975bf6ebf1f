"""The ledger's index: `rm_problems (street, status, due)`, for a page of one 街道's problems in some statuses sorted
by 期限 (services/ledger.py). With only (street, community) and (status, due), PostgreSQL had to AND two bitmaps,
one of them every open problem in the city (75,000 of 150,000 in a city-year), to find one street's 1,500.
0004 creates its tables from models.py as it is now, so a database created from scratch has the index already.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


NAME = "ix_rm_problems_street_status_due"


def _exists() -> bool:
    return NAME in {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("rm_problems")}


def upgrade() -> None:
    if not _exists():
        op.create_index(NAME, "rm_problems", ["street", "status", "due"])


def downgrade() -> None:
    if _exists():
        op.drop_index(NAME, table_name="rm_problems")
