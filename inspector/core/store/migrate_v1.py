"""Format 1 → format 2: one `db.json` becomes one small file per record, and `db.json` is kept as a backup.

Format 1 was the obvious TinyDB use: one db.json with tables sites, inspections (results embedded) and problems,
rewritten whole on every save. Each record is written to its own v2 file, then store.json, then db.json is renamed
to `db.json.v1-backup`: a crash at any point leaves db.json in place and the next open migrates again (the writes
are idempotent). A record that does not validate is left out, with a note naming it; it stays in the backup.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from tinydb import TinyDB

from inspector.core.ids import new_id, utcnow
from inspector.core.records import Inspection, Problem, Site
from inspector.core.store import layout
from inspector.core.store.errors import counted
from inspector.core.store.fileformat import validation_reason
from inspector.core.store.files import RecordFiles
from inspector.core.store.recovery import Recovery
from inspector.core.store.storage import fsync_dir, quarantine, replace_with_retry
from inspector.core.sync_state import SyncStatus

_M = TypeVar("_M", bound=BaseModel)


def migrate_v1_to_v2(data_dir: Path, files: RecordFiles, recovery: Recovery) -> str:
    """Migrate the data dir's db.json (when there is one) and write store.json; returns the device id."""
    old = data_dir / layout.V1_FILE
    backup = data_dir / layout.V1_BACKUP
    tables: dict[str, list[dict[str, Any]]] = {}
    if old.exists():
        try:
            with TinyDB(old, access_mode="r") as db:
                tables = {name: [dict(doc) for doc in db.table(name).all()] for name in db.tables()}
        except (ValueError, OSError, AttributeError, TypeError) as error:
            aside = quarantine(old)
            reason = error.strerror if isinstance(error, OSError) else str(error)
            what = recovery.what("v1")
            recovery.note("damaged_lost", what=what, path=old, id=old.name, reason=reason, aside=aside.name)
            old = aside

    def migrated(model: type[_M], raw: dict[str, Any], kind: str) -> _M | None:
        try:
            return model.model_validate(raw)
        except ValidationError as error:
            recovery.note(
                "migrate_skipped",
                what=recovery.what(kind),
                id=raw.get("id", "?"),
                old=old.name,
                reason=validation_reason(error),
                backup=backup.name,
            )
            return None

    counts = {"inspections": 0, "problems": 0, "sites": 0}
    sites = [site for raw in tables.get("sites", []) if (site := migrated(Site, raw, "site")) is not None]
    if sites:
        by_id = {site.id: site for site in sites}
        files.write_reference(list(by_id.values()), [], SyncStatus())
        counts["sites"] = len(sites)
    device_ids: list[tuple[datetime, str]] = []
    for raw in tables.get("inspections", []):
        results = raw.get("results", {})
        if isinstance(results, list):
            raw = {**raw, "results": {r.get("code"): r for r in results if isinstance(r, dict)}}
        inspection = migrated(Inspection, raw, "inspection")
        if inspection is not None:
            files.write_inspection(inspection)
            counts["inspections"] += 1
            if inspection.device_id:
                device_ids.append((inspection.started_at, inspection.device_id))
    for raw in tables.get("problems", []):
        problem = migrated(Problem, raw, "problem")
        if problem is not None:
            files.write_problem(problem)
            counts["problems"] += 1
    device_id = next((d.get("device_id") for d in tables.get("meta", []) if d.get("device_id")), None)
    if not device_id and device_ids:
        device_id = max(device_ids)[1]
    device_id = str(device_id or new_id())
    files.write_store_meta(device_id, utcnow())
    if old.exists() and old.name == layout.V1_FILE:
        target = backup
        counter = 1
        while target.exists():
            counter += 1
            target = data_dir / f"{layout.V1_BACKUP}-{counter}"
        replace_with_retry(old, target)
        fsync_dir(data_dir)
        recovery.note("migrated", old=layout.V1_FILE, backup=target.name, counts=counted(counts, recovery.lang))
    return device_id
