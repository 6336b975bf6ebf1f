"""HQ tables (SQLAlchemy Core): the same schema on SQLite and PostgreSQL; migrations create it (migrations/ here).

Records are kept as JSON text of their validated model, next to the few columns the server queries on. Every row a
device may pull carries `change_id`, a number from one gap-free counter bumped inside each write transaction
(writers take it in turn, see Database.write), so `change_id > cursor` never skips a late commit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out on both databases (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the HQ database")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

ID = 64  # record ids and revs are UUIDs; leave room for other time-ordered ids
REF = 200  # site ids and user names come from people: be generous

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(REF), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
)

enrollment_codes = Table(
    "enrollment_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
    Column("device_id", String(ID)),
)

devices = Table(
    "devices",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(REF), nullable=False, default=""),
    Column("app_version", String(50), nullable=False, default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
)

sequence_counter = Table(
    "sequence_counter",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
    Column("epoch", String(ID), nullable=False),  # names this database's history: a cursor from elsewhere is reset
)

docs = Table(
    "docs",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("current_rev", String(ID), nullable=False),
    Column("change_id", BigInteger, nullable=False, unique=True),
    Column("owner_user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("owner_device_id", String(ID), nullable=False),
    Column("site_id", String(REF), nullable=False),
    Column("superseded_by", String(ID)),
    Column("received_at", UTCDateTime(), nullable=False),
    Index("ix_docs_kind_change", "kind", "change_id"),
    Index("ix_docs_site", "site_id"),
    Index("ix_docs_owner", "owner_user_id"),
)

doc_revs = Table(
    "doc_revs",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("rev", String(ID), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("base_rev", String(ID)),
    Column("content_sha", String(64), nullable=False),
    Column("state", String(20), nullable=False),  # synced | conflict
    Column("message", Text),
    Column("server_version", BigInteger, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("device_id", String(ID), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("data", Text, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("rev", String(ID), nullable=False),
    Column("problem_id", String(ID), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("server_order", BigInteger, nullable=False, unique=True),
    Column("conflict", Text),
    Column("content_sha", String(64), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("device_id", String(ID), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("data", Text, nullable=False),
)

attachments = Table(
    "attachments",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("mime", String(50), nullable=False),
    Column("device_id", String(ID), nullable=False),
    Column("uploaded_at", UTCDateTime(), nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("id", String(REF), primary_key=True),
    Column("change_id", BigInteger, nullable=False, unique=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("data", Text, nullable=False),
)

checklists = Table(
    "checklists",
    metadata,
    Column("id", String(REF), primary_key=True),
    Column("version", String(REF), primary_key=True),
    Column("change_id", BigInteger, nullable=False, unique=True),
    Column("content_sha", String(64), nullable=False),
    Column("published_at", UTCDateTime(), nullable=False),
    Column("data", Text, nullable=False),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("site_id", String(REF), nullable=False),
    Column("batch", String(REF), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("change_id", BigInteger, nullable=False, unique=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("user_id", "site_id", "batch", name="uq_assignment"),
    Index("ix_assignments_user_site", "user_id", "site_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", UTCDateTime(), nullable=False),
    Column("action", String(40), nullable=False),
    Column("actor", String(REF), nullable=False),  # user name, or "hq-admin" for commands run on the HQ machine
    Column("device_id", String(ID)),
    Column("ip", String(64)),
    Column("detail", Text, nullable=False),  # JSON: counts, ids, reasons
    # refusals (401, 403, 426, rejected push items): the refusal's code, and how often and until when the same
    # (actor, ip, action, reason) repeated within the coalescing window (see services/audit.py)
    Column("reason", String(64)),
    Column("count", Integer, nullable=False, server_default="1"),
    Column("last_at", UTCDateTime()),
    Index("ix_audit_refusal", "reason", "actor", "action"),
)

# Which records name which photo, so a photo is served only to whoever may read one of them (services/attachments.py
# asks, with the pull's own scope rule over `docs`). `doc_id` is the record whose access decides: the inspection or
# problem itself, or for an event its problem, so access follows the doc's current owner and site. Written in the
# transaction of the push that stored the record (push/sql.py); one row per (photo, record).
photo_refs = Table(
    "photo_refs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("kind", String(20), primary_key=True),  # inspection | problem | event: the record naming the photo
    Column("record_id", String(ID), primary_key=True),
    Column("doc_id", String(ID), nullable=False),
)

# Who has uploaded a photo's bytes (verified against its sha256): an uploader may always read it back, so a device
# can HEAD its own photo again before any record naming it reaches HQ.
photo_uploaders = Table(
    "photo_uploaders",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("uploaded_at", UTCDateTime(), nullable=False),
)

# --- the read model (services/readmodel.py) ---------------------------------------------------------------------
# The facts every report reads (inspector/reports/facts.py), one narrow row each, so a ranking or a ledger page is a
# query over indexed columns rather than a parse of every stored record. Written in the transaction that accepted
# the records (push/queue.py) and when a site changes (reference.py); `inspector hq reindex` rebuilds them from the
# records and says whether they differed. Site fields are copied in, so a filter by 街道 needs no join.

rm_inspections = Table(
    "rm_inspections",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("site_id", String(REF), nullable=False),
    Column("site_type", String(REF), nullable=False),
    Column("district", String(REF), nullable=False),
    Column("street", String(REF), nullable=False),
    Column("community", String(REF), nullable=False),
    Column("grid", String(REF), nullable=False),
    Column("checklist", String(2 * REF + 1), nullable=False),  # id@version
    Column("inspector", String(REF), nullable=False),
    Column("batch", String(REF), nullable=False),
    Column("submitted", Boolean, nullable=False),
    Column("counted_at", UTCDateTime(), nullable=False),
    Column("day", Date, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("passed", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("not_applicable", Integer, nullable=False),
    Column("answered", Integer, nullable=False),
    Column("rate", Float),  # 得分率, NULL when nothing was scorable
    Index("ix_rm_inspections_day", "day"),
    Index("ix_rm_inspections_place", "street", "community"),
    Index("ix_rm_inspections_batch", "batch"),
    Index("ix_rm_inspections_site", "site_id"),
)

rm_item_results = Table(
    "rm_item_results",
    metadata,
    Column("inspection_id", String(ID), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("code", String(REF), nullable=False),
    Column("title", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("verdict", String(10)),
    Column("severity", String(10)),
    Column("description", Text, nullable=False),
    Column("photos", Integer, nullable=False),
    Column("exemption", Text, nullable=False),
)

rm_problems = Table(
    "rm_problems",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("inspection_id", String(ID), nullable=False),
    Column("site_id", String(REF), nullable=False),
    Column("district", String(REF), nullable=False),
    Column("street", String(REF), nullable=False),
    Column("community", String(REF), nullable=False),
    Column("batch", String(REF), nullable=False),
    Column("item_code", String(REF), nullable=False),
    Column("item_text", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("severity", String(10), nullable=False),
    Column("cg_code", String(20)),
    Column("found_at", UTCDateTime(), nullable=False),
    Column("found_by", String(REF), nullable=False),
    Column("photos", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("responsible_unit", String(REF), nullable=False),
    Column("deadline_kind", String(20), nullable=False),
    Column("deadline_n", Integer, nullable=False),
    Column("found_on", Date, nullable=False),
    Column("assigned_on", Date),
    Column("due", Date, nullable=False),
    Column("closed_at", UTCDateTime()),
    Column("rectification_note", Text, nullable=False),
    Column("after_photos", Integer, nullable=False),
    Column("review", String(10)),
    Column("review_note", Text, nullable=False),
    Column("reopened", Integer, nullable=False),
    Column("reopened_on", Text, nullable=False),  # the 反弹 dates, ISO, comma-separated
    Column("conflicts", Integer, nullable=False),
    # 0006: what the 整改通知书 and the bulletin's 整改落实 read
    Column("photo_ids", Text, nullable=False, server_default=""),  # before-photos' sha256, comma-separated
    Column("extended", Integer, nullable=False, server_default="0"),
    Column("fixed_on", Date),
    Index("ix_rm_problems_status_due", "status", "due"),
    Index("ix_rm_problems_unit", "responsible_unit", "status"),
    Index("ix_rm_problems_place", "street", "community"),
    Index("ix_rm_problems_street_status_due", "street", "status", "due"),  # the ledger page (services/ledger.py)
    Index("ix_rm_problems_found_on", "found_on"),
    Index("ix_rm_problems_batch", "batch"),
    Index("ix_rm_problems_site", "site_id"),
    Index("ix_rm_problems_inspection", "inspection_id"),
    # 0010: the console's 概览 counts by index ranges (services/overview.py)
    Index("ix_rm_problems_status_closed", "status", "closed_at"),
    Index(
        "ix_rm_problems_conflicts",
        "status",
        postgresql_where=text("conflicts > 0"),
        sqlite_where=text("conflicts > 0"),
    ),
)

# 检查批次 (rounds): a named period an assignment belongs to; `inspector hq round add`, services/rounds.py. A site not
# inspected in its round by the round's last day is missed.
rounds = Table(
    "rounds",
    metadata,
    Column("name", String(REF), primary_key=True),
    Column("date_from", Date, nullable=False),
    Column("date_to", Date, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# The web console (sync/hq/console/): reviewers' and admins' passwords, their sessions, and the sign-in throttle.
# Kept beside `users`, not in it, since devices never sign in with a password. Migration 0008.
console_accounts = Table(
    "console_accounts",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("password_hash", String(200), nullable=False),  # argon2id, with its parameters and salt
    Column("password_set_at", UTCDateTime(), nullable=False),
    Column("lang", String(5), nullable=False, server_default="zh"),  # the page language, remembered per user
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # the cookie's sha256: a copied database signs no one in
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),  # the form token of this session
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
    Column("ip", String(64)),
)

signin_failures = Table(
    "signin_failures",
    metadata,
    Column("key", String(REF + 10), primary_key=True),  # "user:NAME" or "ip:ADDRESS"
    Column("failures", Integer, nullable=False),
    Column("first_at", UTCDateTime(), nullable=False),
    Column("locked_until", UTCDateTime()),
)

# HQ's settings (`inspector hq settings set|list`, services/settings.py): one value per key, with who set it and when.
hq_settings = Table(
    "hq_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(REF), nullable=False),
)
