"""待销号: a passed re-inspection no longer closes a problem but leaves it awaiting the office's 销号 (unless HQ's
`inspectors_close` setting says otherwise, services/settings.py), so every problem's folded status in the read
model is derived again from the stored records.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from sync.hq.services.readmodel import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    """Nothing to undo in the schema; an older HQ folds the records its own way when it rebuilds."""
