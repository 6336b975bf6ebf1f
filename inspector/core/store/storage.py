"""Durable small files for TinyDB: the atomic write, the backup, the temp-file cleanup and the quarantine.

TinyDB's own JSONStorage overwrites its file in place, so a crash mid-write can leave a torn file and lose
everything in it, and it rewrites the whole file on every write (measured at about 70 ms per insert at 10,000
documents). `AtomicJSONStorage` never touches the live file: it writes a temp file
beside it, fsyncs it, hard-links the previous version to `<name>.bak`, swaps the new one in with `os.replace` and
fsyncs the directory. A crash at any instant leaves the old version or the new one, never a mixture.

What goes into a file is `fileformat.py`'s; this module only makes its writing durable.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from inspector.core.store.fileformat import CHECKSUM_KEY, dumps_tinydb

__all__ = [
    "BACKUP_SUFFIX",
    "DAMAGED_INFIX",
    "TEMP_SUFFIX",
    "AtomicJSONStorage",
    "atomic_write_bytes",
    "backup_path",
    "fsync_dir",
    "quarantine",
    "replace_with_retry",
    "settle_temp_files",
    "temp_path",
]

TEMP_SUFFIX = ".tmp"
BACKUP_SUFFIX = ".bak"
DAMAGED_INFIX = ".damaged-"

_IS_WINDOWS = os.name == "nt"
_REPLACE_RETRIES = 8  # Windows: antivirus and indexers hold files open for a moment; wait rather than fail

Tables = dict[str, dict[str, Any]]


def temp_path(path: Path) -> Path:
    return path.with_name(path.name + TEMP_SUFFIX)


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + BACKUP_SUFFIX)


def fsync_dir(directory: Path) -> None:
    """Make a rename durable. Windows has no directory handle to fsync (NTFS journals the rename itself)."""
    if _IS_WINDOWS:
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_with_retry(source: Path, target: Path) -> None:
    """`os.replace`, retried briefly on Windows where another program may hold the target open."""
    for attempt in range(_REPLACE_RETRIES):
        try:
            source.replace(target)
            return
        except PermissionError:
            if not _IS_WINDOWS or attempt == _REPLACE_RETRIES - 1:
                raise
            time.sleep(0.01 * 2**attempt)


def _write_and_sync(path: Path, payload: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def _keep_backup(path: Path) -> None:
    """Keep the current version as `<name>.bak` before it is replaced: a hard link costs no copy of the data."""
    backup = backup_path(path)
    with suppress(FileNotFoundError):
        backup.unlink()
    try:
        os.link(path, backup)
    except FileNotFoundError:
        return  # first write: nothing to back up
    except OSError:
        # File systems without hard links (FAT, some network shares): a plain copy. It is not fsynced; a torn
        # backup fails to parse and is simply not used.
        with suppress(OSError):
            shutil.copyfile(path, backup)


def atomic_write_bytes(path: Path, payload: bytes, *, backup: bool = False) -> None:
    """Replace `path` with `payload` so that a crash at any instant leaves the old content or the new, whole.

    Returns only once the new content and its name are on disk: temp file in the same directory, flush, fsync,
    (backup link), os.replace, directory fsync.
    """
    tmp = temp_path(path)
    _write_and_sync(tmp, payload)
    if backup:
        _keep_backup(path)
    replace_with_retry(tmp, path)
    fsync_dir(path.parent)


def quarantine(path: Path, *, now: datetime | None = None) -> Path:
    """Move a damaged file aside under a dated name; it is kept for a person to look at, never deleted."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}{DAMAGED_INFIX}{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}{DAMAGED_INFIX}{stamp}-{counter}")
    replace_with_retry(path, target)
    fsync_dir(path.parent)
    return target


def _is_complete_json(payload: bytes) -> bool:
    try:
        json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def settle_temp_files(directory: Path) -> list[Path]:
    """Finish or drop what a crash left in `directory`; returns the files that were promoted.

    A temp file whose target exists belongs to a save that never returned (the replace did not happen): dropped.
    A complete temp file whose target is missing is the first version of a new file, or a file caught between
    its backup and its replace: promoted. A torn temp file was never acknowledged: dropped.
    """
    promoted: list[Path] = []
    if not directory.is_dir():
        return promoted
    for tmp in directory.glob("*" + TEMP_SUFFIX):
        target = tmp.with_name(tmp.name[: -len(TEMP_SUFFIX)])
        if not target.exists():
            try:
                payload = tmp.read_bytes()
            except OSError:
                continue
            if payload and _is_complete_json(payload):
                replace_with_retry(tmp, target)
                promoted.append(target)
                continue
        with suppress(OSError):
            tmp.unlink()
    if promoted:
        fsync_dir(directory)
    return promoted


class AtomicJSONStorage(Storage):
    """A TinyDB storage that writes atomically and durably, and keeps the data in memory between calls.

    TinyDB reads the whole storage before every operation, so the in-memory copy spares a file read per call.
    `batch()` groups several TinyDB operations into one durable write: one record's change and its sync state
    are saved together or not at all. If a write fails the in-memory copy is dropped and re-read from disk, so
    memory never claims what the disk does not hold.
    """

    def __init__(self, path: str | os.PathLike[str], *, backup: bool = True, **_: Any) -> None:
        super().__init__()
        self.path = Path(path)
        self.backup = backup
        self._data: Tables | None = None
        self._loaded = False
        self._batch_depth = 0
        self._batch_dirty = False

    def read(self) -> Tables | None:
        if not self._loaded:
            try:
                payload = self.path.read_bytes()
            except FileNotFoundError:
                payload = b""
            data = json.loads(payload) if payload else None
            if isinstance(data, dict):
                data.pop(CHECKSUM_KEY, None)  # not a table: written afresh by every write
            self._data = data
            self._loaded = True
        return self._data

    def write(self, data: Tables) -> None:
        self._data = data
        self._loaded = True
        if self._batch_depth:
            self._batch_dirty = True
            return
        self._flush()

    def _flush(self) -> None:
        assert self._data is not None
        try:
            atomic_write_bytes(self.path, dumps_tinydb(self._data), backup=self.backup)
        except BaseException:
            self._forget()
            raise

    def _forget(self) -> None:
        self._data = None
        self._loaded = False

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run several TinyDB operations, then write once. Nested batches write when the outermost one ends."""
        self._batch_depth += 1
        try:
            yield
        except BaseException:
            self._batch_depth -= 1
            if self._batch_depth == 0:
                self._batch_dirty = False
            self._forget()
            raise
        self._batch_depth -= 1
        if self._batch_depth == 0 and self._batch_dirty:
            self._batch_dirty = False
            self._flush()

    def close(self) -> None:
        self._forget()
