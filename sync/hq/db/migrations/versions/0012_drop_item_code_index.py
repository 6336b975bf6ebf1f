"""Drop `ix_rm_item_results_code`: no query reads it, and each push paid for it. An inspection's 32 item rows went
into 32 places of that (code, verdict) index, a leaf page each: over a city-year (1.6 million rows) every push wrote
~100 whole index pages to the WAL, most of the write-ahead log of a push and of its time over an empty HQ's.
Per-item statistics read the rows of the inspections they count (by the primary key, inspection first). 0004
creates its tables from models.py as it is now, so a database created from scratch never had it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_rm_item_results_code"


def _existing() -> set[str]:
    return {str(index["name"]) for index in sa.inspect(op.get_bind()).get_indexes("rm_item_results")}


def upgrade() -> None:
    if NAME in _existing():
        op.drop_index(NAME, table_name="rm_item_results")


def downgrade() -> None:
    if NAME not in _existing():
        op.create_index(NAME, "rm_item_results", ["code", "verdict"])
