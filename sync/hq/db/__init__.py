"""The HQ database: one engine per server, migrations at start, and the serialised write transaction.

Every write goes through `Database.write()`, which takes the single-row change counter first (`SELECT ... FOR
UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite). Writers therefore commit one after another in counter order,
so a reader that sees change N also sees every change below N: the pull cursor has no gaps
(a counter handed out without that order would let a slow transaction commit a lower number after a reader moved
past it, and that change would never be pulled).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Select, create_engine, event, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry

from sync.hq.db.models import sequence_counter

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
IN_CHUNK = 500  # ids per IN (...) list: well under every driver's bound-parameter limit


def in_chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    """`values` in slices of IN_CHUNK, for `column.in_(chunk)` queries over any number of ids."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def plain_rows(conn: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """A bulk read's rows as the driver gives them, for a report that keeps them all anyway.

    On PostgreSQL straight from psycopg, whole (its one C call for all rows is the fastest way in), the session's
    time zone set to UTC for the transaction so timestamps come back as UTC, as UTCDateTime makes them: for the
    135,000 problems of a city-year's bulletin, SQLAlchemy's row objects and per-value result processors took longer
    than the database and the driver together. SQLite keeps the processors (its timestamps come back as naive text).
    A driver's error is raised as SQLAlchemy's DBAPIError, as any other query's would be."""
    if conn.dialect.name != "postgresql":
        return [tuple(row) for row in conn.execute(query)]
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
    raw = conn.connection.driver_connection
    assert raw is not None
    statement = str(compiled)
    try:
        with raw.cursor() as cursor:
            cursor.execute(statement, compiled.params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows
    except raw.Error as exc:
        raise DBAPIError(statement, compiled.params, exc) from exc


def sha256_text(text: str) -> str:
    """The hex SHA-256 of a text's UTF-8: how HQ tells a re-sent record (same content) from a changed one."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_db_url(data_dir: Path) -> str:
    """The HQ database when none is given: a SQLite file under the data dir."""
    folder = data_dir / "hq"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / 'hq.sqlite3').as_posix()}"


def safe_url(url: str) -> str:
    """The database URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as given: it holds no parsable password either
        return url


def make_engine(url: str) -> Engine:
    """An engine tuned for the server: WAL, a busy timeout and durable commits on SQLite; a roomy pool everywhere."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, pool_size=8, max_overflow=40, pool_timeout=60)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, pool_size=10, max_overflow=40, pool_timeout=60, pool_pre_ping=True)


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Take over transaction control from the sqlite3 module so that BEGIN IMMEDIATE and savepoints work as written.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=FULL")  # an answer of "applied" must survive a power cut at HQ
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("sqlite_immediate") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


@dataclass
class Writer:
    """An open write transaction holding the change counter; hands out consecutive change ids."""

    conn: Connection
    epoch: str
    head: int
    next_value: int = field(init=False)

    def __post_init__(self) -> None:
        self.next_value = self.head

    def next_change_id(self) -> int:
        self.next_value += 1
        return self.next_value


class Database:
    """One HQ database. Thread-safe: request handlers share it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # SQLite allows one writer; queueing them here is fairer and faster than its sleep-and-retry busy handler.
        self._write_lock = threading.Lock() if self.is_sqlite else None

    def dispose(self) -> None:
        self.engine.dispose()

    def migrate(self) -> None:
        """Bring the schema to the newest migration (safe to run on every start, and from two processes at once)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self._connect(immediate=True) as conn, conn.begin():
            if not self.is_sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(7420001)"))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    @contextmanager
    def _connect(self, *, immediate: bool = False) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn.execution_options(sqlite_immediate=True) if immediate and self.is_sqlite else conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (committed or not, it writes nothing)."""
        with self._connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def small_write(self) -> Iterator[Connection]:
        """A write that needs no change id (bookkeeping such as `last_seen_at`): queued like the others on SQLite."""
        if self._write_lock is not None:
            self._write_lock.acquire()
        try:
            with self._connect(immediate=True) as conn, conn.begin():
                yield conn
        finally:
            if self._write_lock is not None:
                self._write_lock.release()

    @contextmanager
    def write(self) -> Iterator[Writer]:
        """A write transaction that owns the change counter until it commits (or rolls back on an exception)."""
        if self._write_lock is not None:
            self._write_lock.acquire()
        try:
            with self._connect(immediate=True) as conn, conn.begin():
                query = select(sequence_counter.c.value, sequence_counter.c.epoch).where(sequence_counter.c.id == 1)
                if not self.is_sqlite:
                    query = query.with_for_update()
                row = conn.execute(query).one()
                writer = Writer(conn=conn, epoch=row.epoch, head=int(row.value))
                yield writer
                if writer.next_value != writer.head:
                    conn.execute(
                        update(sequence_counter).where(sequence_counter.c.id == 1).values(value=writer.next_value)
                    )
        finally:
            if self._write_lock is not None:
                self._write_lock.release()

    def head(self, conn: Connection) -> tuple[int, str]:
        """The newest committed change id and this database's epoch."""
        row = conn.execute(
            select(sequence_counter.c.value, sequence_counter.c.epoch).where(sequence_counter.c.id == 1)
        ).one()
        return int(row.value), str(row.epoch)
