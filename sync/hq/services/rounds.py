"""检查批次: a named round of inspections with its first and last day.

Assignments name their round by its name (the 批次 devices record on each inspection); the round's last day is
when an assigned site that was not inspected counts as missed. A round's dates may be corrected; its name is its
identity, so renaming is adding another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select, update

from sync.hq.db import Database
from sync.hq.db.models import rounds
from sync.hq.services import audit
from sync.hq.services.errors import HqError, Kind

__all__ = ["Round", "add_round", "list_rounds"]

NAME_MAX = 200


@dataclass(frozen=True, slots=True)
class Round:
    name: str
    date_from: date
    date_to: date

    def state(self, today: date) -> str:
        """upcoming | open | closed, as the progress lists say it."""
        if today < self.date_from:
            return "upcoming"
        return "open" if today <= self.date_to else "closed"


def add_round(
    db: Database, name: str, date_from: date, date_to: date, *, actor: str, now: datetime, ip: str | None = None
) -> bool:
    """Add the round, or correct its dates; True when something changed. Audited."""
    name = name.strip()
    if not name or len(name) > NAME_MAX or "\x00" in name:
        raise HqError(Kind.INVALID, "invalid_round", key="round_name", max=NAME_MAX)
    if date_from > date_to:
        raise HqError(Kind.INVALID, "invalid_round", key="round_dates", start=date_from, end=date_to)
    with db.small_write() as conn:
        row = conn.execute(select(rounds).where(rounds.c.name == name)).first()
        if row is not None and (row.date_from, row.date_to) == (date_from, date_to):
            return False
        if row is None:
            conn.execute(insert(rounds).values(name=name, date_from=date_from, date_to=date_to, created_at=now))
        else:
            conn.execute(update(rounds).where(rounds.c.name == name).values(date_from=date_from, date_to=date_to))
        audit.record(
            conn,
            action="round",
            actor=actor,
            ip=ip,
            at=now,
            name=name,
            date_from=date_from.isoformat(),
            date_to=date_to.isoformat(),
            corrected=row is not None,
        )
    return True


def list_rounds(db: Database) -> list[Round]:
    """Newest first: the round an HQ works on is usually the latest."""
    with db.read() as conn:
        rows = conn.execute(select(rounds).order_by(rounds.c.date_from.desc(), rounds.c.name)).all()
    return [Round(r.name, r.date_from, r.date_to) for r in rows]
