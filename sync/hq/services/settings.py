"""HQ's settings: one value per key in `hq_settings`, each change audited with who made it.

The bulletin's keys (期号, 发文单位, 红黑榜 rules) and their checks are inspector/reports/settings.py's, shared with the
laptop's own copy, so HQ refuses exactly what a laptop refuses. A key another part of HQ adds is registered in
`EXTRA_KEYS` with its checker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from inspector.reports.settings import KEYS, NEXT_ISSUE, SettingError, check
from sync.hq.db import Database
from sync.hq.db.models import hq_settings
from sync.hq.services import audit
from sync.hq.services.errors import HqError, Kind

__all__ = ["EXTRA_KEYS", "Setting", "SettingRefused", "advance_issue", "get", "list_settings", "set_setting", "values"]

EXTRA_KEYS: dict[str, Callable[[str, str], str]] = {}


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    value: str
    updated_at: datetime | None  # None: not set, `value` is the default
    updated_by: str


class SettingRefused(HqError):
    """An unknown key or a refused value: an HqError (INVALID) worded by the shared settings catalogue."""

    def __init__(self, refusal: SettingError) -> None:
        self.refusal = refusal
        super().__init__(Kind.INVALID, "invalid_setting")

    def text(self, lang: str) -> str:
        return self.refusal.text(lang)


def _checked(key: str, value: str) -> str:
    if key not in KEYS and key not in EXTRA_KEYS:  # named with every key HQ knows, the extra ones included
        raise SettingRefused(SettingError("unknown_key", name=key, keys=", ".join([*KEYS, *EXTRA_KEYS])))
    try:
        return EXTRA_KEYS[key](key, value) if key in EXTRA_KEYS else check(key, value)
    except SettingError as exc:
        raise SettingRefused(exc) from exc


def _write(conn: Connection, key: str, value: str, actor: str, now: datetime) -> str | None:
    """Store the value; the previous one (None when unset). Audited in the same transaction."""
    row = conn.execute(select(hq_settings.c.value).where(hq_settings.c.key == key)).first()
    if row is None:
        conn.execute(insert(hq_settings).values(key=key, value=value, updated_at=now, updated_by=actor))
    else:
        conn.execute(
            update(hq_settings).where(hq_settings.c.key == key).values(value=value, updated_at=now, updated_by=actor)
        )
    previous = None if row is None else str(row.value)
    audit.record(conn, action="setting", actor=actor, at=now, key=key, value=value, previous=previous)
    return previous


def set_setting(db: Database, key: str, value: str, *, actor: str, now: datetime) -> tuple[str, bool]:
    """(the stored value, whether it changed). HqError(INVALID) for an unknown key or a refused value."""
    stored = _checked(key, value)
    with db.small_write() as conn:
        row = conn.execute(select(hq_settings.c.value).where(hq_settings.c.key == key)).first()
        if row is not None and row.value == stored:
            return stored, False
        _write(conn, key, stored, actor, now)
    return stored, True


def get(db: Database, key: str) -> str | None:
    with db.read() as conn:
        row = conn.execute(select(hq_settings.c.value).where(hq_settings.c.key == key)).first()
    return None if row is None else str(row.value)


def values(db: Database) -> dict[str, str]:
    """Every stored setting, key → value (defaults not filled in)."""
    with db.read() as conn:
        rows = conn.execute(select(hq_settings.c.key, hq_settings.c.value)).all()
    return {str(r.key): str(r.value) for r in rows}


def list_settings(db: Database) -> list[Setting]:
    """The known keys in their order, each with its value or its default, then any other stored key."""
    with db.read() as conn:
        rows = {str(r.key): r for r in conn.execute(select(hq_settings)).all()}
    known = [*KEYS, *(k for k in EXTRA_KEYS if k not in KEYS)]
    found = []
    for key in [*known, *sorted(k for k in rows if k not in known)]:
        row = rows.get(key)
        if row is None:
            found.append(Setting(key, KEYS[key][1] if key in KEYS else "", None, ""))
        else:
            found.append(Setting(key, str(row.value), row.updated_at, str(row.updated_by)))
    return found


def advance_issue(db: Database, used: int, *, actor: str, now: datetime) -> int:
    """After a numbered bulletin was written: `bulletin.next_issue` becomes the number used plus one (not the
    stored number plus one, so two bulletins written at once cannot skip a number). The new next number."""
    following = used + 1
    with db.small_write() as conn:
        _write(conn, NEXT_ISSUE, str(following), actor, now)
    return following


# inspectors_close: an inspector's 复查 「已整改」 closes the problem (HQ writes the 销号 on the reviewer's behalf)
# instead of leaving it 待销号 for the office. Off by default: 销号制 wants the office's own 销号.
INSPECTORS_CLOSE = "inspectors_close"
_TRUE = {"on", "true", "1", "yes", "开", "是"}
_FALSE = {"off", "false", "0", "no", "关", "否"}


def _switch(key: str, value: str) -> str:
    """on / off (or the words an office types for them) as stored: "on" or "off"."""
    text = value.strip().lower()
    if text in _TRUE:
        return "on"
    if text in _FALSE:
        return "off"
    raise HqError(Kind.INVALID, "setting_value", name=key, value=value)


# photos_keep_gps: the upload copies the laptops make keep where a photo was taken. Off by default: a location is
# personal data HQ asks for only when it needs it; every laptop follows the setting from its next sync.
PHOTOS_KEEP_GPS = "photos_keep_gps"
EXTRA_KEYS[INSPECTORS_CLOSE] = _switch
EXTRA_KEYS[PHOTOS_KEEP_GPS] = _switch


def switched_on(conn: Connection, key: str) -> bool:
    """An on/off setting in the caller's transaction (off when never set)."""
    row = conn.execute(select(hq_settings.c.value).where(hq_settings.c.key == key)).first()
    return row is not None and str(row.value) == "on"


def inspectors_close(conn: Connection) -> bool:
    """Whether HQ closes an inspector's passed 复查 itself (read in the push's own transaction)."""
    return switched_on(conn, INSPECTORS_CLOSE)
