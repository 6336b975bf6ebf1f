"""The `Store`: every verdict on disk before the screen says it is recorded; what the app and sync ask of the
laptop's data.

Over 500 lines because it is the store's whole public surface in one class (callers, and the narrow protocols
the reports and the sync client type against, see one object); the work behind it is composed from helpers,
each with one job: `RecordFiles` writes, `Recovery` reads, `Photos` keeps attachments, `rederive` rebuilds a lost
problem, `identity` opens store.json (and migrates), `fileformat` parses and `inspector.core.sync_state` holds the
sync rules.

Records come back from the single-record getters (`inspection`, `problem`, `site`, `draft_for`, `record_result`,
`pending`) as copies the caller owns. The list getters (`inspections`, `problems`, `sites`) return the store's
current records without copying, so a list of 100,000 results stays cheap: read them, never change them in place.
The store itself never changes a record in place: each save replaces the cached object (copy-on-write).

The data dir's layout is described in `layout.py`.
"""

from __future__ import annotations

import dataclasses
import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout
from pydantic import BaseModel

from checklists.schema import Checklist
from inspector.core.ids import utcnow
from inspector.core.records import (
    Assignment,
    Attachment,
    Inspection,
    InspectionStatus,
    ItemResult,
    Problem,
    Site,
    SyncMeta,
    SyncState,
)
from inspector.core.store import identity, layout
from inspector.core.store.errors import MESSAGES, StoreError, StoreLocked
from inspector.core.store.fileformat import (
    Damage,
    index_inspection,
    parse_checklist,
    parse_inspection,
    parse_problem,
    parse_reference,
    says_submitted,
)
from inspector.core.store.files import RecordFiles
from inspector.core.store.photos import Photos
from inspector.core.store.recovery import Recovery, record_id
from inspector.core.store.rederive import problem_from_submission
from inspector.core.store.storage import settle_temp_files
from inspector.core.sync_state import (
    Pending,
    SyncStatus,
    acknowledged,
    merge_pulled_assignments,
    merge_pulled_problem,
    merge_pulled_sites,
    sendable_problems,
    to_resend,
)

_LOCK_TIMEOUT_S = 0.3  # long enough to ride out a closing instance, short enough that nobody waits on a hang

_M = TypeVar("_M", bound=BaseModel)


def _rev(record: Inspection | Problem) -> str:
    """Which version of a record a file holds: a backup with the same rev holds the same save."""
    return record.sync.rev


def _restored_key(was_submitted: bool) -> Callable[[Inspection], str]:
    """The note of an inspection restored from its backup. A submitted one never changes, so a submitted backup
    lost nothing; one whose backup is only its draft has had its submission undone, and the user must hear exactly
    that."""

    def key(restored: Inspection) -> str:
        if restored.is_submitted:
            return "submitted_restored"  # immutable once submitted: its backup is the same submission
        return "submission_undone" if was_submitted else "damaged_restored"

    return key


def _clone(record: _M) -> _M:
    """A deep copy the caller owns; validating a dump is ~5x faster than `model_copy(deep=True)` here."""
    return type(record).model_validate(record.model_dump())


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


class Store:
    """An open data dir. Methods that change data return only once the change is durable on disk."""

    data_dir: Path
    device_id: str

    def __init__(self, data_dir: Path, lock: FileLock, lang: str) -> None:
        """Use `Store.open`: it takes the lock, migrates, recovers and loads."""
        self.data_dir = data_dir
        self.lang = lang
        self.device_id = ""
        self._lock = lock
        self._mutex = threading.RLock()
        self._closed = False
        self._files = RecordFiles(data_dir, lang)
        self._recovery = Recovery(lang, self._files.forget)
        self._photos = Photos(data_dir, lang, self._files, self._recovery)
        self._inspections: dict[str, Inspection] = {}
        self._inspection_order: list[str] | None = None  # ids, oldest first; None when it needs sorting again
        self._problems: dict[str, Problem] = {}
        # Opening validates each inspection's header only; its item results are validated on first use. These are
        # the inspections whose cached object is still that header (see `index_inspection`).
        self._partial_inspections: set[str] = set()
        self._event_owner: dict[str, str] = {}
        self._sites: dict[str, Site] = {}
        self._assignments: dict[str, Assignment] = {}  # the active ones, by HQ's id
        self._sync_status = SyncStatus()
        self._checklists: dict[str, Checklist] = {}

    @property
    def recovery_notes(self) -> list[str]:
        """One line per damaged file moved aside (or file skipped, or data migrated), for the user."""
        return self._recovery.notes

    @property
    def revision(self) -> int:
        """Goes up with every write. A screen that drew the records at revision N need not read them again while
        the store is still at N (a help screen or a palette closing over it changes nothing)."""
        return self._files.writes

    def _error(self, key: str, /, **values: object) -> StoreError:
        return StoreError(MESSAGES(key, self.lang, **values))

    # opening --------------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, data_dir: Path, *, lang: str = "zh") -> Store:
        """Lock, migrate, recover and load. Raises StoreLocked or StoreError, never a bare exception."""
        data_dir = Path(data_dir).expanduser()
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(MESSAGES("dir_failed", lang, dir=data_dir, reason=error.strerror or error)) from error
        lock = FileLock(data_dir / layout.LOCK_FILE, timeout=_LOCK_TIMEOUT_S, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise StoreLocked(MESSAGES("locked", lang, dir=data_dir)) from None
        except OSError as error:
            raise StoreError(MESSAGES("lock_failed", lang, dir=data_dir, reason=error.strerror or error)) from error
        store = cls(data_dir, lock, lang)
        try:
            with _gc_paused(freeze=True):
                store._load()
        except StoreError:
            lock.release()
            raise
        except (OSError, ValueError) as error:
            lock.release()
            raise StoreError(MESSAGES("open_failed", lang, dir=data_dir, reason=error)) from error
        return store

    def close(self) -> None:
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            self._files.close()
            self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _load(self) -> None:
        identity.refuse_newer_format(self.data_dir, self.lang)
        for folder in layout.FOLDERS:
            (self.data_dir / folder).mkdir(exist_ok=True)
        settle_temp_files(self.data_dir)
        self.device_id, rebuilt = identity.open_store_file(self.data_dir, self._files, self._recovery)
        self._load_reference()
        self._load_checklists()
        self._load_inspections()
        self._load_problems()
        self._photos.check()
        if rebuilt:
            self.device_id = identity.adopt_device_id(
                self.device_id, self._inspections.values(), self._files, self._recovery
            )

    def _load_reference(self) -> None:
        path = self.data_dir / layout.REFERENCE_FILE
        lang = self.lang
        loaded = self._recovery.load_file(path, lambda b: parse_reference(b, lang), "reference", "reference_lost")
        if loaded is not None:
            self._sites, self._assignments, self._sync_status = loaded

    def _load_checklists(self) -> None:
        folder = self.data_dir / layout.CHECKLISTS
        settle_temp_files(folder)
        lang = self.lang
        for path in sorted(folder.glob("*.json")):
            checklist = self._recovery.load_file(path, lambda b: parse_checklist(b, lang), "checklist", "damaged_lost")
            if checklist is not None:
                self._checklists[checklist.key] = checklist

    def _load_inspections(self) -> None:
        lang = self.lang
        folder = self.data_dir / layout.INSPECTIONS
        recovery = self._recovery

        def parse(payload: bytes) -> Inspection:
            return parse_inspection(payload, lang)

        for name, payload in recovery.read_folder(folder):
            partial = False
            restored_key = _restored_key(says_submitted(payload))
            try:
                inspection = index_inspection(payload, lang)
            except Damage as damage:  # intact, but the wrong format version or kind
                inspection = recovery.recover(
                    folder / name, parse, "inspection", damage.reason, restored_key=restored_key
                )
            else:
                if inspection is None:  # not intact as the store writes it: damaged, or edited by hand
                    inspection = recovery.parsed_or_recovered(
                        folder / name, payload, parse, "inspection", version=_rev, restored_key=restored_key
                    )
                else:
                    partial = True
            if inspection is None:
                continue
            self._inspections[inspection.id] = inspection
            if partial:
                self._partial_inspections.add(inspection.id)
            if name != layout.file_name(inspection.id):
                self._files.inspection_names[inspection.id] = name

    def _load_problems(self) -> None:
        """Problems are parsed whole at open: a problem file is small, and measured here the full Rust-side
        parse beat any partial reading of it. One lost with its file is brought back afterwards (`_bring_back`)."""
        folder = self.data_dir / layout.PROBLEMS
        lang = self.lang
        lost: list[tuple[Path, str, Path]] = []
        for name, payload in self._recovery.read_folder(folder):
            path = folder / name

            def on_lost(reason: str, aside: Path, path: Path = path) -> None:
                lost.append((path, reason, aside))

            problem = self._recovery.parsed_or_recovered(
                path, payload, lambda b: parse_problem(b, lang), "problem", version=_rev, on_lost=on_lost
            )
            if problem is None:
                continue
            self._remember_problem(problem)
            if name != layout.file_name(problem.id):
                self._files.problem_names[problem.id] = name
        for path, reason, aside in lost:
            self._bring_back_problem(path, reason, aside)

    def _bring_back_problem(self, path: Path, reason: str, aside: Path) -> None:
        """A problem file damaged without a usable backup. Unsynced, it is derived again from its inspection
        (`rederive`; a draft's too, left by a submit cut short, which the re-submit rewrites). Otherwise HQ holds
        it, so the pull cursor goes back to the start and the next sync brings it back (a pull from the start
        applies every problem HQ has, idempotently)."""
        problem_id = record_id(path)
        unsynced = (
            full
            for i in self._ordered_ids()
            if self._inspections[i].sync.state is not SyncState.SYNCED
            and (full := self._full_inspection(i)) is not None
        )
        found = problem_from_submission(
            problem_id,
            unsynced,
            lambda i: self._checklists.get(f"{i.checklist_id}@{i.checklist_version}"),
            lambda i: self._sites.get(i.site_id),
        )
        what = self._recovery.what("problem")
        if found is not None:
            inspection, problem = found
            if layout.file_name(problem.id) != path.name:
                self._files.problem_names[problem.id] = path.name
            self._files.write_problem(problem)
            self._remember_problem(problem)
            self._recovery.note(
                "problem_rederived",
                what=what,
                path=path,
                id=problem_id,
                reason=reason,
                aside=aside.name,
                inspection=inspection.id,
            )
            return
        if self._sync_status.cursor is not None:
            self._sync_status = dataclasses.replace(self._sync_status, cursor=None)
            self._write_reference()
        self._recovery.note("problem_refetch", what=what, path=path, id=problem_id, reason=reason, aside=aside.name)

    def _remember_problem(self, problem: Problem) -> None:
        self._problems[problem.id] = problem
        for event in problem.events:
            self._event_owner[event.id] = problem.id

    def _full_inspection(self, inspection_id: str) -> Inspection | None:
        """The stored inspection with its results validated; a body found damaged now is recovered like at open."""
        if inspection_id not in self._partial_inspections:
            return self._inspections.get(inspection_id)
        self._partial_inspections.discard(inspection_id)
        lang = self.lang
        path = self._files.inspection_path(inspection_id)
        restored_key = _restored_key(self._inspections[inspection_id].is_submitted)
        full = self._recovery.reread(path, lambda b: parse_inspection(b, lang), "inspection", restored_key)
        if full is None or full.id != inspection_id:
            self._inspections.pop(inspection_id, None)
            self._inspection_order = None
            return None
        self._cache_inspection(full, reorder=full.started_at != self._inspections[inspection_id].started_at)
        return full

    def _check_open(self) -> None:
        if self._closed:
            raise self._error("closed")

    def _write_reference(self) -> None:
        self._files.write_reference(list(self._sites.values()), list(self._assignments.values()), self._sync_status)

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
                raise self._error("no_site", id=site_id)
            return _clone(site)

    def put_sites(self, sites: Iterable[Site], *, replace: bool = False) -> None:
        """Upsert sites by id; with `replace` the given sites become the whole set."""
        with self._mutex:
            self._check_open()
            before = self._sites
            merged: dict[str, Site] = {} if replace else dict(before)
            for site in sites:
                merged[site.id] = _clone(site)
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
        self._files.write_checklist(checklist)
        self._checklists[checklist.key] = checklist  # frozen model: safe to share

    def checklists(self) -> list[Checklist]:
        """Every checklist version this laptop holds: HQ's published ones as pulled, and the pinned copies."""
        with self._mutex:
            self._check_open()
            return list(self._checklists.values())

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
            raise self._error("no_inspection", id=inspection_id)
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
                raise self._error("submitted", id=inspection.id)
            self._check_result_keys(inspection)
            saved = _clone(inspection)
            saved.sync.touch()
            self._files.write_inspection(saved)
            inspection.sync = _clone(saved.sync)
            self._cache_inspection(saved, reorder=True)

    def _check_result_keys(self, inspection: Inspection) -> None:
        for key, result in inspection.results.items():
            if key != result.code:
                raise self._error("key_mismatch", id=inspection.id, key=key, code=result.code)

    def record_result(self, inspection_id: str, result: ItemResult, *, current_code: str | None) -> Inspection:
        """The hot path: one verdict (or its evidence) into a draft, plus where the walk stands.

        One TinyDB upsert of the item's document and one of the header (with the new sync rev), written together
        in one atomic, fsynced replace of the inspection's small file.
        """
        with self._mutex:
            self._check_open()
            stored = self._stored_inspection(inspection_id)
            if stored.is_submitted:
                raise self._error("submitted", id=inspection_id)
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
            self._files.write_result(updated, result.code)
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
            problem = self._problems.get(problem_id)
            if problem is None:
                raise self._error("no_problem", id=problem_id)
            return _clone(problem)

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
        self._files.write_problem(saved)
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
                raise self._error("submitted", id=inspection.id)
            self._check_result_keys(inspection)
            for problem in problems:
                self._save_problem(problem, mark_dirty=True)
            saved = _clone(inspection)
            now = utcnow()
            saved.status = InspectionStatus.SUBMITTED
            saved.submitted_at = saved.submitted_at or now
            saved.finished_at = saved.finished_at or saved.submitted_at
            saved.sync.touch()
            self._files.write_inspection(saved)
            self._files.keep_backup(self._files.inspection_path(saved.id))
            inspection.status = saved.status
            inspection.submitted_at = saved.submitted_at
            inspection.finished_at = saved.finished_at
            inspection.sync = _clone(saved.sync)
            self._cache_inspection(saved, reorder=True)

    # attachments --------------------------------------------------------------------------------------------------
    def add_attachment(self, source: Path) -> Attachment:
        """Copy a photo in under its sha256, typed by its bytes. Raises StoreError naming the file when it is
        missing, unreadable, or not a photo of an accepted type (whatever its suffix says)."""
        with self._mutex:
            self._check_open()
            return self._photos.add(Path(source).expanduser())

    def follow_photo_gps(self, keep: bool) -> None:
        """HQ's rule for upload copies (its `photos_keep_gps` setting, sent with every pull): this laptop's photo
        settings follow it, so the next copies keep or strip the location as HQ asked."""
        from inspector.core.photo_files import load_settings, set_keep_gps

        if load_settings(self.data_dir).keep_gps != keep:
            set_keep_gps(self.data_dir, keep)

    def add_photo(self, source: Path, *, keep_gps: bool = False) -> Attachment:
        """Attach a photo as evidence: the original is kept, and the copy HQ gets (upright, ≤ 2048 px, JPEG,
        without GPS unless `keep_gps`: `upload_copy.py`) is stored beside it; returns the copy's metadata, whose
        `original` names the original. A photo Pillow cannot decode (a HEIC) is its own upload copy.

        Making the copy takes a few hundred milliseconds and is done outside the store's lock, so a verdict saved
        meanwhile from the UI thread does not wait for it; call this from a worker thread."""
        from inspector.core.upload_copy import MIME, CopyError, make_upload_copy

        original = self.add_attachment(source)
        if original.upload_copy is not None:
            with self._mutex:
                self._check_open()
                known = self._photos.index().get(original.upload_copy)
                if known is not None and self._photos.path(known.sha256).is_file():
                    return known.model_copy()
        try:
            copy = make_upload_copy(self._photos.path(original.sha256), keep_gps=keep_gps)
        except CopyError:
            return original
        with self._mutex:
            self._check_open()
            return self._photos.add_copy(original, copy.data, MIME)

    def attachment_path(self, sha256: str) -> Path:
        return self._photos.path(sha256)

    def attachment(self, sha256: str) -> Attachment:
        with self._mutex:
            self._check_open()
            return self._photos.stored(sha256).model_copy()

    def mark_attachment_uploaded(self, sha256: str) -> None:
        with self._mutex:
            self._check_open()
            attachment = self._photos.stored(sha256)
            if not attachment.uploaded or attachment.rejected is not None:
                self._photos.write(attachment.model_copy(update={"uploaded": True, "rejected": None}))

    def mark_attachment_missing(self, sha256: str) -> None:
        """HQ says it lacks this photo (a restored server, a lost upload): offer it again, whatever was believed."""
        with self._mutex:
            self._check_open()
            attachment = self._photos.stored(sha256)
            if attachment.uploaded:
                self._photos.write(attachment.model_copy(update={"uploaded": False}))

    def mark_attachment_rejected(self, sha256: str, reason: str) -> None:
        """HQ refused this photo for good (too big, not an image, damaged here): keep the reason for the user and
        stop offering it to sync. Its bytes stay on the laptop; the records that name it are unaffected."""
        with self._mutex:
            self._check_open()
            attachment = self._photos.stored(sha256)
            if attachment.rejected != reason or attachment.uploaded:
                self._photos.write(attachment.model_copy(update={"uploaded": False, "rejected": reason}))

    def rejected_attachments(self) -> list[Attachment]:
        """Photos HQ refused for good, oldest first; each one's `rejected` holds HQ's reason."""
        with self._mutex:
            self._check_open()
            refused = [a.model_copy() for a in self._photos.index().values() if a.rejected is not None]
            return sorted(refused, key=lambda a: (a.added_at, a.sha256))

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
            problems = sendable_problems(self.problems(), headers)
            return Pending(
                inspections=inspections,
                problems=[_clone(p) for p in problems if p.sync.state is dirty],
                events=[_clone(e) for p in problems for e in p.events if e.sync.state is dirty],
                attachments=[  # an original whose upload copy goes in its place stays on the laptop
                    a.model_copy()
                    for a in self._photos.index().values()
                    if not a.uploaded and a.rejected is None and a.upload_copy is None
                ],
            )

    def pending_count(self) -> int:
        """How many records `pending()` would send, counted on the headers: the sync badge asks for it after every
        change, and must not validate and copy every unsynced result to get a number."""
        with self._mutex:
            self._check_open()
            dirty = SyncState.DIRTY
            inspections = sum(1 for h in self._inspections.values() if h.is_submitted and h.sync.state is dirty)
            problems = sendable_problems(self.problems(), self._inspections)
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
                    raise self._error("no_inspection", id=record_id)
                sync = acknowledged(inspection.sync, rev, state, server_version, message)
                if sync is not None:
                    self._write_inspection_sync(inspection, sync)
            elif kind == "problem":
                problem = self._problems.get(record_id)
                if problem is None:
                    raise self._error("no_problem", id=record_id)
                sync = acknowledged(problem.sync, rev, state, server_version, message)
                if sync is not None:
                    updated_problem = problem.model_copy(update={"sync": sync})
                    self._files.write_problem_header(updated_problem)
                    self._problems[record_id] = updated_problem
            elif kind == "event":
                self._mark_event_synced(record_id, rev, state, server_version, message)
            else:
                raise self._error("unknown_kind", kind=kind)

    def _mark_event_synced(
        self, event_id: str, rev: str, state: SyncState, server_version: int | None, message: str | None
    ) -> None:
        owner_id = self._event_owner.get(event_id)
        owner = self._problems.get(owner_id) if owner_id is not None else None
        index = next((i for i, e in enumerate(owner.events) if e.id == event_id), None) if owner else None
        if owner is None or index is None:
            raise self._error("no_event", id=event_id)
        events = list(owner.events)
        sync = acknowledged(events[index].sync, rev, state, server_version, message)
        if sync is None:
            return
        events[index] = events[index].model_copy(update={"sync": sync})
        updated_owner = owner.model_copy(update={"events": events})
        self._files.write_event(updated_owner, event_id)
        self._remember_problem(updated_owner)

    def _write_inspection_sync(self, inspection: Inspection, sync: SyncMeta) -> None:
        """Rewrite only the inspection's header with a new sync state: its results are unchanged."""
        record_id = inspection.id
        updated = inspection.model_copy(update={"sync": sync})

        def whole() -> None:
            if record_id in self._partial_inspections:  # its results were only on disk, and the file is gone
                raise self._error("no_inspection", id=record_id)
            self._files.write_inspection(updated)

        self._files.write_inspection_header(updated, whole)
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
                    self._write_inspection_sync(inspection, to_resend(inspection.sync))
                    marked += 1
            for problem in list(self._problems.values()):
                stale = [e for e in problem.events if e.sync.state is not SyncState.DIRTY]
                if problem.sync.state is SyncState.DIRTY and not stale:
                    continue
                updated = problem.model_copy(
                    update={
                        "sync": to_resend(problem.sync),
                        "events": [e.model_copy(update={"sync": to_resend(e.sync)}) for e in problem.events],
                    }
                )
                self._files.write_problem(updated)
                self._remember_problem(updated)
                marked += len(stale) + (problem.sync.state is not SyncState.DIRTY)
            for attachment in list(self._photos.index().values()):
                if attachment.uploaded:
                    self._photos.write(attachment.model_copy(update={"uploaded": False}))
                    marked += 1
            return marked

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

        Checklists, then problems (`merge_pulled_problem`), then sites, assignments and the cursor in one write. A
        crash before that last write means the page is pulled again, and applying it twice changes nothing.

        Assignments are merged by id (`merge_pulled_assignments`); None leaves them as they are. A pull from the
        start (first sync, or HQ asked for a reset) sends every assignment there is, so its first page passes
        `replace_assignments`: what the device held before and HQ no longer has goes. `drop_demo_sites` (the first
        page from the start, too) removes the demo sites unless this page brings them (`merge_pulled_sites`).
        Inspections already made of a demo site are kept as they are.
        """
        with self._mutex:
            self._check_open()
            for checklist in checklists:
                self._write_checklist(checklist)
            for pulled in problems:
                merged = merge_pulled_problem(self._problems.get(pulled.id), pulled)
                self._files.write_problem(merged)
                self._remember_problem(merged)
            before_sites, before_assignments, before_status = self._sites, self._assignments, self._sync_status
            self._sites = merge_pulled_sites(self._sites, sites, drop_demo_sites=drop_demo_sites)
            if assignments is not None:
                held = {} if replace_assignments else self._assignments
                self._assignments = merge_pulled_assignments(held, assignments)
            self._sync_status = dataclasses.replace(self._sync_status, cursor=cursor)
            try:
                self._write_reference()
            except StoreError:
                self._sites, self._assignments, self._sync_status = before_sites, before_assignments, before_status
                raise

    def __repr__(self) -> str:
        return f"Store({str(self.data_dir)!r}, inspections={len(self._inspections)}, problems={len(self._problems)})"
