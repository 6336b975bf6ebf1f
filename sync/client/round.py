"""One sync round: photos first, then the pending records in batches, then pulls until HQ has nothing more.

Every answer is written to the store as it arrives, so a cut connection loses no work: the next round resends, and
HQ answers `duplicate` for what it already holds.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from checklists.schema import Checklist
from inspector.core.ids import new_id, utcnow
from inspector.core.images import IMAGE_TYPES
from inspector.core.records import Assignment, Attachment, Inspection, Problem, ProblemEvent, Site, SyncState
from inspector.core.sync_state import Pending, SyncStatus
from sync.client.errors import SyncError
from sync.client.http import REQUEST_DEADLINE_S, ROUND_DEADLINE_S, HQClient
from sync.client.messages import TEXT
from sync.client.report import SyncReport
from sync.credentials import Credentials
from sync.protocol import (
    MAX_ATTACHMENT_BYTES,
    MAX_BATCH_ITEMS,
    MAX_PUSH_BYTES,
    SERVER_FIELDS,
    ItemStatus,
    PushResult,
)

if TYPE_CHECKING:
    import httpx

PUSH_BUDGET_BYTES = MAX_PUSH_BYTES - 512 * 1024  # headroom for the envelope
MAX_PHOTO_DOWNLOADS = 200  # per round: before-photos of pulled problems, for 复查 on site


class SyncStore(Protocol):
    """What `sync_once` needs of inspector.core.store.Store (kept narrow so tests can see the contract)."""

    def pending(self) -> Pending: ...
    def mark_synced(
        self, kind: str, record_id: str, rev: str, state: SyncState, *, server_version: int | None, message: str | None
    ) -> None: ...
    def mark_attachment_uploaded(self, sha256: str) -> None: ...
    def mark_attachment_missing(self, sha256: str) -> None: ...
    def mark_attachment_rejected(self, sha256: str, reason: str) -> None: ...
    def attachment_path(self, sha256: str) -> Path: ...
    def attachment(self, sha256: str) -> Attachment: ...
    def add_attachment(self, source: Path) -> Attachment: ...
    def sync_status(self) -> SyncStatus: ...
    def save_sync_status(self, status: SyncStatus) -> None: ...
    def mark_all_unsynced(self) -> int: ...
    def follow_photo_gps(self, keep: bool) -> None: ...
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
    ) -> None: ...


def push_item_json(kind: str, record: Inspection | Problem | ProblemEvent) -> bytes:
    """One push item as JSON bytes; `data` is the record without the fields HQ sets (protocol.py), encoded once."""
    head = (
        f'{{"kind":{json.dumps(kind)},"id":{json.dumps(record.id)},"rev":{json.dumps(record.sync.rev)},'
        f'"base_rev":{json.dumps(record.sync.base_rev)},"data":'
    )
    return head.encode("utf-8") + record.model_dump_json(exclude=set(SERVER_FIELDS[kind])).encode("utf-8") + b"}"


def batches(items: Sequence[tuple[str, str, str, bytes]]) -> list[list[tuple[str, str, str, bytes]]]:
    """Split (kind, id, rev, json) items into pushes of at most MAX_BATCH_ITEMS items and PUSH_BUDGET_BYTES."""
    out: list[list[tuple[str, str, str, bytes]]] = []
    current: list[tuple[str, str, str, bytes]] = []
    size = 0
    for item in items:
        if current and (len(current) >= MAX_BATCH_ITEMS or size + len(item[3]) + 1 > PUSH_BUDGET_BYTES):
            out.append(current)
            current, size = [], 0
        current.append(item)
        size += len(item[3]) + 1
    if current:
        out.append(current)
    return out


def batch_body(batch: Sequence[tuple[str, str, str, bytes]], batch_id: str | None = None) -> bytes:
    return (
        b'{"batch_id":'
        + json.dumps(batch_id or new_id()).encode()
        + b',"items":['
        + b",".join(i[3] for i in batch)
        + b"]}"
    )


_STATE = {"synced": SyncState.SYNCED, "conflict": SyncState.CONFLICT, "rejected": SyncState.REJECTED}


async def sync_once(
    store: SyncStore,
    credentials: Credentials,
    *,
    client: httpx.AsyncClient | None = None,
    lang: str = "zh",
    clock: Callable[[], datetime] = utcnow,
    request_deadline_s: float = REQUEST_DEADLINE_S,
    round_deadline_s: float = ROUND_DEADLINE_S,
) -> SyncReport:
    """One push/pull round. Never raises for network or HQ trouble: the report says what happened.

    Each request has its own deadline (http.py); the round has one too, so that many slow requests cannot hold a
    laptop for an afternoon. Everything is written as it arrives, so a round stopped by its deadline loses nothing."""
    report = SyncReport()
    hq = HQClient(
        credentials.url, credentials.token, client=client, lang=lang, clock=clock, deadline_s=request_deadline_s
    )
    try:
        async with asyncio.timeout(round_deadline_s):
            _forget_other_hq(store, credentials)
            await _push_pending(hq, store, report, lang)
            if await _pull(hq, store, report, lang):  # HQ lost what it had: what it now lacks goes in this round
                await _push_pending(hq, store, report, lang)
    except SyncError as exc:
        report.error = exc.message
        report.unreachable = exc.unreachable
    except TimeoutError:
        report.error = TEXT("round_deadline", lang, minutes=max(1, round(round_deadline_s / 60)))
        report.unreachable = True
    finally:
        report.skew_s = hq.skew_s
        await hq.aclose()
        _save_status(store, credentials, report, clock)
    return report


def _forget_other_hq(store: SyncStore, credentials: Credentials) -> None:
    """After enrolling with another HQ: it holds nothing of this laptop's, and the cursor is the old HQ's. Offer
    every record again (an HQ that has one answers `duplicate`) and pull from the start."""
    status = store.sync_status()
    if status.server_url is None or status.server_url == credentials.url:
        return
    store.mark_all_unsynced()
    status.cursor = None
    status.server_url = credentials.url  # saved now: a round cut short does not mark everything again
    store.save_sync_status(status)


async def _push_pending(hq: HQClient, store: SyncStore, report: SyncReport, lang: str) -> None:
    pending = store.pending()
    await _upload_photos(hq, store, [a.sha256 for a in pending.attachments], report, lang)
    await _push(hq, store, pending, report, lang)


def _save_status(store: SyncStore, credentials: Credentials, report: SyncReport, clock: Callable[[], datetime]) -> None:
    status = store.sync_status()  # read again: apply_pulled has moved the cursor
    status.server_url = credentials.url
    if report.skew_s is not None:
        status.clock_offset_s = report.skew_s
    if report.ok:
        status.last_success = clock()
        status.last_error = None
    else:
        status.last_error = report.error
    store.save_sync_status(status)


# HQ's answers to a photo upload that resending the same bytes cannot change: too large, not an image of its type,
# malformed. Anything else (auth and protocol end the round; 5xx, 404, 409, 429 ...) is tried again next round.
_FINAL_PHOTO_STATUSES = (413, 415, 422)


async def _upload_photos(
    hq: HQClient, store: SyncStore, hashes: Sequence[str], report: SyncReport, lang: str
) -> set[str]:
    """Offer each photo to HQ; returns the ones HQ has confirmed it holds."""
    confirmed: set[str] = set()
    for sha in dict.fromkeys(hashes):
        attachment = store.attachment(sha)
        if attachment.rejected is not None:  # refused for good in an earlier round: reported then, not sent again
            continue
        if attachment.size > MAX_ATTACHMENT_BYTES:  # HQ would refuse it, possibly by cutting the connection mid-upload
            reason = TEXT("photo_too_big", lang, sha=sha, size=attachment.size, limit=MAX_ATTACHMENT_BYTES)
            _reject_photo(store, report, sha, reason)
            continue
        if not await hq.has_attachment(sha):  # asked first: after a re-enrollment HQ mostly has them already
            try:
                data = store.attachment_path(sha).read_bytes()
            except OSError:
                report.rejected[sha] = TEXT("photo_missing", lang, sha=sha)
                continue
            try:
                await hq.put_attachment(sha, data, attachment.mime)
            except SyncError as exc:
                if exc.unreachable or exc.status in (401, 403, 426):
                    raise
                if _refused_for_good(exc, sha, data):
                    reason = exc.message if exc.code != "hash_mismatch" else TEXT("photo_damaged", lang, sha=sha)
                    _reject_photo(store, report, sha, reason)
                else:
                    report.rejected[sha] = exc.message  # refused this time; the records still go, the photo next round
                continue
            report.photos_uploaded += 1
        store.mark_attachment_uploaded(sha)
        confirmed.add(sha)
    return confirmed


def _refused_for_good(exc: SyncError, sha: str, data: bytes) -> bool:
    """Whether resending these bytes cannot help. A hash mismatch is final only when the bytes on this laptop are
    themselves wrong; when they match their name, the upload was damaged on the way and is worth another try."""
    if exc.status not in _FINAL_PHOTO_STATUSES:
        return False
    if exc.code == "hash_mismatch":
        return hashlib.sha256(data).hexdigest() != sha
    return True


def _reject_photo(store: SyncStore, report: SyncReport, sha: str, reason: str) -> None:
    store.mark_attachment_rejected(sha, reason)
    report.rejected[sha] = reason


async def _push(hq: HQClient, store: SyncStore, pending: Pending, report: SyncReport, lang: str) -> None:
    items: list[tuple[str, str, str, bytes]] = []
    for kind, records in _kinds(pending):
        for record in records:
            data = push_item_json(kind, record)
            if len(data) > PUSH_BUDGET_BYTES:
                reason = TEXT("too_big_record", lang, size=len(data))
                store.mark_synced(
                    kind, record.id, record.sync.rev, SyncState.REJECTED, server_version=None, message=reason
                )
                report.rejected[record.id] = reason
                continue
            items.append((kind, record.id, record.sync.rev, data))
    named = {(kind, record.id): set(photos_named(record)) for kind, records in _kinds(pending) for record in records}
    held: list[tuple[PushResult, set[str]]] = []  # results not marked yet: HQ lacks photos they name
    for batch in batches(items):
        answer = await hq.push(batch_body(batch))
        sent = {(kind, record_id, rev) for kind, record_id, rev, _ in batch}
        foreign = [r.id for r in answer.results if (r.kind, r.id, r.rev) not in sent]
        if foreign:  # checked before anything is marked: an answer about other records says nothing of these
            raise SyncError(TEXT("foreign_results", lang, ids="、".join(foreign[:3]), n=len(foreign)))
        missing = set(answer.missing_attachments)
        for sha in missing:  # whatever this laptop believed, HQ lacks it: offered again until HQ confirms it
            if store.attachment_path(sha).is_file():
                store.mark_attachment_missing(sha)
        for result in answer.results:
            _count(report, result)
            lacking = named.get((result.kind, result.id), set()) & missing
            if lacking and result.status is not ItemStatus.REJECTED:
                held.append((result, lacking))
            else:
                _mark(store, result)
    # Photos HQ should hold but does not (a restored server, a lost upload): send the ones this laptop has. The
    # records naming them count as synced only once HQ has confirmed every one; until then they stay pending, and
    # the next round offers them (and their photos) again.
    lacking_all = [sha for _, shas in held for sha in sorted(shas)]
    local = [sha for sha in dict.fromkeys(lacking_all) if store.attachment_path(sha).is_file()]
    confirmed = await _upload_photos(hq, store, local, report, lang)
    for result, shas in held:
        if shas <= confirmed:
            _mark(store, result)


def photos_named(record: Inspection | Problem | ProblemEvent) -> list[str]:
    """The photos a record names: HQ holds the record whole only with all of them."""
    if isinstance(record, Inspection):
        return [sha for result in record.results.values() for sha in result.photos]
    return list(record.photos)


def _kinds(pending: Pending) -> tuple[tuple[str, Sequence[Inspection | Problem | ProblemEvent]], ...]:
    return (("inspection", pending.inspections), ("problem", pending.problems), ("event", pending.events))


def _mark(store: SyncStore, result: PushResult) -> None:
    state = _STATE[result.state]
    store.mark_synced(
        result.kind, result.id, result.rev, state, server_version=result.server_version, message=result.message
    )


def _count(report: SyncReport, result: PushResult) -> None:
    if result.status is ItemStatus.APPLIED:
        report.pushed += 1
    elif result.status is ItemStatus.DUPLICATE:
        report.duplicates += 1
    elif result.status is ItemStatus.CONFLICT:
        report.conflicts += 1
        report.conflict_messages[result.id] = result.message or ""
    else:
        report.rejected[result.id] = result.message or ""


async def _pull(hq: HQClient, store: SyncStore, report: SyncReport, lang: str) -> bool:
    """Pull until HQ has nothing more. True when HQ asked for a reset (its database was replaced or restored):
    everything is then marked to be offered again, before the pages mark what HQ sent as synced."""
    cursor = store.sync_status().cursor
    from_start = cursor is None  # HQ sends changes; a pull from the start brings every assignment it has
    resets = 0
    wanted_photos: list[str] = []
    while True:
        page = await hq.pull(cursor)
        if page.reset_required:
            resets += 1
            if resets > 1:
                raise SyncError(TEXT("reset_loop", lang))
            cursor = None
            from_start = True
            store.mark_all_unsynced()
            continue
        store.apply_pulled(
            sites=page.sites,
            checklists=page.checklists,
            problems=page.problems,
            cursor=page.cursor,
            assignments=page.assignments,
            replace_assignments=from_start,  # the first page from the start replaces what the device held
            drop_demo_sites=from_start,  # synced with HQ: its sites replace the demo ones
        )
        from_start = False
        store.follow_photo_gps(page.photo_gps)
        report.pulled += len(page.sites) + len(page.checklists) + len(page.assignments) + len(page.problems)
        wanted_photos.extend(p for problem in page.problems for p in problem.photos)
        cursor = page.cursor
        if not page.has_more:
            break
    await _download_photos(hq, store, wanted_photos, report)
    return resets > 0


async def _download_photos(hq: HQClient, store: SyncStore, hashes: Sequence[str], report: SyncReport) -> None:
    """Fetch the before-photos of pulled problems that this laptop lacks, so 复查 on site can compare."""
    todo = [sha for sha in dict.fromkeys(hashes) if not store.attachment_path(sha).is_file()][:MAX_PHOTO_DOWNLOADS]
    if not todo:
        return
    with tempfile.TemporaryDirectory(prefix="inspector-photo-") as folder:
        for sha in todo:
            got = await hq.get_attachment(sha)
            if got is None:  # not at HQ yet: its device has not uploaded it; a later round will get it
                continue
            data, mime = got
            tmp = Path(folder) / f"{sha}{IMAGE_TYPES.get(mime, '.jpg')}"
            tmp.write_bytes(data)
            stored = store.add_attachment(tmp)
            if stored.sha256 == sha:
                store.mark_attachment_uploaded(sha)
                report.photos_downloaded += 1
            tmp.unlink()
