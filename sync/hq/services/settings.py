"""HQ's settings: a few named switches an admin sets (`inspector hq setting KEY VALUE`), read where they decide.

Kept as key → text rows (hq_settings) so that a new switch needs no migration; each key here has its type and its
default, and a key that was never set reads as its default. Setting one is audited like every admin change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from sync.hq.db import Database
from sync.hq.db.models import hq_settings
from sync.hq.services import audit
from sync.hq.services.errors import HqError, Kind

__all__ = ["SETTINGS", "Setting", "inspectors_close", "read_all", "set_value"]


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    default: bool


# inspectors_close: an inspector's 复查 「已整改」 closes the problem (HQ writes the 销号 on the reviewer's behalf)
# instead of leaving it 待销号 for the office. Off by default: 销号制 wants the office's own 销号.
SETTINGS = {s.key: s for s in (Setting("inspectors_close", False),)}

_TRUE = {"on", "true", "1", "yes", "开", "是"}
_FALSE = {"off", "false", "0", "no", "关", "否"}


def _parse(key: str, text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise HqError(Kind.INVALID, "setting_value", name=key, value=text)


def read_all(conn: Connection) -> dict[str, bool]:
    """Every setting with its value (the default where never set)."""
    stored = {row.key: row.value for row in conn.execute(select(hq_settings.c.key, hq_settings.c.value))}
    return {key: _parse(key, stored[key]) if key in stored else s.default for key, s in SETTINGS.items()}


def inspectors_close(conn: Connection) -> bool:
    return read_all(conn)["inspectors_close"]


def set_value(db: Database, key: str, text: str, *, actor: str, now: datetime) -> bool:
    """Set one setting from its text (on/off); returns the value now in force."""
    if key not in SETTINGS:
        raise HqError(Kind.NOT_FOUND, "setting_unknown", name=key, known=", ".join(SETTINGS))
    value = _parse(key, text)
    with db.small_write() as conn:
        conn.execute(delete(hq_settings).where(hq_settings.c.key == key))
        conn.execute(insert(hq_settings).values(key=key, value="on" if value else "off", updated_at=now))
        audit.record(conn, action="setting", actor=actor, at=now, key=key, value=value)
    return value
