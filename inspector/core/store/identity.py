"""store.json: the data dir's format version and this laptop's device id.

Opening reads it first: a newer format is refused before anything changes (so the newer app still finds its data
whole), an older one is migrated, a damaged one is replaced by its backup or rebuilt. The device id must survive
a damaged store.json: a rebuilt one takes the id the laptop's own inspections carry (`adopt_device_id`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from inspector.core.ids import new_id, utcnow
from inspector.core.records import Inspection
from inspector.core.store import layout
from inspector.core.store.errors import MESSAGES, StoreError
from inspector.core.store.fileformat import FORMAT_VERSION, Damage, parse_store_meta, peek_format_version
from inspector.core.store.files import RecordFiles
from inspector.core.store.migrate_v1 import migrate_v1_to_v2
from inspector.core.store.recovery import Recovery
from inspector.core.store.storage import atomic_write_bytes, backup_path, quarantine

# From format N to N + 1; each returns the device id. Opening runs them in turn up to FORMAT_VERSION.
MIGRATIONS: dict[int, Callable[[Path, RecordFiles, Recovery], str]] = {1: migrate_v1_to_v2}


def _unreadable(data_dir: Path, path: Path, error: OSError, lang: str) -> StoreError:
    reason = f"{path}: {error.strerror or error}"
    return StoreError(MESSAGES("open_failed", lang, dir=data_dir, reason=reason))


def refuse_newer_format(data_dir: Path, lang: str) -> None:
    """A newer app wrote this data dir: stop before changing anything, so the newer app still finds it whole."""
    path = data_dir / layout.STORE_FILE
    try:
        found = peek_format_version(path.read_bytes())
    except FileNotFoundError:
        return
    except OSError as error:
        raise _unreadable(data_dir, path, error, lang) from error
    if found is not None and found > FORMAT_VERSION:
        raise StoreError(MESSAGES("newer_format", lang, dir=data_dir, found=found, known=FORMAT_VERSION))


def _migrate_from(version: int, data_dir: Path, files: RecordFiles, recovery: Recovery) -> str:
    device_id = ""
    while version < FORMAT_VERSION:
        device_id = MIGRATIONS[version](data_dir, files, recovery)
        version += 1
    return device_id


def _from_backup(path: Path, lang: str) -> str | None:
    """Put store.json's backup back when it is good; its device id, or None."""
    try:
        payload = backup_path(path).read_bytes()
        meta = parse_store_meta(payload, lang)
    except (OSError, Damage):
        return None
    atomic_write_bytes(path, payload)
    return meta.device_id


def _holds_records(data_dir: Path) -> bool:
    return any(any((data_dir / folder).glob("*.json")) for folder in (layout.INSPECTIONS, layout.PROBLEMS))


def open_store_file(data_dir: Path, files: RecordFiles, recovery: Recovery) -> tuple[str, bool]:
    """Read (migrate, restore or rebuild) store.json: the device id, and whether it was rebuilt beside records
    that may know the laptop's real device id."""
    lang = recovery.lang
    path = data_dir / layout.STORE_FILE
    if not path.exists():
        if (data_dir / layout.V1_FILE).exists():
            return _migrate_from(1, data_dir, files, recovery), False
        restored = _from_backup(path, lang)
        if restored is not None:
            return restored, False
        device_id = new_id()
        files.write_store_meta(device_id, utcnow())
        return device_id, _holds_records(data_dir)
    try:
        payload = path.read_bytes()
    except OSError as error:
        raise _unreadable(data_dir, path, error, lang) from error
    found = peek_format_version(payload)
    if found is not None and 1 <= found < FORMAT_VERSION:
        return _migrate_from(found, data_dir, files, recovery), False
    try:
        return parse_store_meta(payload, lang).device_id, False
    except Damage as damage:
        aside = quarantine(path)
        what = recovery.what("store")
        restored = _from_backup(path, lang)
        if restored is not None:
            recovery.note("damaged_restored", what=what, path=path, id=restored, reason=damage.reason, aside=aside.name)
            return restored, False
        device_id = new_id()
        files.write_store_meta(device_id, utcnow())
        recovery.note("store_lost", what=what, path=path, reason=damage.reason, aside=aside.name, device=device_id)
        return device_id, True


def adopt_device_id(device_id: str, inspections: Iterable[Inspection], files: RecordFiles, recovery: Recovery) -> str:
    """store.json was rebuilt: keep this laptop's device id as its records know it, rather than a new one."""
    known = [i for i in inspections if i.device_id]
    if not known:
        return device_id
    newest = max(known, key=lambda i: (i.started_at, i.id))
    if newest.device_id == device_id:
        return device_id
    files.write_store_meta(newest.device_id, utcnow())
    path = files.data_dir / layout.STORE_FILE
    atomic_write_bytes(backup_path(path), path.read_bytes())  # the backup must not keep the interim id
    recovery.notes[:] = [note.replace(device_id, newest.device_id) for note in recovery.notes]
    return newest.device_id
