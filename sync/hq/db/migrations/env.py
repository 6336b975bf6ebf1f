"""Alembic environment: uses the connection the server hands over, or the URL in alembic.ini for maintainers."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from sync.hq.db.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


given = config.attributes.get("connection")
if isinstance(given, Connection):
    _run(given)
else:
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
