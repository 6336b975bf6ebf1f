"""`inspector hq checklist publish FILE.yaml`: a checklist file checked by the same loader as `inspector checklist
validate` (its `FILE:LINE:` errors), then published through `reference.publish_checklists`: a published id@version
never changes, so the same version with other content is refused, saying what differs and when that version was
published, and the same content again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from checklists.loader import load_checklist
from checklists.messages import ChecklistError
from checklists.schema import Checklist
from sync.hq.db import Database
from sync.hq.db.models import checklists
from sync.hq.services import audit
from sync.hq.services.errors import HqError, Kind
from sync.hq.services.reference import publish_checklists
from sync.protocol import ChecklistsUpload

CODES_SHOWN = 8


@dataclass(frozen=True)
class Published:
    checklist: Checklist | None
    errors: list[ChecklistError]
    new: bool = False


def check_file(db: Database, path: Path, *, lang: str = "zh") -> Published:
    """Validate one checklist file as `publish_file` would, publishing nothing (the console's preview). Raises
    HqError when that version is published with other content; `new` says whether publishing would add it."""
    checklist, errors = load_checklist(path, lang)
    if checklist is None:
        return Published(None, errors)
    return Published(checklist, [], new=_held(db, checklist) is None)


def _held(db: Database, checklist: Checklist) -> str | None:
    """The content HQ holds for this id@version (None: not published); a different one is refused."""
    with db.read() as conn:
        row = conn.execute(
            select(checklists.c.data, checklists.c.published_at).where(
                checklists.c.id == checklist.id, checklists.c.version == checklist.version
            )
        ).first()
    if row is not None and row.data != checklist.model_dump_json():
        held = Checklist.model_validate_json(row.data)
        raise HqError(
            Kind.CONFLICT,
            "checklist_published",
            key="checklist_version_taken",
            checklist=checklist.key,
            at=f"{row.published_at.astimezone():%Y-%m-%d %H:%M}",
            differs=differences(held, checklist),
        )
    return None if row is None else str(row.data)


def publish_file(
    db: Database,
    path: Path,
    *,
    now: datetime,
    lang: str = "zh",
    actor: str = audit.HQ_ADMIN,
    ip: str | None = None,
) -> Published:
    """Validate and publish one checklist file. Raises HqError when that version is published with other content."""
    checklist, errors = load_checklist(path, lang)
    if checklist is None:
        return Published(None, errors)
    _held(db, checklist)
    changed, _ = publish_checklists(
        db, ChecklistsUpload(checklists=[checklist]), actor=actor, device_id=None, now=now, ip=ip
    )
    return Published(checklist, [], new=changed > 0)


def differences(held: Checklist, new: Checklist) -> str:
    """What a file changes in a published version, by field and item code (worded for both languages alike)."""
    parts = [name for name in ("title", "title_en", "site_type", "source") if getattr(held, name) != getattr(new, name)]
    old_items = {i.code: i for i in held.items}
    new_items = {i.code: i for i in new.items}
    for label, codes in (
        ("+", [c for c in new_items if c not in old_items]),
        ("-", [c for c in old_items if c not in new_items]),
        ("~", [c for c in new_items if c in old_items and new_items[c] != old_items[c]]),
    ):
        if codes:
            shown = ", ".join(codes[:CODES_SHOWN]) + (
                f" (+{len(codes) - CODES_SHOWN})" if len(codes) > CODES_SHOWN else ""
            )
            parts.append(f"{label}{shown}")
    if [s.title for s in held.sections] != [s.title for s in new.sections]:
        parts.append("sections")
    return "; ".join(parts) or "sections"
