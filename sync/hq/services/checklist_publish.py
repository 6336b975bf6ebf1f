"""`inspector hq checklist publish FILE.yaml`: a checklist file checked by the same loader as `inspector checklist
validate` (its `FILE:LINE:` errors), then published through `reference.publish_checklists`: a published id@version
never changes, so the same version with other content is refused and the same content again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from checklists.loader import load_checklist
from checklists.messages import ChecklistError
from checklists.schema import Checklist
from sync.hq.db import Database
from sync.hq.services import audit
from sync.hq.services.reference import publish_checklists
from sync.protocol import ChecklistsUpload


@dataclass(frozen=True)
class Published:
    checklist: Checklist | None
    errors: list[ChecklistError]
    new: bool = False


def publish_file(db: Database, path: Path, *, now: datetime, lang: str = "zh") -> Published:
    """Validate and publish one checklist file. Raises HqError when that version is published with other content."""
    checklist, errors = load_checklist(path, lang)
    if checklist is None:
        return Published(None, errors)
    changed, _ = publish_checklists(
        db, ChecklistsUpload(checklists=[checklist]), actor=audit.HQ_ADMIN, device_id=None, now=now
    )
    return Published(checklist, [], new=changed > 0)
