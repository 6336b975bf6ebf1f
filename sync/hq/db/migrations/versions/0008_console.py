"""The web console's sign-in: `console_accounts` (argon2 password hash, page language), `console_sessions` (hashed
session tokens with their CSRF token) and `signin_failures` (the per-user and per-address throttle).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("console_accounts", "console_sessions", "signin_failures")


def upgrade() -> None:
    from sync.hq.db.models import metadata

    conn = op.get_bind()
    for name in TABLES:
        metadata.tables[name].create(conn)


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
