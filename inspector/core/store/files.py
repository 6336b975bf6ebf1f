"""Each record's small TinyDB file: where it is, and how a change to it is written once and durably.

`RecordFiles` holds the TinyDB handles of the files written lately (each with its data in memory, so a verdict
is an upsert, not a read of the file), knows which file holds which record, and turns a failed write into a
`StoreError` naming the file. It knows nothing of what the store caches: the `Store` decides what to write.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from tinydb import Query, TinyDB
from tinydb.table import Document

from checklists.schema import Checklist
from inspector.core.records import Assignment, Attachment, Inspection, Problem, Site
from inspector.core.store import layout
from inspector.core.store.errors import MESSAGES, StoreError
from inspector.core.store.fileformat import HEADER, adapter, meta_doc
from inspector.core.store.storage import AtomicJSONStorage, atomic_write_bytes, backup_path
from inspector.core.sync_state import SyncStatus

_OPEN_FILES_KEPT = 64  # TinyDB handles (each with its file's data in memory) kept for the files written lately


class RecordFiles:
    """The data dir's record files, written through TinyDB and `AtomicJSONStorage`."""

    def __init__(self, data_dir: Path, lang: str) -> None:
        self.data_dir = data_dir
        self.lang = lang
        self._dbs: dict[Path, TinyDB] = {}
        # File name by record id, where it differs from `layout.file_name(id)` (a file renamed by hand, say).
        self.inspection_names: dict[str, str] = {}
        self.problem_names: dict[str, str] = {}
        # Goes up with every write (see `Store.revision`).
        self.writes = 0

    # where ------------------------------------------------------------------------------------------------------
    def inspection_path(self, inspection_id: str) -> Path:
        name = self.inspection_names.get(inspection_id) or layout.file_name(inspection_id)
        return self.data_dir / layout.INSPECTIONS / name

    def problem_path(self, problem_id: str) -> Path:
        name = self.problem_names.get(problem_id) or layout.file_name(problem_id)
        return self.data_dir / layout.PROBLEMS / name

    # handles ----------------------------------------------------------------------------------------------------
    def _db(self, path: Path) -> TinyDB:
        db = self._dbs.pop(path, None)
        if db is None:
            db = TinyDB(path, storage=AtomicJSONStorage)
        self._dbs[path] = db
        while len(self._dbs) > _OPEN_FILES_KEPT:
            self._dbs.pop(next(iter(self._dbs))).close()
        return db

    def forget(self, path: Path) -> None:
        """Drop the handle of a file that is being replaced or moved aside behind TinyDB's back."""
        self._dbs.pop(path, None)

    def close(self) -> None:
        for db in self._dbs.values():
            db.close()
        self._dbs.clear()

    # writing ----------------------------------------------------------------------------------------------------
    def write(self, path: Path, change: Callable[[TinyDB], object]) -> None:
        """Run TinyDB operations on one file and write it once, durably; errors become a StoreError."""
        db = self._db(path)
        storage = cast(AtomicJSONStorage, db.storage)
        self.writes += 1  # before the write: one that fails half-way may still have changed what is cached
        try:
            with storage.batch():
                change(db)
        except OSError as error:
            self._dbs.pop(path, None)
            reason = error.strerror or error
            raise StoreError(MESSAGES("write_failed", self.lang, path=path, reason=reason)) from error
        except ValueError as error:  # the file on disk no longer parses: it was changed behind our back
            self._dbs.pop(path, None)
            raise StoreError(MESSAGES("write_failed", self.lang, path=path, reason=error)) from error

    def write_part(self, path: Path, change: Callable[[TinyDB], object], whole: Callable[[], None]) -> None:
        """A write of part of a record (one result, a header, an event). Should the file have vanished behind our
        back, the part alone would make a file without the rest: `whole` writes the record from memory instead."""
        if path in self._dbs or path.exists():
            self.write(path, change)
        else:
            whole()

    def _write_whole(self, path: Path, kind: str, header: dict[str, Any], rows_table: str, rows: list[Any]) -> None:
        """A record's whole file: the meta line, the header under the record's kind, and every row of its parts."""

        def change(db: TinyDB) -> None:
            db.table("meta").upsert(Document(meta_doc(kind), doc_id=HEADER))
            db.table(kind).upsert(Document(header, doc_id=HEADER))
            table = db.table(rows_table)
            table.truncate()
            table.insert_multiple(rows)

        self.write(path, change)

    def _write_single(self, path: Path, kind: str, doc: dict[str, Any]) -> None:
        """A file of one document (a checklist, a photo's metadata) under its kind, with the meta line."""

        def change(db: TinyDB) -> None:
            db.table("meta").upsert(Document(meta_doc(kind), doc_id=HEADER))
            db.table(kind).upsert(Document(doc, doc_id=HEADER))

        self.write(path, change)

    def write_inspection(self, inspection: Inspection) -> None:
        header = inspection.model_dump(mode="json", exclude={"results"})
        results = [r.model_dump(mode="json") for r in inspection.results.values()]
        self._write_whole(self.inspection_path(inspection.id), "inspection", header, "results", results)

    def write_problem(self, problem: Problem) -> None:
        header = problem.model_dump(mode="json", exclude={"events"})
        events = [e.model_dump(mode="json") for e in problem.events]
        self._write_whole(self.problem_path(problem.id), "problem", header, "events", events)

    def write_result(self, updated: Inspection, code: str) -> None:
        """One item's result and the inspection's header: the hot path, two upserts in one write."""
        header = updated.model_dump(mode="json", exclude={"results"})
        doc = updated.results[code].model_dump(mode="json")

        def change(db: TinyDB) -> None:
            db.table("results").upsert(doc, Query().code == code)
            db.table("inspection").upsert(Document(header, doc_id=HEADER))

        self.write_part(self.inspection_path(updated.id), change, lambda: self.write_inspection(updated))

    def write_inspection_header(self, updated: Inspection, whole: Callable[[], None]) -> None:
        """Only the inspection's header (its results are unchanged); `whole` when the file is gone."""
        header = updated.model_dump(mode="json", exclude={"results"})
        self.write_part(
            self.inspection_path(updated.id),
            lambda db: db.table("inspection").upsert(Document(header, doc_id=HEADER)),
            whole,
        )

    def write_problem_header(self, updated: Problem) -> None:
        """Only the problem's header (its events are unchanged)."""
        header = updated.model_dump(mode="json", exclude={"events"})
        self.write_part(
            self.problem_path(updated.id),
            lambda db: db.table("problem").upsert(Document(header, doc_id=HEADER)),
            lambda: self.write_problem(updated),
        )

    def write_event(self, updated: Problem, event_id: str) -> None:
        """One event's line in its problem's file."""
        doc = next(e for e in updated.events if e.id == event_id).model_dump(mode="json")
        self.write_part(
            self.problem_path(updated.id),
            lambda db: db.table("events").upsert(doc, Query().id == event_id),
            lambda: self.write_problem(updated),
        )

    def write_reference(self, sites: list[Site], assignments: list[Assignment], status: SyncStatus) -> None:
        """reference.json: the sites, the assignments and the sync status, in one write."""
        site_docs = [s.model_dump(mode="json") for s in sites]
        assignment_docs = [a.model_dump(mode="json") for a in assignments]
        status_doc = adapter(SyncStatus).dump_python(status, mode="json")

        def change(db: TinyDB) -> None:
            db.table("meta").upsert(Document(meta_doc("reference"), doc_id=HEADER))
            table = db.table("sites")
            table.truncate()
            table.insert_multiple(site_docs)
            assigned = db.table("assignments")
            assigned.truncate()
            assigned.insert_multiple(assignment_docs)
            db.table("sync").upsert(Document(status_doc, doc_id=HEADER))

        self.write(self.data_dir / layout.REFERENCE_FILE, change)

    def write_checklist(self, checklist: Checklist) -> None:
        path = self.data_dir / layout.CHECKLISTS / layout.checklist_file_name(checklist)
        self._write_single(path, "checklist", checklist.model_dump(mode="json"))

    def write_attachment(self, attachment: Attachment) -> None:
        path = self.data_dir / layout.ATTACHMENTS / f"{attachment.sha256}.json"
        self._write_single(path, "attachment", attachment.model_dump(mode="json"))

    def keep_backup(self, path: Path) -> None:
        """Make `<name>.bak` a copy of what the file holds now. A submit keeps its submitted version this way, so a
        damaged submitted inspection comes back submitted, not as the draft its write replaced. Best effort: the
        save is already durable, and without this copy the older backup still serves."""
        with suppress(OSError):
            atomic_write_bytes(backup_path(path), path.read_bytes())

    def write_store_meta(self, device_id: str, created_at: datetime) -> None:
        """Write store.json. It is written once, so it gets its backup right away rather than on a second write:
        the device id must survive a damaged store.json."""
        path = self.data_dir / layout.STORE_FILE
        doc = {**meta_doc("store"), "device_id": device_id, "created_at": created_at.isoformat()}
        self.write(path, lambda db: db.table("meta").upsert(Document(doc, doc_id=HEADER)))
        if not backup_path(path).exists():
            atomic_write_bytes(backup_path(path), path.read_bytes())
