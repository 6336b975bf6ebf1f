"""The local store: every verdict on disk before the screen says it is recorded (design §4).

Layout under the data dir (each file a small TinyDB database written atomically by `AtomicJSONStorage`):

    store.json                 format version, device id, created time
    reference.json             sites, assignments, the sync cursor and sync status: one pull page is one write
    checklists/<id>@<ver>.json the checklist versions in use (a draft keeps the version it started with)
    inspections/<id>.json      one inspection with its item results and its sync state
    problems/<id>.json         one problem with its events and their sync state
    attachments/<sha256>       photo bytes, content-addressed; attachments/<sha256>.json their metadata
    store.lock                 one app instance per data dir

One save rewrites one small file, so its cost does not grow with history. This module is the only TinyDB importer.

Inside each file, TinyDB tables, one document per line, after a first line with a CRC-32 of the rest:

    meta        {"format_version": 2, "kind": "inspection"}            every file; store.json adds the device id
    inspection  the Inspection without its results                    inspections/<id>.json
    results     one ItemResult per item, so a verdict is one upsert    inspections/<id>.json
    problem     the Problem without its events                         problems/<id>.json
    events      one ProblemEvent per event, each with its sync state   problems/<id>.json
    sites, sync the sites; the cursor and sync status                  reference.json
    assignments this device's active assignments (older files lack it) reference.json

A save is a few TinyDB upserts in one `AtomicJSONStorage.batch()`: one write of the record's small file (temp file,
fsync, backup link, os.replace, directory fsync). Every file keeps its previous version as `<name>.bak` (a hard
link: no copy). A file that fails to parse or validate is moved aside as `<name>.damaged-<UTC time>`, replaced by
its backup when the backup is good, and `Store.recovery_notes` says which file, where it went and what was kept.

Opening 100,000 item results must take well under a second, and building 100,000 pydantic objects does not. So
opening checks every inspection file whole by its checksum but validates only its header (the meta and inspection
lines, found without parsing the rest); the item results are validated on first use of that inspection, which
`inspections()` does for all of them. A file whose checksum does not match (damaged, or edited by hand) gets the
full parse at open. Problems are small and are parsed whole at open.

Records come back from the single-record getters (`inspection`, `problem`, `site`, `draft_for`, `record_result`,
`pending`) as copies the caller owns. The list getters (`inspections`, `problems`, `sites`) return the store's
current records without copying, so a list of 100,000 results stays cheap: read them, never change them in place.
The store itself never changes a record in place: each save replaces the cached object (copy-on-write).
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, NotRequired, TypeVar, cast

from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, StrictInt, TypeAdapter, ValidationError
from tinydb import Query, TinyDB
from tinydb.table import Document
from typing_extensions import TypedDict

from checklists.schema import Checklist
from inspector.core.ids import new_id, utcnow
from inspector.core.records import (
    Assignment,
    Attachment,
    Inspection,
    InspectionStatus,
    ItemResult,
    Problem,
    ProblemEvent,
    Site,
    SyncMeta,
    SyncState,
)
from inspector.core.storage import (
    AtomicJSONStorage,
    atomic_write_bytes,
    backup_path,
    fsync_dir,
    quarantine,
    replace_with_retry,
    settle_temp_files,
    verified_body,
)

FORMAT_VERSION = 2

__all__ = ["DEMO_SITE_PREFIX", "FORMAT_VERSION", "Pending", "Store", "StoreError", "StoreLocked", "SyncStatus"]


class StoreError(Exception):
    """A store problem worded for the user: what happened, which file, what was kept."""


class StoreLocked(StoreError):
    """Another Inspector is already using this data dir."""


@dataclass
class SyncStatus:
    """What the sync badge shows; kept in reference.json next to the cursor."""

    cursor: str | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    clock_offset_s: float | None = None  # server_time - local time at the last answer
    server_url: str | None = None


@dataclass
class Pending:
    """Everything HQ has not yet accepted: dirty submitted inspections, dirty problems and events, photos."""

    inspections: list[Inspection] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    events: list[ProblemEvent] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.inspections) + len(self.problems) + len(self.events)


# --- messages -------------------------------------------------------------------------------------------------

_MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "locked": "另一个 Inspector 正在使用数据目录 {dir}。请先关闭它（或等它退出）再打开。",
        "lock_failed": "无法锁定数据目录 {dir}：{reason}",
        "dir_failed": "无法创建或打开数据目录 {dir}：{reason}",
        "open_failed": "无法打开数据目录 {dir}：{reason}",
        "newer_format": "数据目录 {dir} 的格式版本是 {found}，比这个版本的 Inspector（最高支持 {known}）更新。"
        "请更新 Inspector 后再打开；数据没有做任何改动。",
        "closed": "数据存储已关闭。",
        "write_failed": "无法保存到 {path}：{reason}。上一次成功保存的内容没有受到影响。",
        "no_inspection": "找不到检查记录 {id}。",
        "no_problem": "找不到问题 {id}。",
        "no_event": "找不到问题进展记录 {id}。",
        "no_site": "找不到点位 {id}。",
        "no_attachment": "找不到照片 {sha}。",
        "bad_sha": "“{sha}” 不是有效的照片编号（sha256）。",
        "submitted": "检查记录 {id} 已提交，不能再修改；如需更正，请新建一次检查并注明它更正的是哪一次。",
        "key_mismatch": "检查记录 {id} 中，检查项的键 {key} 与其编号 {code} 不一致。",
        "unknown_kind": "未知的同步记录类型 {kind}（应为 inspection、problem 或 event）。",
        "photo_missing": "找不到照片文件 {path}。",
        "photo_unreadable": "无法读取照片文件 {path}：{reason}",
        "photo_type": "{path} 不是支持的照片格式（支持 jpg、png、webp、heic、gif）。",
        "empty": "文件为空",
        "version": "格式版本为 {found}，应为 {known}",
        "kind": "文件类型为 {found}，应为 {kind}",
        "shape": "缺少 {table} 表中的记录",
        "damaged_restored": "{what}文件 {path} 已损坏（{reason}），已移至 {aside}；已从备份恢复上一个版本"
        "（最后一次保存的改动可能不在其中，损坏的文件仍然保留）。",
        "damaged_lost": "{what}文件 {path} 已损坏（{reason}），已移至 {aside}；没有可用的备份，"
        "这条记录暂不显示，其余数据正常打开。",
        "reference_lost": "{what}文件 {path} 已损坏（{reason}），已移至 {aside}；没有可用的备份，"
        "点位和同步进度已重置，下次同步会从总部重新获取。检查记录和问题不受影响。",
        "store_lost": "{what}文件 {path} 已损坏（{reason}），已移至 {aside}；已重建，设备编号 {device}，"
        "检查记录和问题不受影响。",
        "unreadable": "无法读取文件 {path}（{reason}），已跳过；其余数据正常打开。",
        "migrated": "已把旧格式数据 {old} 迁移到新格式（{inspections} 条检查记录、{problems} 个问题、{sites} 个点位），"
        "原文件保留为 {backup}。",
        "migrate_skipped": "旧数据 {old} 中的{what} {id} 无法读取（{reason}），没有迁移；它仍保留在 {backup} 中。",
        "what_store": "存储信息",
        "what_reference": "点位与同步",
        "what_checklist": "检查表",
        "what_inspection": "检查记录",
        "what_problem": "问题",
        "what_attachment": "照片信息",
        "what_site": "点位",
        "what_v1": "旧格式数据",
    },
    "en": {
        "locked": "Another Inspector is already using the data directory {dir}. Close it (or wait for it to exit) "
        "and try again.",
        "lock_failed": "Cannot lock the data directory {dir}: {reason}",
        "dir_failed": "Cannot create or open the data directory {dir}: {reason}",
        "open_failed": "Cannot open the data directory {dir}: {reason}",
        "newer_format": "The data directory {dir} has format version {found}, newer than this Inspector supports "
        "(up to {known}). Please update Inspector; nothing was changed.",
        "closed": "The store is closed.",
        "write_failed": "Cannot save to {path}: {reason}. The last successful save is unaffected.",
        "no_inspection": "No inspection {id}.",
        "no_problem": "No problem {id}.",
        "no_event": "No problem event {id}.",
        "no_site": "No site {id}.",
        "no_attachment": "No photo {sha}.",
        "bad_sha": "{sha!r} is not a valid photo id (sha256).",
        "submitted": "Inspection {id} has been submitted and cannot change; to correct it, start a new inspection "
        "that supersedes it.",
        "key_mismatch": "In inspection {id}, the item key {key} does not match its code {code}.",
        "unknown_kind": "Unknown sync record kind {kind} (expected inspection, problem or event).",
        "photo_missing": "Photo file {path} does not exist.",
        "photo_unreadable": "Cannot read photo file {path}: {reason}",
        "photo_type": "{path} is not a supported photo (jpg, png, webp, heic, gif).",
        "empty": "the file is empty",
        "version": "format version {found}, expected {known}",
        "kind": "file kind {found}, expected {kind}",
        "shape": "no record in table {table}",
        "damaged_restored": "The {what} file {path} was damaged ({reason}) and was moved to {aside}; the previous "
        "version was restored from the backup (the last change may be missing; the damaged file is kept).",
        "damaged_lost": "The {what} file {path} was damaged ({reason}) and was moved to {aside}; there was no usable "
        "backup, so this record is not shown. Everything else opened normally.",
        "reference_lost": "The {what} file {path} was damaged ({reason}) and was moved to {aside}; there was no usable "
        "backup, so sites and the sync position were reset and will be fetched again from HQ at the next sync. "
        "Inspections and problems are unaffected.",
        "store_lost": "The {what} file {path} was damaged ({reason}) and was moved to {aside}; it was rebuilt with "
        "device id {device}. Inspections and problems are unaffected.",
        "unreadable": "Cannot read {path} ({reason}); skipped. Everything else opened normally.",
        "migrated": "Migrated the old-format data {old} ({inspections} inspections, {problems} problems, {sites} "
        "sites); the original is kept as {backup}.",
        "migrate_skipped": "The {what} {id} in the old data {old} could not be read ({reason}) and was not migrated; "
        "it is still in {backup}.",
        "what_store": "store info",
        "what_reference": "sites and sync",
        "what_checklist": "checklist",
        "what_inspection": "inspection",
        "what_problem": "problem",
        "what_attachment": "photo info",
        "what_site": "site",
        "what_v1": "old-format data",
    },
}


def _message(lang: str, name: str, /, **values: object) -> str:
    table = _MESSAGES.get(lang, _MESSAGES["zh"])
    return table[name].format(**values)


# --- file layouts -----------------------------------------------------------------------------------------------

DEMO_SITE_PREFIX = "demo-"  # the sites shipped with the app for trying it out (inspector.core.demo)
_STORE_FILE = "store.json"
_REFERENCE_FILE = "reference.json"
_LOCK_FILE = "store.lock"
_V1_FILE = "db.json"
_V1_BACKUP = "db.json.v1-backup"
_INSPECTIONS = "inspections"
_PROBLEMS = "problems"
_CHECKLISTS = "checklists"
_ATTACHMENTS = "attachments"

_LOCK_TIMEOUT_S = 0.3  # long enough to ride out a closing instance, short enough that nobody waits on a hang
_OPEN_FILES_KEPT = 64  # TinyDB handles (each with its file's data in memory) kept for the files written lately
_COPY_CHUNK = 1 << 20
_HEADER = 1  # the doc id of the one-document tables (meta, inspection, problem, sync)

_IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".gif": "image/gif",
}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PLAIN_NAME = re.compile(r"^[0-9a-z][0-9a-z._-]{0,99}$")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


class _FileMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    format_version: StrictInt
    kind: str


class _StoreMeta(_FileMeta):
    device_id: str
    created_at: datetime


class _InspectionFile(TypedDict):
    meta: dict[str, _FileMeta]
    inspection: dict[str, Inspection]
    results: dict[str, ItemResult]


class _ProblemFile(TypedDict):
    meta: dict[str, _FileMeta]
    problem: dict[str, Problem]
    events: dict[str, ProblemEvent]


class _ReferenceFile(TypedDict):
    meta: dict[str, _FileMeta]
    sites: dict[str, Site]
    assignments: NotRequired[dict[str, Assignment]]  # absent in files written before assignments were kept
    sync: dict[str, SyncStatus]


class _ChecklistFile(TypedDict):
    meta: dict[str, _FileMeta]
    checklist: dict[str, Checklist]


class _AttachmentFile(TypedDict):
    meta: dict[str, _FileMeta]
    attachment: dict[str, Attachment]


class _StoreFile(TypedDict):
    meta: dict[str, _StoreMeta]


@functools.cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    """A file layout's validator, built on first use: building them all at import cost every start-up ~50 ms."""
    return TypeAdapter(kind)


_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseModel)


class _Damage(Exception):
    """A file that does not hold what its name promises; `reason` says what is wrong, for the recovery note."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _SourceUnreadable(Exception):
    """Reading the photo failed (not writing the copy): the message must name the source file."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _validation_reason(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def _clone(record: _M) -> _M:
    """A deep copy the caller owns; validating a dump is ~5x faster than `model_copy(deep=True)` here."""
    return type(record).model_validate(record.model_dump())


def _file_name(record_id: str) -> str:
    """The record's file name: its id when that is a plain lowercase name (uuids are), else a slug plus a hash,
    so any id is a safe, distinct file name on case-insensitive Windows and macOS file systems too."""
    if _PLAIN_NAME.match(record_id) and record_id.split(".")[0] not in _WINDOWS_RESERVED:
        return record_id + ".json"
    slug = re.sub(r"[^0-9a-z._-]+", "_", record_id.lower()).strip("._")[:60] or "record"
    digest = hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:16]
    return f"{slug}-{digest}.json"


def _checklist_file_name(checklist: Checklist) -> str:
    """`<id>@<version>.json`; a version that is not a plain name gets the slug-and-hash form of `_file_name`."""
    version = checklist.version
    if _PLAIN_NAME.match(version) and len(version) <= 40:
        return f"{checklist.id}@{version}.json"
    return f"{checklist.id}@{_file_name(version)}"


def _meta_doc(kind: str) -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, "kind": kind}


_META_LINES = {
    kind: json.dumps(_meta_doc(kind), separators=(", ", ": ")).encode() for kind in ("inspection", "problem")
}


# --- the store --------------------------------------------------------------------------------------------------


class Store:
    """An open data dir. Methods that change data return only once the change is durable on disk."""

    data_dir: Path
    device_id: str
    recovery_notes: list[str]  # one line per damaged file moved aside, for the user

    def __init__(self, data_dir: Path, lock: FileLock, lang: str) -> None:
        """Use `Store.open`: it takes the lock, migrates, recovers and loads."""
        self.data_dir = data_dir
        self.lang = lang
        self.device_id = ""
        self.recovery_notes = []
        self._lock = lock
        self._mutex = threading.RLock()
        self._closed = False
        self._dbs: dict[Path, TinyDB] = {}
        self._inspections: dict[str, Inspection] = {}
        self._inspection_files: dict[str, str] = {}  # file name by id, where it differs from `_file_name(id)`
        self._inspection_order: list[str] | None = None  # ids, oldest first; None when it needs sorting again
        self._problems: dict[str, Problem] = {}
        self._problem_files: dict[str, str] = {}
        # Opening validates each inspection's header only; its item results are validated on first use. These are
        # the inspections whose cached object is still that header (see `_index_inspection`).
        self._partial_inspections: set[str] = set()
        self._event_owner: dict[str, str] = {}
        self._sites: dict[str, Site] = {}
        self._assignments: dict[str, Assignment] = {}  # the active ones, by HQ's id
        self._sync_status = SyncStatus()
        self._checklists: dict[str, Checklist] = {}
        self._attachments: dict[str, Attachment] | None = None  # loaded on first use: photos are not on the open path
        self._store_rebuilt = False
        # Goes up with every write. A screen that drew the records at revision N need not read them again while the
        # store is still at N (a help screen or a palette closing over it changes nothing).
        self.revision = 0

    # opening --------------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, data_dir: Path, *, lang: str = "zh") -> Store:
        """Lock, migrate, recover and load. Raises StoreLocked or StoreError, never a bare exception."""
        data_dir = Path(data_dir).expanduser()
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(_message(lang, "dir_failed", dir=data_dir, reason=error.strerror or error)) from error
        lock = FileLock(data_dir / _LOCK_FILE, timeout=_LOCK_TIMEOUT_S, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise StoreLocked(_message(lang, "locked", dir=data_dir)) from None
        except OSError as error:
            raise StoreError(_message(lang, "lock_failed", dir=data_dir, reason=error.strerror or error)) from error
        store = cls(data_dir, lock, lang)
        try:
            with _gc_paused(freeze=True):
                store._load()
        except StoreError:
            lock.release()
            raise
        except (OSError, ValueError) as error:
            lock.release()
            raise StoreError(_message(lang, "open_failed", dir=data_dir, reason=error)) from error
        return store

    def close(self) -> None:
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            for db in self._dbs.values():
                db.close()
            self._dbs.clear()
            self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _load(self) -> None:
        self._refuse_newer_format()
        for folder in (_INSPECTIONS, _PROBLEMS, _CHECKLISTS, _ATTACHMENTS):
            (self.data_dir / folder).mkdir(exist_ok=True)
        settle_temp_files(self.data_dir)
        self._open_store_file()
        self._load_reference()
        self._load_checklists()
        self._load_inspections()
        self._load_problems()
        if self._store_rebuilt:
            self._adopt_device_id_from_records()

    def _note(self, name: str, /, **values: object) -> None:
        self.recovery_notes.append(_message(self.lang, name, **values))

    def _what(self, kind: str) -> str:
        return _message(self.lang, f"what_{kind}")

    # store.json: version, device id, migration ------------------------------------------------------------------
    def _refuse_newer_format(self) -> None:
        """A newer app wrote this data dir: stop before changing anything, so the newer app still finds it whole."""
        path = self.data_dir / _STORE_FILE
        try:
            found = _peek_format_version(path.read_bytes())
        except FileNotFoundError:
            return
        except OSError as error:
            raise StoreError(
                _message(self.lang, "open_failed", dir=self.data_dir, reason=f"{path}: {error.strerror or error}")
            ) from error
        if found is not None and found > FORMAT_VERSION:
            raise StoreError(_message(self.lang, "newer_format", dir=self.data_dir, found=found, known=FORMAT_VERSION))

    def _open_store_file(self) -> None:
        path = self.data_dir / _STORE_FILE
        if not path.exists():
            if (self.data_dir / _V1_FILE).exists():
                self._migrate_from(1)
                return
            restored = self._store_meta_from_backup(path)
            if restored is None:
                self._write_store_meta(new_id(), utcnow())
                self._store_rebuilt = self._holds_records()
            return
        try:
            payload = path.read_bytes()
        except OSError as error:
            raise StoreError(
                _message(self.lang, "open_failed", dir=self.data_dir, reason=f"{path}: {error.strerror or error}")
            ) from error
        found = _peek_format_version(payload)
        if found is not None and 1 <= found < FORMAT_VERSION:
            self._migrate_from(found)
            return
        try:
            meta = _parse_store_meta(payload, self.lang)
        except _Damage as damage:
            aside = quarantine(path)
            restored = self._store_meta_from_backup(path)
            if restored is not None:
                self._note(
                    "damaged_restored", what=self._what("store"), path=path, reason=damage.reason, aside=aside.name
                )
                return
            self._write_store_meta(new_id(), utcnow())
            self._store_rebuilt = True
            self._note(
                "store_lost",
                what=self._what("store"),
                path=path,
                reason=damage.reason,
                aside=aside.name,
                device=self.device_id,
            )
            return
        self.device_id = meta.device_id

    def _store_meta_from_backup(self, path: Path) -> _StoreMeta | None:
        try:
            payload = backup_path(path).read_bytes()
            meta = _parse_store_meta(payload, self.lang)
        except (OSError, _Damage):
            return None
        atomic_write_bytes(path, payload)
        self.device_id = meta.device_id
        return meta

    def _write_store_meta(self, device_id: str, created_at: datetime) -> None:
        """Write store.json. It is written once, so it gets its backup right away rather than on a second write:
        the device id must survive a damaged store.json."""
        path = self.data_dir / _STORE_FILE
        doc = {**_meta_doc("store"), "device_id": device_id, "created_at": created_at.isoformat()}
        self._write(path, lambda db: db.table("meta").upsert(Document(doc, doc_id=_HEADER)))
        if not backup_path(path).exists():
            atomic_write_bytes(backup_path(path), path.read_bytes())
        self.device_id = device_id

    def _holds_records(self) -> bool:
        return any(any((self.data_dir / folder).glob("*.json")) for folder in (_INSPECTIONS, _PROBLEMS))

    def _adopt_device_id_from_records(self) -> None:
        """store.json was rebuilt: keep this laptop's device id as its records know it, rather than a new one."""
        known = [i for i in self._inspections.values() if i.device_id]
        if not known:
            return
        newest = max(known, key=lambda i: (i.started_at, i.id))
        if newest.device_id != self.device_id:
            created = utcnow()
            old = self.device_id
            self._write_store_meta(newest.device_id, created)
            path = self.data_dir / _STORE_FILE
            atomic_write_bytes(backup_path(path), path.read_bytes())  # the backup must not keep the interim id
            self.recovery_notes = [note.replace(old, newest.device_id) for note in self.recovery_notes]

    def _migrate_from(self, version: int) -> None:
        while version < FORMAT_VERSION:
            _MIGRATIONS[version](self)
            version += 1

    def _migrate_v1_to_v2(self) -> None:
        """Format 1 was the obvious TinyDB use: one db.json with tables sites, inspections (results embedded) and
        problems. Write each record to its own v2 file, then store.json, then rename db.json: a crash at any point
        leaves db.json in place and the next open migrates again (the writes are idempotent)."""
        old = self.data_dir / _V1_FILE
        backup = self.data_dir / _V1_BACKUP
        tables: dict[str, list[dict[str, Any]]] = {}
        if old.exists():
            try:
                with TinyDB(old, access_mode="r") as db:
                    tables = {name: [dict(doc) for doc in db.table(name).all()] for name in db.tables()}
            except (ValueError, OSError, AttributeError, TypeError) as error:
                aside = quarantine(old)
                reason = error.strerror if isinstance(error, OSError) else str(error)
                self._note("damaged_lost", what=self._what("v1"), path=old, reason=reason, aside=aside.name)
                old = aside
        counts = {"inspections": 0, "problems": 0, "sites": 0}
        sites: list[Site] = []
        for raw in tables.get("sites", []):
            site = self._migrated(Site, raw, "site", old, backup)
            if site is not None:
                sites.append(site)
        if sites:
            self._put_sites(sites, replace=False)
            counts["sites"] = len(sites)
        device_ids: list[tuple[datetime, str]] = []
        for raw in tables.get("inspections", []):
            results = raw.get("results", {})
            if isinstance(results, list):
                raw = {**raw, "results": {r.get("code"): r for r in results if isinstance(r, dict)}}
            inspection = self._migrated(Inspection, raw, "inspection", old, backup)
            if inspection is not None:
                self._write_inspection(inspection)
                counts["inspections"] += 1
                if inspection.device_id:
                    device_ids.append((inspection.started_at, inspection.device_id))
        for raw in tables.get("problems", []):
            problem = self._migrated(Problem, raw, "problem", old, backup)
            if problem is not None:
                self._write_problem(problem)
                counts["problems"] += 1
        device_id = next((d.get("device_id") for d in tables.get("meta", []) if d.get("device_id")), None)
        if not device_id and device_ids:
            device_id = max(device_ids)[1]
        self._write_store_meta(str(device_id or new_id()), utcnow())
        if old.exists() and old.name == _V1_FILE:
            target = backup
            counter = 1
            while target.exists():
                counter += 1
                target = self.data_dir / f"{_V1_BACKUP}-{counter}"
            replace_with_retry(old, target)
            fsync_dir(self.data_dir)
            self._note("migrated", old=_V1_FILE, backup=target.name, **counts)

    def _migrated(self, model: type[_M], raw: dict[str, Any], kind: str, old: Path, backup: Path) -> _M | None:
        try:
            return model.model_validate(raw)
        except ValidationError as error:
            self._note(
                "migrate_skipped",
                what=self._what(kind),
                id=raw.get("id", "?"),
                old=old.name,
                reason=_validation_reason(error),
                backup=backup.name,
            )
            return None

    # loading the files --------------------------------------------------------------------------------------------
    def _load_file(self, path: Path, parse: Callable[[bytes], _T], what: str, lost_key: str) -> _T | None:
        """Parse one file; a damaged one is moved aside and replaced by its backup when that is good."""
        try:
            payload = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            self._note("unreadable", path=path, reason=error.strerror or error)
            return None
        try:
            return parse(payload)
        except _Damage as damage:
            return self._recover(path, parse, what, damage.reason, lost_key)

    def _recover(
        self, path: Path, parse: Callable[[bytes], _T], what: str, reason: str, lost_key: str = "damaged_lost"
    ) -> _T | None:
        self._dbs.pop(path, None)
        aside = quarantine(path)
        try:
            payload = backup_path(path).read_bytes()
            value = parse(payload)
        except (OSError, _Damage):
            self._note(lost_key, what=self._what(what), path=path, reason=reason, aside=aside.name)
            return None
        atomic_write_bytes(path, payload)
        self._note("damaged_restored", what=self._what(what), path=path, reason=reason, aside=aside.name)
        return value

    def _load_reference(self) -> None:
        path = self.data_dir / _REFERENCE_FILE
        loaded = self._load_file(path, lambda b: _parse_reference(b, self.lang), "reference", "reference_lost")
        if loaded is not None:
            self._sites, self._assignments, self._sync_status = loaded

    def _load_checklists(self) -> None:
        folder = self.data_dir / _CHECKLISTS
        settle_temp_files(folder)
        for path in sorted(folder.glob("*.json")):
            checklist = self._load_file(path, lambda b: _parse_checklist(b, self.lang), "checklist", "damaged_lost")
            if checklist is not None:
                self._checklists[checklist.key] = checklist

    def _read_folder(self, folder: Path) -> Iterator[tuple[str, bytes]]:
        """Every record file of a folder, as bytes. The hot loop of opening (8,500 files at 100,000 results), so it
        reads with plain `open` on names and builds a Path only for a file that needs recovery."""
        settle_temp_files(folder)
        base = str(folder)
        for name in _json_names(folder):
            try:
                with open(os.path.join(base, name), "rb") as handle:  # noqa: PTH118, PTH123  # no Path per file: speed
                    yield name, handle.read()
            except OSError as error:
                self._note("unreadable", path=folder / name, reason=error.strerror or error)

    def _parsed_or_recovered(self, path: Path, payload: bytes, parse: Callable[[bytes], _T], what: str) -> _T | None:
        try:
            return parse(payload)
        except _Damage as damage:
            return self._recover(path, parse, what, damage.reason, "damaged_lost")

    def _load_inspections(self) -> None:
        lang = self.lang
        folder = self.data_dir / _INSPECTIONS
        parse = _full_inspection_parser(lang)
        for name, payload in self._read_folder(folder):
            partial = False
            try:
                inspection = _index_inspection(payload, lang)
            except _Damage as damage:  # intact, but the wrong format version or kind
                inspection = self._recover(folder / name, parse, "inspection", damage.reason)
            else:
                if inspection is None:  # not intact as this module writes it: damaged, or edited by hand
                    inspection = self._parsed_or_recovered(folder / name, payload, parse, "inspection")
                else:
                    partial = True
            if inspection is None:
                continue
            self._inspections[inspection.id] = inspection
            if partial:
                self._partial_inspections.add(inspection.id)
            if name != _file_name(inspection.id):
                self._inspection_files[inspection.id] = name

    def _load_problems(self) -> None:
        """Problems are parsed whole at open: a problem file is small, and measured here the full Rust-side
        parse beat any partial reading of it."""
        folder = self.data_dir / _PROBLEMS
        parse = _full_problem_parser(self.lang)
        for name, payload in self._read_folder(folder):
            problem = self._parsed_or_recovered(folder / name, payload, parse, "problem")
            if problem is None:
                continue
            self._remember_problem(problem)
            if name != _file_name(problem.id):
                self._problem_files[problem.id] = name

    def _remember_problem(self, problem: Problem) -> None:
        self._problems[problem.id] = problem
        for event in problem.events:
            self._event_owner[event.id] = problem.id

    def _full_inspection(self, inspection_id: str) -> Inspection | None:
        """The stored inspection with its results validated; a body found damaged now is recovered like at open."""
        if inspection_id not in self._partial_inspections:
            return self._inspections.get(inspection_id)
        self._partial_inspections.discard(inspection_id)
        path = self._inspection_path(inspection_id)
        full = self._reread(path, _full_inspection_parser(self.lang), "inspection")
        if full is None or full.id != inspection_id:
            self._inspections.pop(inspection_id, None)
            self._inspection_order = None
            return None
        self._cache_inspection(full, reorder=full.started_at != self._inspections[inspection_id].started_at)
        return full

    def _reread(self, path: Path, parse: Callable[[bytes], _T], what: str) -> _T | None:
        try:
            payload = path.read_bytes()
        except OSError as error:
            self._note("unreadable", path=path, reason=error.strerror or error)
            return None
        self._dbs.pop(path, None)
        return self._parsed_or_recovered(path, payload, parse, what)

    # writing ------------------------------------------------------------------------------------------------------
    def _db(self, path: Path) -> TinyDB:
        db = self._dbs.pop(path, None)
        if db is None:
            db = TinyDB(path, storage=AtomicJSONStorage)
        self._dbs[path] = db
        while len(self._dbs) > _OPEN_FILES_KEPT:
            self._dbs.pop(next(iter(self._dbs))).close()
        return db

    def _write(self, path: Path, change: Callable[[TinyDB], object]) -> None:
        """Run TinyDB operations on one file and write it once, durably; errors become a StoreError."""
        db = self._db(path)
        storage = cast(AtomicJSONStorage, db.storage)
        self.revision += 1  # before the write: one that fails half-way may still have changed what is cached
        try:
            with storage.batch():
                change(db)
        except OSError as error:
            self._dbs.pop(path, None)
            raise StoreError(_message(self.lang, "write_failed", path=path, reason=error.strerror or error)) from error
        except ValueError as error:  # the file on disk no longer parses: it was changed behind our back
            self._dbs.pop(path, None)
            raise StoreError(_message(self.lang, "write_failed", path=path, reason=error)) from error

    def _write_part(self, path: Path, change: Callable[[TinyDB], object], whole: Callable[[], None]) -> None:
        """A write of part of a record (one result, a header, an event). Should the file have vanished behind our
        back, the part alone would make a file without the rest: `whole` writes the record from memory instead."""
        if path in self._dbs or path.exists():
            self._write(path, change)
        else:
            whole()

    def _inspection_path(self, inspection_id: str) -> Path:
        name = self._inspection_files.get(inspection_id) or _file_name(inspection_id)
        return self.data_dir / _INSPECTIONS / name

    def _problem_path(self, problem_id: str) -> Path:
        name = self._problem_files.get(problem_id) or _file_name(problem_id)
        return self.data_dir / _PROBLEMS / name

    def _write_inspection(self, inspection: Inspection) -> None:
        header = inspection.model_dump(mode="json", exclude={"results"})
        results = [r.model_dump(mode="json") for r in inspection.results.values()]
        self._write_whole(self._inspection_path(inspection.id), "inspection", header, "results", results)

    def _write_problem(self, problem: Problem) -> None:
        header = problem.model_dump(mode="json", exclude={"events"})
        events = [e.model_dump(mode="json") for e in problem.events]
        self._write_whole(self._problem_path(problem.id), "problem", header, "events", events)

    def _write_whole(self, path: Path, kind: str, header: dict[str, Any], rows_table: str, rows: list[Any]) -> None:
        """A record's whole file: the meta line, the header under the record's kind, and every row of its parts."""

        def change(db: TinyDB) -> None:
            db.table("meta").upsert(Document(_meta_doc(kind), doc_id=_HEADER))
            db.table(kind).upsert(Document(header, doc_id=_HEADER))
            table = db.table(rows_table)
            table.truncate()
            table.insert_multiple(rows)

        self._write(path, change)

    def _write_reference(self) -> None:
        sites = [s.model_dump(mode="json") for s in self._sites.values()]
        assignments = [a.model_dump(mode="json") for a in self._assignments.values()]
        status = _adapter(SyncStatus).dump_python(self._sync_status, mode="json")

        def change(db: TinyDB) -> None:
            db.table("meta").upsert(Document(_meta_doc("reference"), doc_id=_HEADER))
            table = db.table("sites")
            table.truncate()
            table.insert_multiple(sites)
            assigned = db.table("assignments")
            assigned.truncate()
            assigned.insert_multiple(assignments)
            db.table("sync").upsert(Document(status, doc_id=_HEADER))

        self._write(self.data_dir / _REFERENCE_FILE, change)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(_message(self.lang, "closed"))

    # reference data -----------------------------------------------------------------------------------------------
    def sites(self) -> list[Site]:
        """The store's own records, in the order they were stored: read them, do not change them in place."""
        with self._mutex:
            self._check_open()
            return list(self._sites.values())

    def site(self, site_id: str) -> Site:
        with self._mutex:
            self._check_open()
            site = self._sites.get(site_id)
            if site is None:
                raise StoreError(_message(self.lang, "no_site", id=site_id))
            return _clone(site)

    def put_sites(self, sites: Iterable[Site], *, replace: bool = False) -> None:
        """Upsert sites by id; with `replace` the given sites become the whole set."""
        with self._mutex:
            self._check_open()
            self._put_sites([_clone(s) for s in sites], replace=replace)

    def _put_sites(self, sites: list[Site], *, replace: bool) -> None:
        before = self._sites
        merged: dict[str, Site] = {} if replace else dict(before)
        for site in sites:
            merged[site.id] = site
        self._sites = merged
        try:
            self._write_reference()
        except StoreError:
            self._sites = before
            raise

    def assignments(self) -> list[Assignment]:
        """The active assignments HQ sent this device (an inspector's own; everyone's for a reviewer), as copies."""
        with self._mutex:
            self._check_open()
            return [a.model_copy() for a in self._assignments.values()]

    def assigned_site_ids(self, user: str | None = None) -> set[str]:
        """The sites with an active assignment: of `user` when given, else of anyone this device knows about."""
        with self._mutex:
            self._check_open()
            return {a.site_id for a in self._assignments.values() if user is None or a.user == user}

    def put_checklist(self, checklist: Checklist) -> None:
        """Keep a copy of a checklist version in use (resolved, includes expanded)."""
        with self._mutex:
            self._check_open()
            self._write_checklist(checklist)

    def _write_checklist(self, checklist: Checklist) -> None:
        if self._checklists.get(checklist.key) == checklist:
            return  # every walk started pins its checklist: the same version is written once, not per walk
        doc = checklist.model_dump(mode="json")
        path = self.data_dir / _CHECKLISTS / _checklist_file_name(checklist)

        def change(db: TinyDB) -> None:
            db.table("meta").upsert(Document(_meta_doc("checklist"), doc_id=_HEADER))
            db.table("checklist").upsert(Document(doc, doc_id=_HEADER))

        self._write(path, change)
        self._checklists[checklist.key] = checklist  # frozen model: safe to share

    def checklist(self, checklist_id: str, version: str) -> Checklist | None:
        with self._mutex:
            self._check_open()
            return self._checklists.get(f"{checklist_id}@{version}")

    # inspections --------------------------------------------------------------------------------------------------
    def inspections(
        self,
        site_id: str | None = None,
        *,
        status: InspectionStatus | None = None,
        latest_per_site: bool = False,
    ) -> list[Inspection]:
        """Oldest first. The store's own records: read them, do not change them in place.

        Filters run on the headers, so only the inspections returned have their results validated: the site list
        wants `inspections(status=SUBMITTED, latest_per_site=True)`, not every result ever recorded.
        """
        with self._mutex:
            self._check_open()
            stored = self._inspections
            wanted = [
                i
                for i in self._ordered_ids()
                if (site_id is None or stored[i].site_id == site_id) and (status is None or stored[i].status is status)
            ]
            if latest_per_site:
                last = {stored[i].site_id: i for i in wanted}
                wanted = [i for i in wanted if last[stored[i].site_id] == i]
            with _gc_paused():
                return [full for i in wanted if (full := self._full_inspection(i)) is not None]

    def _ordered_ids(self) -> list[str]:
        """Inspection ids oldest first, sorted on the headers (nothing is validated for it)."""
        if self._inspection_order is None:
            ordered = sorted(self._inspections.values(), key=lambda i: (i.started_at, i.id))
            self._inspection_order = [i.id for i in ordered]
        return self._inspection_order

    def inspection(self, inspection_id: str) -> Inspection:
        with self._mutex:
            self._check_open()
            return _clone(self._stored_inspection(inspection_id))

    def _stored_inspection(self, inspection_id: str) -> Inspection:
        inspection = self._full_inspection(inspection_id)
        if inspection is None:
            raise StoreError(_message(self.lang, "no_inspection", id=inspection_id))
        return inspection

    def draft_for(self, site_id: str) -> Inspection | None:
        """The site's most recently started draft, to resume where the walk stopped."""
        with self._mutex:
            self._check_open()
            stored = self._inspections
            for inspection_id in reversed(self._ordered_ids()):
                header = stored[inspection_id]
                if header.site_id == site_id and not header.is_submitted:
                    draft = self._full_inspection(inspection_id)
                    if draft is not None:
                        return _clone(draft)
            return None

    def _cache_inspection(self, inspection: Inspection, *, reorder: bool) -> None:
        """Replace the stored record; `reorder` when its start time may have changed or it is new."""
        self._inspections[inspection.id] = inspection
        self._partial_inspections.discard(inspection.id)
        if reorder:
            self._inspection_order = None

    def save_inspection(self, inspection: Inspection) -> None:
        """Save a whole inspection as a new local version (sync state dirty). Submitted ones are refused.

        The caller's object gets the new sync state (`sync.touch()`), so it matches what is on disk.
        """
        with self._mutex:
            self._check_open()
            stored = self._inspections.get(inspection.id)
            if inspection.is_submitted or (stored is not None and stored.is_submitted):
                raise StoreError(_message(self.lang, "submitted", id=inspection.id))
            self._check_result_keys(inspection)
            saved = _clone(inspection)
            saved.sync.touch()
            self._write_inspection(saved)
            inspection.sync = _clone(saved.sync)
            self._cache_inspection(saved, reorder=True)

    def _check_result_keys(self, inspection: Inspection) -> None:
        for key, result in inspection.results.items():
            if key != result.code:
                raise StoreError(_message(self.lang, "key_mismatch", id=inspection.id, key=key, code=result.code))

    def record_result(self, inspection_id: str, result: ItemResult, *, current_code: str | None) -> Inspection:
        """The hot path: one verdict (or its evidence) into a draft, plus where the walk stands.

        One TinyDB upsert of the item's document and one of the header (with the new sync rev), written together
        in one atomic, fsynced replace of the inspection's small file.
        """
        with self._mutex:
            self._check_open()
            stored = self._stored_inspection(inspection_id)
            if stored.is_submitted:
                raise StoreError(_message(self.lang, "submitted", id=inspection_id))
            saved_result = _clone(result)
            sync = stored.sync.model_copy()
            sync.touch()
            # Copy-on-write: the stored record is replaced only once the disk holds the new version. Item results
            # are never changed in place by the store, so the new version shares the unchanged ones.
            updated = stored.model_copy(
                update={
                    "results": {**stored.results, result.code: saved_result},
                    "current_code": current_code,
                    "sync": sync,
                }
            )
            header = updated.model_dump(mode="json", exclude={"results"})
            doc = saved_result.model_dump(mode="json")

            def change(db: TinyDB) -> None:
                db.table("results").upsert(doc, Query().code == result.code)
                db.table("inspection").upsert(Document(header, doc_id=_HEADER))

            self._write_part(self._inspection_path(inspection_id), change, lambda: self._write_inspection(updated))
            self._cache_inspection(updated, reorder=False)
            return _clone(updated)

    # problems -----------------------------------------------------------------------------------------------------
    def problems(self) -> list[Problem]:
        """Oldest first. The store's own records: read them, do not change them in place."""
        with self._mutex:
            self._check_open()
            return sorted(self._problems.values(), key=lambda p: (p.found_at, p.id))

    def problem(self, problem_id: str) -> Problem:
        with self._mutex:
            self._check_open()
            return _clone(self._stored_problem(problem_id))

    def _stored_problem(self, problem_id: str) -> Problem:
        problem = self._problems.get(problem_id)
        if problem is None:
            raise StoreError(_message(self.lang, "no_problem", id=problem_id))
        return problem

    def save_problem(self, problem: Problem, *, mark_dirty: bool = True) -> None:
        """Save a whole problem with its events. With `mark_dirty` it becomes a new local version (the caller's
        object gets the new sync state too); events carry their own sync state and are saved as given."""
        with self._mutex:
            self._check_open()
            self._save_problem(problem, mark_dirty=mark_dirty)

    def _save_problem(self, problem: Problem, *, mark_dirty: bool) -> None:
        saved = _clone(problem)
        if mark_dirty:
            saved.sync.touch()
        self._write_problem(saved)
        problem.sync = _clone(saved.sync)
        self._remember_problem(saved)

    def submit(self, inspection: Inspection, problems: list[Problem]) -> None:
        """Make the inspection immutable and store its problems. Problem files first, then the inspection, so a
        crash leaves either a draft (whose re-submit reuses the same problem ids) or a complete submission.

        The caller's inspection gets status, submitted_at (and finished_at when unset) and its new sync state.
        """
        with self._mutex:
            self._check_open()
            stored = self._inspections.get(inspection.id)
            if stored is not None and stored.is_submitted:
                raise StoreError(_message(self.lang, "submitted", id=inspection.id))
            self._check_result_keys(inspection)
            for problem in problems:
                self._save_problem(problem, mark_dirty=True)
            saved = _clone(inspection)
            now = utcnow()
            saved.status = InspectionStatus.SUBMITTED
            saved.submitted_at = saved.submitted_at or now
            saved.finished_at = saved.finished_at or saved.submitted_at
            saved.sync.touch()
            self._write_inspection(saved)
            inspection.status = saved.status
            inspection.submitted_at = saved.submitted_at
            inspection.finished_at = saved.finished_at
            inspection.sync = _clone(saved.sync)
            self._cache_inspection(saved, reorder=True)

    # attachments --------------------------------------------------------------------------------------------------
    def add_attachment(self, source: Path) -> Attachment:
        """Copy a photo in under its sha256. Raises StoreError naming the file when it is missing or unreadable."""
        with self._mutex:
            self._check_open()
            source = Path(source).expanduser()
            mime = _IMAGE_TYPES.get(source.suffix.lower())
            if mime is None:
                raise StoreError(_message(self.lang, "photo_type", path=source))
            folder = self.data_dir / _ATTACHMENTS
            incoming = folder / f".incoming-{new_id()}.tmp"
            try:
                reader = source.open("rb")
            except FileNotFoundError as error:
                raise StoreError(_message(self.lang, "photo_missing", path=source)) from error
            except OSError as error:
                reason = error.strerror or str(error)
                raise StoreError(_message(self.lang, "photo_unreadable", path=source, reason=reason)) from error
            with reader:
                digest, size = self._copy_hashing(reader, source, incoming)
            target = folder / digest
            try:
                if target.exists() and target.stat().st_size == size:
                    incoming.unlink()
                else:
                    replace_with_retry(incoming, target)
                    fsync_dir(folder)
            except OSError as error:
                incoming.unlink(missing_ok=True)
                raise StoreError(
                    _message(self.lang, "write_failed", path=target, reason=error.strerror or error)
                ) from error
            index = self._attachment_index()
            known = index.get(digest)
            if known is not None:
                return known.model_copy()
            attachment = Attachment(sha256=digest, size=size, mime=mime, filename=source.name)
            self._write_attachment(attachment)
            return attachment.model_copy()

    def _copy_hashing(self, reader: BinaryIO, source: Path, target: Path) -> tuple[str, int]:
        """One pass over the photo: copy it and hash it, then fsync the copy. Errors name the file at fault."""
        digest = hashlib.sha256()
        size = 0
        try:
            with target.open("wb") as writer:
                while True:
                    try:
                        chunk = reader.read(_COPY_CHUNK)
                    except OSError as error:
                        raise _SourceUnreadable(error) from error
                    if not chunk:
                        break
                    digest.update(chunk)
                    size += len(chunk)
                    writer.write(chunk)
                writer.flush()
                os.fsync(writer.fileno())
        except _SourceUnreadable as failure:
            target.unlink(missing_ok=True)
            reason = failure.error.strerror or str(failure.error)
            raise StoreError(_message(self.lang, "photo_unreadable", path=source, reason=reason)) from failure.error
        except OSError as error:
            target.unlink(missing_ok=True)
            raise StoreError(
                _message(self.lang, "write_failed", path=target, reason=error.strerror or error)
            ) from error
        return digest.hexdigest(), size

    def _write_attachment(self, attachment: Attachment) -> None:
        doc = attachment.model_dump(mode="json")

        def change(db: TinyDB) -> None:
            db.table("meta").upsert(Document(_meta_doc("attachment"), doc_id=_HEADER))
            db.table("attachment").upsert(Document(doc, doc_id=_HEADER))

        self._write(self.data_dir / _ATTACHMENTS / f"{attachment.sha256}.json", change)
        self._attachment_index()[attachment.sha256] = attachment

    def _attachment_index(self) -> dict[str, Attachment]:
        if self._attachments is None:
            folder = self.data_dir / _ATTACHMENTS
            settle_temp_files(folder)
            for leftover in folder.glob(".incoming-*.tmp"):
                leftover.unlink(missing_ok=True)
            index: dict[str, Attachment] = {}
            lang = self.lang
            for name, payload in self._read_folder(folder):
                attachment = self._parsed_or_recovered(
                    folder / name, payload, lambda b: _parse_attachment(b, lang), "attachment"
                )
                if attachment is not None:
                    index[attachment.sha256] = attachment
            self._attachments = index
        return self._attachments

    def _checked_sha(self, sha256: str) -> str:
        if not _SHA256.match(sha256):
            raise StoreError(_message(self.lang, "bad_sha", sha=sha256))
        return sha256

    def attachment_path(self, sha256: str) -> Path:
        return self.data_dir / _ATTACHMENTS / self._checked_sha(sha256)

    def attachment(self, sha256: str) -> Attachment:
        with self._mutex:
            self._check_open()
            attachment = self._attachment_index().get(self._checked_sha(sha256))
            if attachment is None:
                raise StoreError(_message(self.lang, "no_attachment", sha=sha256))
            return attachment.model_copy()

    # sync ---------------------------------------------------------------------------------------------------------
    def pending(self) -> Pending:
        """Copies of what HQ has not yet accepted; drafts never leave the laptop, rejected records are not retried."""
        with self._mutex:
            self._check_open()
            dirty = SyncState.DIRTY
            headers = self._inspections
            inspections = [
                _clone(full)
                for i in self._ordered_ids()
                if headers[i].is_submitted
                and headers[i].sync.state is dirty
                and (full := self._full_inspection(i)) is not None
            ]
            problems = self._sendable_problems()
            return Pending(
                inspections=inspections,
                problems=[_clone(p) for p in problems if p.sync.state is dirty],
                events=[_clone(e) for p in problems for e in p.events if e.sync.state is dirty],
                attachments=[
                    a.model_copy() for a in self._attachment_index().values() if not a.uploaded and a.rejected is None
                ],
            )

    def _sendable_problems(self) -> list[Problem]:
        """A failed submit can leave problem files behind a draft: they go with their inspection, not before it."""
        headers = self._inspections
        return [p for p in self.problems() if (owner := headers.get(p.inspection_id)) is None or owner.is_submitted]

    def pending_count(self) -> int:
        """How many records `pending()` would send, counted on the headers: the sync badge asks for it after every
        change, and must not validate and copy every unsynced result to get a number."""
        with self._mutex:
            self._check_open()
            dirty = SyncState.DIRTY
            inspections = sum(1 for h in self._inspections.values() if h.is_submitted and h.sync.state is dirty)
            problems = self._sendable_problems()
            return (
                inspections
                + sum(1 for p in problems if p.sync.state is dirty)
                + sum(1 for p in problems for e in p.events if e.sync.state is dirty)
            )

    def mark_synced(
        self, kind: str, record_id: str, rev: str, state: SyncState, *, server_version: int | None, message: str | None
    ) -> None:
        """Record HQ's answer for (id, rev). A record saved again since then keeps its newer dirty version.

        When HQ accepted an older rev of a record that has changed since, the newer version is now based on it
        (`base_rev`), so its own push is not mistaken for a conflict. Only the record's header (or the event's
        line) is rewritten: one TinyDB upsert, in the record's own small file.
        """
        with self._mutex:
            self._check_open()
            if kind == "inspection":
                inspection = self._inspections.get(record_id)
                if inspection is None:
                    raise StoreError(_message(self.lang, "no_inspection", id=record_id))
                sync = _acknowledged(inspection.sync, rev, state, server_version, message)
                if sync is None:
                    return
                self._write_inspection_sync(inspection, sync)
            elif kind == "problem":
                problem = self._problems.get(record_id)
                if problem is None:
                    raise StoreError(_message(self.lang, "no_problem", id=record_id))
                sync = _acknowledged(problem.sync, rev, state, server_version, message)
                if sync is None:
                    return
                updated_problem = problem.model_copy(update={"sync": sync})
                header = updated_problem.model_dump(mode="json", exclude={"events"})
                self._write_part(
                    self._problem_path(record_id),
                    lambda db: db.table("problem").upsert(Document(header, doc_id=_HEADER)),
                    lambda: self._write_problem(updated_problem),
                )
                self._problems[record_id] = updated_problem
            elif kind == "event":
                owner_id = self._event_owner.get(record_id)
                owner = self._problems.get(owner_id) if owner_id is not None else None
                index = next((i for i, e in enumerate(owner.events) if e.id == record_id), None) if owner else None
                if owner is None or index is None:
                    raise StoreError(_message(self.lang, "no_event", id=record_id))
                events = list(owner.events)
                sync = _acknowledged(events[index].sync, rev, state, server_version, message)
                if sync is None:
                    return
                events[index] = events[index].model_copy(update={"sync": sync})
                doc = events[index].model_dump(mode="json")
                updated_owner = owner.model_copy(update={"events": events})
                self._write_part(
                    self._problem_path(owner.id),
                    lambda db: db.table("events").upsert(doc, Query().id == record_id),
                    lambda: self._write_problem(updated_owner),
                )
                self._remember_problem(updated_owner)
            else:
                raise StoreError(_message(self.lang, "unknown_kind", kind=kind))

    def _write_inspection_sync(self, inspection: Inspection, sync: SyncMeta) -> None:
        """Rewrite only the inspection's header with a new sync state: its results are unchanged."""
        record_id = inspection.id
        updated = inspection.model_copy(update={"sync": sync})
        header = updated.model_dump(mode="json", exclude={"results"})

        def whole() -> None:
            if record_id in self._partial_inspections:  # its results were only on disk, and the file is gone
                raise StoreError(_message(self.lang, "no_inspection", id=record_id))
            self._write_inspection(updated)

        self._write_part(
            self._inspection_path(record_id),
            lambda db: db.table("inspection").upsert(Document(header, doc_id=_HEADER)),
            whole,
        )
        self._inspections[record_id] = updated  # still header-only when it was: the results are unchanged

    def mark_all_unsynced(self) -> int:
        """Offer everything to HQ again: after enrolling with another HQ, or when HQ lost its data (a restored
        database answers a pull with `reset_required`). Every submitted inspection, every problem and event becomes
        dirty and every photo not uploaded. Revs are kept, so an HQ that holds a record answers `duplicate` and one
        that does not applies it. Drafts stay on the laptop; photos refused for good stay refused.

        Returns how many records and photos were marked."""
        with self._mutex:
            self._check_open()
            marked = 0
            for inspection in list(self._inspections.values()):
                if inspection.is_submitted and inspection.sync.state is not SyncState.DIRTY:
                    self._write_inspection_sync(inspection, _to_resend(inspection.sync))
                    marked += 1
            for problem in list(self._problems.values()):
                stale = [e for e in problem.events if e.sync.state is not SyncState.DIRTY]
                if problem.sync.state is SyncState.DIRTY and not stale:
                    continue
                updated = problem.model_copy(
                    update={
                        "sync": _to_resend(problem.sync),
                        "events": [e.model_copy(update={"sync": _to_resend(e.sync)}) for e in problem.events],
                    }
                )
                self._write_problem(updated)
                self._remember_problem(updated)
                marked += len(stale) + (problem.sync.state is not SyncState.DIRTY)
            for attachment in list(self._attachment_index().values()):
                if attachment.uploaded:
                    self._write_attachment(attachment.model_copy(update={"uploaded": False}))
                    marked += 1
            return marked

    def mark_attachment_uploaded(self, sha256: str) -> None:
        with self._mutex:
            self._check_open()
            attachment = self._attachment_index().get(self._checked_sha(sha256))
            if attachment is None:
                raise StoreError(_message(self.lang, "no_attachment", sha=sha256))
            if not attachment.uploaded or attachment.rejected is not None:
                self._write_attachment(attachment.model_copy(update={"uploaded": True, "rejected": None}))

    def mark_attachment_rejected(self, sha256: str, reason: str) -> None:
        """HQ refused this photo for good (too big, not an image, damaged here): keep the reason for the user and
        stop offering it to sync. Its bytes stay on the laptop; the records that name it are unaffected."""
        with self._mutex:
            self._check_open()
            attachment = self._attachment_index().get(self._checked_sha(sha256))
            if attachment is None:
                raise StoreError(_message(self.lang, "no_attachment", sha=sha256))
            if attachment.rejected != reason or attachment.uploaded:
                self._write_attachment(attachment.model_copy(update={"uploaded": False, "rejected": reason}))

    def rejected_attachments(self) -> list[Attachment]:
        """Photos HQ refused for good, oldest first; each one's `rejected` holds HQ's reason."""
        with self._mutex:
            self._check_open()
            refused = [a.model_copy() for a in self._attachment_index().values() if a.rejected is not None]
            return sorted(refused, key=lambda a: (a.added_at, a.sha256))

    def sync_status(self) -> SyncStatus:
        with self._mutex:
            self._check_open()
            return dataclasses.replace(self._sync_status)

    def save_sync_status(self, status: SyncStatus) -> None:
        with self._mutex:
            self._check_open()
            before = self._sync_status
            self._sync_status = dataclasses.replace(status)
            try:
                self._write_reference()
            except StoreError:
                self._sync_status = before
                raise

    def apply_pulled(
        self,
        *,
        sites: list[Site],
        checklists: list[Checklist],
        problems: list[Problem],
        cursor: str | None,
        assignments: list[Assignment] | None = None,
        replace_assignments: bool = False,
        drop_demo_sites: bool = False,
    ) -> None:
        """Apply one pull page idempotently; the cursor is written last, in reference.json with the sites.

        Checklists, then problems (HQ's fields win; events are merged by id, HQ's copy of an event wins and local
        events HQ has not seen yet are kept), then sites, assignments and the cursor in one write. A crash before
        that last write means the page is pulled again, and applying it twice changes nothing.

        HQ's pull sends changes, not the full set: each assignment changed since the cursor, an ended one with
        `active: false`. So assignments are merged by id and an inactive one is removed; None leaves them as they
        are. A pull from the start (first sync, or HQ asked for a reset) sends every assignment there is, so its
        first page passes `replace_assignments`: what the device held before and HQ no longer has goes.

        `drop_demo_sites` (the first page from the start, too) removes the demo sites shipped with the app unless
        this page brings them: once a device syncs with HQ, only HQ's sites are inspected. Inspections already made
        of a demo site are kept as they are.
        """
        with self._mutex:
            self._check_open()
            for checklist in checklists:
                self._write_checklist(checklist)
            for pulled in problems:
                merged = _merge_pulled_problem(self._problems.get(pulled.id), pulled)
                self._write_problem(merged)
                self._remember_problem(merged)
            before_sites, before_assignments, before_status = self._sites, self._assignments, self._sync_status
            merged_sites = dict(self._sites)
            if drop_demo_sites:
                merged_sites = {k: v for k, v in merged_sites.items() if not k.startswith(DEMO_SITE_PREFIX)}
            for site in sites:
                merged_sites[site.id] = _clone(site)
            self._sites = merged_sites
            if assignments is not None:
                self._assignments = _merged_assignments({} if replace_assignments else self._assignments, assignments)
            self._sync_status = dataclasses.replace(self._sync_status, cursor=cursor)
            try:
                self._write_reference()
            except StoreError:
                self._sites, self._assignments, self._sync_status = before_sites, before_assignments, before_status
                raise

    def __repr__(self) -> str:
        return f"Store({str(self.data_dir)!r}, inspections={len(self._inspections)}, problems={len(self._problems)})"


# --- pure helpers ------------------------------------------------------------------------------------------------


@contextmanager
def _gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """Loading 100,000 results creates ~200,000 long-lived objects; the cyclic GC would rescan them again and again
    while they pile up (measured: half the time of a full load). They hold no cycles, so pause it meanwhile.

    With `freeze` (at open, when the process is young and holds little garbage) the loaded records then go to the
    permanent generation, so later collections skip them instead of pausing a save on a scan of the whole store.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if collecting:
            gc.enable()


def _json_names(folder: Path) -> list[str]:
    """The record files of a folder, without backups, temp or damaged files; sorted, so ids load oldest first."""
    with os.scandir(folder) as entries:
        return sorted(e.name for e in entries if e.name.endswith(".json") and not e.name.startswith("."))


def _to_resend(sync: SyncMeta) -> SyncMeta:
    """The same rev, dirty again: HQ dedupes a resent (id, rev), so a record it holds is not copied."""
    if sync.state is SyncState.DIRTY:
        return sync
    return sync.model_copy(update={"state": SyncState.DIRTY, "message": None})


def _acknowledged(
    sync: SyncMeta, rev: str, state: SyncState, server_version: int | None, message: str | None
) -> SyncMeta | None:
    """The sync state after HQ answered for `rev`, or None when the answer changes nothing."""
    if sync.rev == rev:
        return sync.model_copy(
            update={
                "state": SyncState(state),
                "server_version": server_version if server_version is not None else sync.server_version,
                "message": message,
            }
        )
    newer_base = sync.base_rev is None or rev > sync.base_rev  # revs are UUIDv7: their text sorts by time
    if SyncState(state) is SyncState.SYNCED and sync.state is SyncState.DIRTY and newer_base:
        return sync.model_copy(
            update={
                "base_rev": rev,
                "server_version": server_version if server_version is not None else sync.server_version,
            }
        )
    return None


def _merged_assignments(held: dict[str, Assignment], pulled: list[Assignment]) -> dict[str, Assignment]:
    """The active assignments after a page of HQ's changes: a new or changed one replaces its id, an ended one goes."""
    merged = dict(held)
    for assignment in pulled:
        if assignment.active:
            merged.pop(assignment.id, None)  # re-inserted last: the order stays HQ's order of changes
            merged[assignment.id] = assignment.model_copy()
        else:
            merged.pop(assignment.id, None)
    return merged


def _merge_pulled_problem(local: Problem | None, pulled: Problem) -> Problem:
    """HQ's problem with HQ's fields; events merged by id. An event HQ knows is HQ's (with its server order),
    marked synced; a local event HQ has not seen yet is kept as it is. Order: HQ's sequence, then device time."""
    merged = _clone(pulled)
    merged.sync.state = SyncState.SYNCED
    merged.sync.message = None
    from_hq: dict[str, ProblemEvent] = {}
    for event in merged.events:
        event.sync.state = SyncState.SYNCED
        from_hq[event.id] = event
    events = list(from_hq.values())
    if local is not None:
        events.extend(_clone(e) for e in local.events if e.id not in from_hq)
    events.sort(key=lambda e: (e.server_order is None, e.server_order or 0, e.device_time, e.id))
    merged.events = events
    return merged


def _peek_format_version(payload: bytes) -> int | None:
    """store.json's format version when it is a plain integer, else None (damage, handled by the full parse)."""
    try:
        data = json.loads(payload)
        version = data["meta"]["1"]["format_version"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    return version if type(version) is int else None


def _checked(data: dict[str, Any], kind: str, tables: Iterable[str], lang: str) -> None:
    meta = data["meta"].get("1")
    if meta is None:
        raise _Damage(_message(lang, "shape", table="meta"))
    if meta.format_version != FORMAT_VERSION:
        raise _Damage(_message(lang, "version", found=meta.format_version, known=FORMAT_VERSION))
    if meta.kind != kind:
        raise _Damage(_message(lang, "kind", found=meta.kind, kind=kind))
    for table in tables:
        if "1" not in data[table]:
            raise _Damage(_message(lang, "shape", table=table))


def _validated(adapter: TypeAdapter[Any], payload: bytes, lang: str) -> Any:
    if not payload.strip():
        raise _Damage(_message(lang, "empty"))
    try:
        return adapter.validate_json(payload)
    except ValidationError as error:
        raise _Damage(_validation_reason(error)) from None


def _parse_store_meta(payload: bytes, lang: str) -> _StoreMeta:
    data = _validated(_adapter(_StoreFile), payload, lang)
    _checked(data, "store", (), lang)
    meta: _StoreMeta = data["meta"]["1"]
    return meta


def _parse_reference(payload: bytes, lang: str) -> tuple[dict[str, Site], dict[str, Assignment], SyncStatus]:
    data = _validated(_adapter(_ReferenceFile), payload, lang)
    _checked(data, "reference", (), lang)
    sites = {site.id: site for site in data["sites"].values()}
    assignments = {a.id: a for a in data.get("assignments", {}).values()}
    return sites, assignments, data["sync"].get("1") or SyncStatus()


def _parse_checklist(payload: bytes, lang: str) -> Checklist:
    data = _validated(_adapter(_ChecklistFile), payload, lang)
    _checked(data, "checklist", ("checklist",), lang)
    checklist: Checklist = data["checklist"]["1"]
    return checklist


def _parse_attachment(payload: bytes, lang: str) -> Attachment:
    data = _validated(_adapter(_AttachmentFile), payload, lang)
    _checked(data, "attachment", ("attachment",), lang)
    attachment: Attachment = data["attachment"]["1"]
    return attachment


def _section(body: bytes, table: str) -> bytes | None:
    """A table's document lines in a checksum-verified file laid out by `dumps_tinydb`, found without parsing:
    raw newlines only separate lines there (JSON escapes them inside strings). None when the table is missing."""
    marker = b'\n "' + table.encode() + b'": {'
    start = body.find(marker)
    if start < 0:
        return None
    start += len(marker)
    if body.startswith(b"}", start):
        return b""
    end = body.find(b"\n }", start)
    return body[start + 1 : end] if end > start else None


def _single_doc(section: bytes | None) -> bytes | None:
    """The JSON of a one-document table's only document (`  "1": {...}`)."""
    if section is None or not section.startswith(b'  "1": ') or b"\n" in section:
        return None
    return section[7:]


def _indexed_header(payload: bytes, kind: str, lang: str) -> tuple[bytes, bytes] | None:
    """The fast path of opening: for an intact file (its checksum matches) of the right format version and kind,
    the header document's JSON and the verified body, found without parsing the rest. None sends the file to the
    full parse; a wrong version or kind in an intact file is damage."""
    body = verified_body(payload)
    if body is None:
        return None
    meta = _single_doc(_section(body, "meta"))
    header = _single_doc(_section(body, kind))
    if meta is None or header is None:
        return None
    if meta != _META_LINES[kind]:
        try:
            parsed = _FileMeta.model_validate_json(meta)
        except ValidationError as error:
            raise _Damage(_validation_reason(error)) from None
        _checked({"meta": {"1": parsed}}, kind, (), lang)
    return header, body


def _index_inspection(payload: bytes, lang: str) -> Inspection | None:
    """Open an inspection file for the index: checksum, version, and the header validated (results left empty, to
    be validated on first use). None when the file needs the full parse."""
    found = _indexed_header(payload, "inspection", lang)
    if found is None:
        return None
    try:
        return Inspection.model_validate_json(found[0])
    except ValidationError:
        return None


def _full_inspection_parser(lang: str) -> Callable[[bytes], Inspection]:
    return lambda payload: _parse_inspection(payload, lang)


def _full_problem_parser(lang: str) -> Callable[[bytes], Problem]:
    return lambda payload: _parse_problem(payload, lang)


def _parse_inspection(payload: bytes, lang: str) -> Inspection:
    """The whole file in one Rust-side parse-and-validate: header, every item result, format version."""
    data = _validated(_adapter(_InspectionFile), payload, lang)
    _checked(data, "inspection", ("inspection",), lang)
    inspection: Inspection = data["inspection"]["1"]
    # The header was validated with no results and the results on their own; join them without validating twice.
    inspection.__dict__["results"] = {r.code: r for r in data["results"].values()}
    inspection.__pydantic_fields_set__.add("results")
    return inspection


def _parse_problem(payload: bytes, lang: str) -> Problem:
    data = _validated(_adapter(_ProblemFile), payload, lang)
    _checked(data, "problem", ("problem",), lang)
    problem: Problem = data["problem"]["1"]
    problem.__dict__["events"] = list(data["events"].values())
    problem.__pydantic_fields_set__.add("events")
    return problem


_MIGRATIONS: dict[int, Callable[[Store], None]] = {1: Store._migrate_v1_to_v2}
