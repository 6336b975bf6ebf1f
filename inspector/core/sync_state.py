"""What the laptop knows about its sync with HQ, and how HQ's answers and pulled records change local records.

Plain types and pure functions, with no storage in them: the store keeps these in its files, the sync client
(`sync/client/`) reads and builds them, and neither needs the other's machinery to type against them. Nothing
here imports TinyDB or the store.

- `SyncStatus`: what the sync badge shows (cursor, last success, last error, clock offset, server).
- `Pending`: everything HQ has not yet accepted, as `Store.pending()` returns it.
- `acknowledged`: a record's sync state after HQ answered for one of its revs.
- `to_resend`: a record's sync state when everything is offered to HQ again.
- `merge_pulled_problem`, `merge_pulled_sites`, `merge_pulled_assignments`: a pull page merged into local records.
- `sendable_problems`: the problems that may go to HQ (not those of an unsubmitted draft).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel

from inspector.core.records import Assignment, Attachment, Inspection, Problem, ProblemEvent, Site, SyncMeta, SyncState

__all__ = [
    "DEMO_SITE_PREFIX",
    "Pending",
    "SyncStatus",
    "acknowledged",
    "merge_pulled_assignments",
    "merge_pulled_problem",
    "merge_pulled_sites",
    "sendable_problems",
    "to_resend",
]

DEMO_SITE_PREFIX = "demo-"  # the sites shipped with the app for trying it out (inspector.core.demo)

_M = TypeVar("_M", bound=BaseModel)


@dataclass
class SyncStatus:
    """What the sync badge shows; the store keeps it in reference.json next to the cursor."""

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


def _clone(record: _M) -> _M:
    """A deep copy; validating a dump is ~5x faster than `model_copy(deep=True)` for these records."""
    return type(record).model_validate(record.model_dump())


def acknowledged(
    sync: SyncMeta, rev: str, state: SyncState, server_version: int | None, message: str | None
) -> SyncMeta | None:
    """The sync state after HQ answered for `rev`, or None when the answer changes nothing.

    An answer for the current rev sets the state. HQ accepting an older rev of a record that has changed since
    makes the newer version based on it (`base_rev`), so its own push is not mistaken for a conflict."""
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


def to_resend(sync: SyncMeta) -> SyncMeta:
    """The same rev, dirty again: HQ dedupes a resent (id, rev), so a record it holds is not copied."""
    if sync.state is SyncState.DIRTY:
        return sync
    return sync.model_copy(update={"state": SyncState.DIRTY, "message": None})


def merge_pulled_problem(local: Problem | None, pulled: Problem) -> Problem:
    """HQ's problem with HQ's fields; events merged by id. An event HQ knows is HQ's (with its server order),
    marked synced; a local event HQ has not seen yet is kept as it is. Order: HQ's sequence, then device time.
    Returns a new record: neither argument is changed."""
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


def merge_pulled_sites(held: Mapping[str, Site], pulled: Iterable[Site], *, drop_demo_sites: bool) -> dict[str, Site]:
    """The sites after a pull page: HQ's copy of a site replaces the local one by id; others are kept.

    `drop_demo_sites` (the first page of a pull from the start) removes the demo sites shipped with the app unless
    this page brings them: once a device syncs with HQ, only HQ's sites are inspected."""
    merged = dict(held)
    if drop_demo_sites:
        merged = {k: v for k, v in merged.items() if not k.startswith(DEMO_SITE_PREFIX)}
    for site in pulled:
        merged[site.id] = _clone(site)
    return merged


def merge_pulled_assignments(held: Mapping[str, Assignment], pulled: Iterable[Assignment]) -> dict[str, Assignment]:
    """The active assignments after a page of HQ's changes: a new or changed one replaces its id, an ended one
    (`active: false`) goes. HQ's pull sends changes, not the full set; a pull from the start passes `held={}`."""
    merged = dict(held)
    for assignment in pulled:
        if assignment.active:
            merged.pop(assignment.id, None)  # re-inserted last: the order stays HQ's order of changes
            merged[assignment.id] = assignment.model_copy()
        else:
            merged.pop(assignment.id, None)
    return merged


def sendable_problems(problems: Iterable[Problem], inspections: Mapping[str, Inspection]) -> list[Problem]:
    """The problems that may go to HQ. A failed submit can leave problem files behind a draft: they go with their
    inspection, not before it. `inspections` maps id to inspection (headers suffice).

    A problem whose inspection HQ refused for good (a demo site's) is not HQ's either: it and its events stay on the
    laptop, so they are neither sent again nor counted as pending, and hold nothing else back."""
    refused = SyncState.REJECTED
    return [
        p
        for p in problems
        if (owner := inspections.get(p.inspection_id)) is None
        or (owner.is_submitted and owner.sync.state is not refused)
    ]
