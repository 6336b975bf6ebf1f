"""The data dir on disk: its folders and file names.

Layout under the data dir (each file a small TinyDB database written atomically by `AtomicJSONStorage`):

    store.json                 format version, device id, created time
    reference.json             sites, assignments, the sync cursor and sync status: one pull page is one write
    checklists/<id>@<ver>.json the checklist versions in use (a draft keeps the version it started with)
    inspections/<id>.json      one inspection with its item results and its sync state
    problems/<id>.json         one problem with its events and their sync state
    attachments/<sha256>       photo bytes, content-addressed; attachments/<sha256>.json their metadata
    store.lock                 one app instance per data dir

One save rewrites one small file, so its cost does not grow with history. Only the store package imports TinyDB.

Inside each file, TinyDB tables, one document per line, after a first line with a CRC-32 of the rest
(`fileformat.py`):

    meta        {"format_version": 2, "kind": "inspection"}            every file; store.json adds the device id
    inspection  the Inspection without its results                    inspections/<id>.json
    results     one ItemResult per item, so a verdict is one upsert    inspections/<id>.json
    problem     the Problem without its events                         problems/<id>.json
    events      one ProblemEvent per event, each with its sync state   problems/<id>.json
    sites, sync the sites; the cursor and sync status                  reference.json
    assignments this device's active assignments (older files lack it) reference.json

A save is a few TinyDB upserts in one `AtomicJSONStorage.batch()`: one write of the record's small file (temp file,
fsync, backup link, os.replace, directory fsync). Every file keeps its previous version as `<name>.bak` (a hard
link: no copy); a submit also copies the submitted inspection to its `.bak`, so the backup of a submitted inspection
is never its draft. A file that fails to parse or validate is moved aside as `<name>.damaged-<UTC time>`, replaced by
its backup when the backup is good, and `Store.recovery_notes` says which file and record, where it went and what
was kept. Without a good backup, what can be derived again is: a photo's metadata from its bytes, an unsynced
problem from its submitted inspection; a synced problem is fetched again from HQ (the pull cursor is reset). A file
that validates although its checksum fails (edited by hand) is reported too: replaced by an intact backup of the
same version when there is one, else kept, with a fresh checksum.

Opening 100,000 item results must take well under a second, and building 100,000 pydantic objects does not. So
opening checks every inspection file whole by its checksum but validates only its header (the meta and inspection
lines, found without parsing the rest); the item results are validated on first use of that inspection, which
`inspections()` does for all of them. A file whose checksum does not match (damaged, or edited by hand) gets the
full parse at open. Problems are small and are parsed whole at open.

Format 1 (before this layout) was one `db.json` holding every record; opening it migrates it (`migrate_v1.py`)
and keeps it as `db.json.v1-backup`.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from checklists.schema import Checklist

STORE_FILE = "store.json"
REFERENCE_FILE = "reference.json"
LOCK_FILE = "store.lock"
V1_FILE = "db.json"
V1_BACKUP = "db.json.v1-backup"
INSPECTIONS = "inspections"
PROBLEMS = "problems"
CHECKLISTS = "checklists"
ATTACHMENTS = "attachments"
FOLDERS = (INSPECTIONS, PROBLEMS, CHECKLISTS, ATTACHMENTS)
INCOMING_PREFIX = ".incoming-"  # attachments/.incoming-<id>.tmp: a photo being copied in

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PLAIN_NAME = re.compile(r"^[0-9a-z][0-9a-z._-]{0,99}$")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def is_sha256(name: str) -> bool:
    """Whether `name` is a photo's name in attachments/ (64 lowercase hex digits): nothing else may be asked for."""
    return _SHA256.match(name) is not None


def file_name(record_id: str) -> str:
    """The record's file name: its id when that is a plain lowercase name (uuids are), else a slug plus a hash,
    so any id is a safe, distinct file name on case-insensitive Windows and macOS file systems too."""
    if _PLAIN_NAME.match(record_id) and record_id.split(".")[0] not in _WINDOWS_RESERVED:
        return record_id + ".json"
    slug = re.sub(r"[^0-9a-z._-]+", "_", record_id.lower()).strip("._")[:60] or "record"
    digest = hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:16]
    return f"{slug}-{digest}.json"


def checklist_file_name(checklist: Checklist) -> str:
    """`<id>@<version>.json`; a version that is not a plain name gets the slug-and-hash form of `file_name`."""
    version = checklist.version
    if _PLAIN_NAME.match(version) and len(version) <= 40:
        return f"{checklist.id}@{version}.json"
    return f"{checklist.id}@{file_name(version)}"


def json_names(folder: Path) -> list[str]:
    """The record files of a folder, without backups, temp or damaged files; sorted, so ids load oldest first."""
    with os.scandir(folder) as entries:
        return sorted(e.name for e in entries if e.name.endswith(".json") and not e.name.startswith("."))
