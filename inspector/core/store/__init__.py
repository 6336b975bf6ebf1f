"""The local store: every verdict on disk before the screen says it is recorded.

A save returns only once it is durable, so what the screen shows as recorded survives kill -9 or power loss; a
damaged file is moved aside (kept, never deleted), the user is told which, and everything else still opens.

One module per job:

    layout.py       the data dir on disk: folders and file names (and the layout, described in its docstring)
    fileformat.py   the record file format: the CRC line, parsing a file, telling a damaged one
    storage.py      durable writes: temp file, fsync, backup link, replace with retry, directory fsync
    files.py        each record's TinyDB file: where it is and how a change to it is written
    recovery.py     reading files so that a damaged one costs only itself, and the notes saying so
    identity.py     store.json: the format version (newer refused, older migrated) and the device id
    migrate_v1.py   format 1 (one db.json) to the current format, keeping a backup
    photos.py       attachments: copied in under their sha256 and accepted by their bytes
    errors.py       StoreError and everything the store says, in Chinese and English
    store.py        the `Store` that composes them

The sync state it keeps (`SyncStatus`, `Pending`) and the rules for HQ's answers and pulled records live in
`inspector.core.sync_state`, which needs no TinyDB; they are re-exported here for the store's callers.
"""

from __future__ import annotations

from inspector.core.store.errors import StoreError, StoreLocked
from inspector.core.store.fileformat import FORMAT_VERSION
from inspector.core.store.store import Store
from inspector.core.sync_state import DEMO_SITE_PREFIX, Pending, SyncStatus

__all__ = ["DEMO_SITE_PREFIX", "FORMAT_VERSION", "Pending", "Store", "StoreError", "StoreLocked", "SyncStatus"]
