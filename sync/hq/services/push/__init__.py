"""`POST /v1/sync/push`: a batch of whole record versions in, one answer per item out (design §5).

How a batch is applied: the request is parsed and validated in one pass (per item only when something is wrong),
then one write transaction takes the change counter, reads what it needs in a few bulk queries, decides every item
in memory and writes the outcome with one executemany per statement. A database error on that fast path rolls the
batch back and replays it item by item, each in its own savepoint, so one bad item is rejected alone.

Rules per kind:
- inspection: submitted only; immutable (a new rev of a stored id is rejected: a correction is a new inspection
  naming the one it supersedes).
- problem: created by a device on submit; a later rev applies when based on HQ's current rev, else it is kept as a
  conflict for a reviewer.
- event: append-only; 交办/销号/作废/挂账 only from reviewers and admins; HQ numbers it (`server_order`) from the
  change counter and folds the problem in that order: an event that is illegal there is kept, marked as a conflict.
(id, rev) is the idempotency key: the same content again is a duplicate, other content under a used rev is rejected.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from inspector.core.problems import REVIEWER_ONLY, event_label, fold
from inspector.core.records import Inspection, InspectionStatus, Problem, ProblemEvent
from sync.hq.api.errors import ApiError, summarize, validation_details
from sync.hq.db import Database, Writer, in_chunks, sha256_text
from sync.hq.db.models import REF, assignments, attachments, doc_revs, docs, events, users
from sync.hq.services import audit
from sync.hq.services.auth import Principal
from sync.hq.services.messages import message
from sync.hq.services.push import fastcheck
from sync.protocol import (
    MAX_BATCH_ITEMS,
    RECORD_MODELS,
    SERVER_FIELDS,
    Id,
    ItemStatus,
    PushResponse,
    PushResult,
)

log = logging.getLogger("inspector.hq")

FaultHook = Callable[[str], None]
Kind = Literal["inspection", "problem", "event"]


# --- parsing ----------------------------------------------------------------------------------------------------


@dataclass
class ParsedItem:
    kind: Kind
    id: str
    rev: str
    base_rev: str | None
    text: str  # the record's JSON as HQ stores it: as sent, unless it carried fields HQ sets itself
    sha: str  # sha256 of the text as sent: the idempotency check compares exactly what the device sent
    record: InspectionFacts | Problem | ProblemEvent | None = None  # None until validated, or `error` says why
    error: str | None = None


@dataclass(frozen=True)
class InspectionFacts:
    """What HQ needs to decide on an inspection; the record itself is stored as the text that was sent."""

    id: str
    status: InspectionStatus
    site_id: str
    supersedes: str | None
    photos: tuple[str, ...]

    @classmethod
    def of(cls, inspection: Inspection) -> InspectionFacts:
        photos = tuple(p for r in inspection.results.values() for p in r.photos)
        return cls(inspection.id, inspection.status, inspection.site_id, inspection.supersedes, photos)

    @classmethod
    def of_fast(cls, decoded: Any) -> InspectionFacts:
        def field(name: str) -> Any:
            return fastcheck.value(decoded, Inspection, name)

        photos: list[str] = []
        for result in field("results").values():
            if result.photos is not msgspec.UNSET:
                photos.extend(result.photos)
        return cls(field("id"), field("status"), field("site_id"), field("supersedes"), tuple(photos))


# Inspections are the bulk of every push (10,000 item results in a big one): they get msgspec's fast check first.
_FAST_INSPECTION = fastcheck.mirror(Inspection, SERVER_FIELDS["inspection"])


class FlatItem(BaseModel):
    """A push item as HQ reads it: the three item models with `kind` as a plain choice and `data` left unchecked
    (they differ in nothing else; a test checks). Each record is checked afterwards, alone: a bad record is that
    item's rejection, not the batch's. msgspec mirrors this model and keeps `data` as its raw bytes."""

    model_config = ConfigDict(extra="forbid")
    kind: Kind
    id: Id
    rev: Id
    base_rev: Id | None = None
    data: Any


class FlatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    batch_id: Id
    items: list[FlatItem] = Field(max_length=MAX_BATCH_ITEMS)


_FAST_ENVELOPE = fastcheck.mirror(FlatRequest)


def parse_push(body: bytes) -> tuple[str, list[ParsedItem]]:
    """The batch id and its items, records not yet validated. A fault in the envelope is a 422 with field paths."""
    if _FAST_ENVELOPE is not None:
        try:
            fast = _FAST_ENVELOPE.decode(body)
        except msgspec.MsgspecError:
            pass  # pydantic decides, and names the fields at fault
        else:
            items = []
            for i in fast.items:
                raw = bytes(i.data)  # the record exactly as the device encoded it
                base_rev = fastcheck.value(i, FlatItem, "base_rev")
                items.append(ParsedItem(i.kind, i.id, i.rev, base_rev, raw.decode("utf-8"), _sha_bytes(raw)))
            return fast.batch_id, items
    try:
        request = FlatRequest.model_validate_json(body)
    except ValidationError as exc:
        details = validation_details(exc.errors())
        raise ApiError(
            422, "invalid_request", f"the push request is not valid: {summarize(details)}", details
        ) from None
    parsed = []
    for item in request.items:  # (only when msgspec refused what pydantic accepts: re-encoded, then hashed)
        text = json.dumps(item.data, ensure_ascii=False, separators=(",", ":"))
        parsed.append(ParsedItem(item.kind, item.id, item.rev, item.base_rev, text, sha256_text(text)))
    return request.batch_id, parsed


def validate_item(item: ParsedItem, lang: str) -> None:
    """Check the record text against its model; a bad record is this item's fault alone (rejected with the paths)."""
    if item.kind == "inspection" and _FAST_INSPECTION is not None:
        try:
            item.record = InspectionFacts.of_fast(_FAST_INSPECTION.decode(item.text))
            return
        except msgspec.MsgspecError:
            pass  # not necessarily invalid: pydantic is more lenient in places, and it words the reason
    try:
        record = RECORD_MODELS[item.kind].model_validate_json(item.text)
    except ValidationError as exc:
        detail = summarize(validation_details([{**e, "loc": ("data", *e["loc"])} for e in exc.errors()]))
        item.error = message("invalid_record", lang, detail=detail)
        return
    if SERVER_FIELDS[item.kind] & record.model_fields_set:  # sent what HQ sets: store it without those
        item.text = record.model_dump_json(exclude=set(SERVER_FIELDS[item.kind]))
    item.record = InspectionFacts.of(record) if isinstance(record, Inspection) else record


def _known_shas(db: Database, items: Sequence[ParsedItem]) -> set[tuple[str, str, str]]:
    """(id, rev, sha) HQ already holds for these items: exact repeats need no validation (read before the lock)."""
    doc_ids = sorted({i.id for i in items if i.kind != "event"})
    event_ids = sorted({i.id for i in items if i.kind == "event"})
    known: set[tuple[str, str, str]] = set()
    with db.read() as conn:
        for chunk in in_chunks(doc_ids):
            query = select(doc_revs.c.id, doc_revs.c.rev, doc_revs.c.content_sha).where(doc_revs.c.id.in_(chunk))
            known.update((r.id, r.rev, r.content_sha) for r in conn.execute(query))
        for chunk in in_chunks(event_ids):
            query = select(events.c.id, events.c.rev, events.c.content_sha).where(events.c.id.in_(chunk))
            known.update((r.id, r.rev, r.content_sha) for r in conn.execute(query))
    return known


# --- deciding ---------------------------------------------------------------------------------------------------


@dataclass
class _Doc:
    kind: str
    current_rev: str
    owner_user_id: int
    owner: str
    site_id: str
    current_sha: str | None = None


@dataclass
class _Rev:
    sha: str
    state: str
    message: str | None
    server_version: int


@dataclass
class _Event:
    rev: str
    sha: str
    conflict: str | None
    server_order: int


@dataclass
class _Decision:
    result: PushResult
    ops: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    photos: Sequence[str] = ()


def _sha_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Batch:
    """One batch being decided: what HQ holds for the ids it names, updated in memory as items are decided."""

    def __init__(self, w: Writer, who: Principal, items: Sequence[ParsedItem], *, lang: str, now: datetime) -> None:
        self.w = w
        self.who = who
        self.lang = lang
        self.now = now
        self.docs: dict[str, _Doc] = {}
        self.revs: dict[tuple[str, str], _Rev] = {}
        self.events: dict[str, _Event] = {}
        self.problem_events: dict[str, list[ProblemEvent]] = {}
        self.problem_records: dict[str, Problem] = {}
        self.touched: dict[str, None] = {}  # problems whose pull copy must be re-sent, in order
        self._load(items)

    # loading -----------------------------------------------------------------------------------------------------
    def _load(self, items: Sequence[ParsedItem]) -> None:
        conn = self.w.conn
        doc_ids = sorted({i.id for i in items if i.kind != "event"})
        event_ids = sorted({i.id for i in items if i.kind == "event"})
        problem_ids = sorted(
            {
                i.record.problem_id
                for i in items
                if isinstance(i.record, ProblemEvent) and len(i.record.problem_id) <= 64
            }
        )
        supersedes = sorted(
            {i.record.supersedes for i in items if isinstance(i.record, InspectionFacts) and i.record.supersedes}
        )
        wanted = sorted(set(doc_ids) | set(problem_ids) | {s for s in supersedes if len(s) <= 64})
        for chunk in in_chunks(wanted):
            for row in conn.execute(
                select(docs.c.id, docs.c.kind, docs.c.current_rev, docs.c.owner_user_id, users.c.name, docs.c.site_id)
                .join(users, users.c.id == docs.c.owner_user_id)
                .where(docs.c.id.in_(chunk))
            ):
                self.docs[row.id] = _Doc(row.kind, row.current_rev, row.owner_user_id, row.name, row.site_id)
        for chunk in in_chunks(doc_ids):
            for rev_row in conn.execute(
                select(
                    doc_revs.c.id,
                    doc_revs.c.rev,
                    doc_revs.c.content_sha,
                    doc_revs.c.state,
                    doc_revs.c.message,
                    doc_revs.c.server_version,
                ).where(doc_revs.c.id.in_(chunk))
            ):
                self.revs[(rev_row.id, rev_row.rev)] = _Rev(
                    rev_row.content_sha, rev_row.state, rev_row.message, rev_row.server_version
                )
        for doc_id, doc in self.docs.items():
            current = self.revs.get((doc_id, doc.current_rev))
            doc.current_sha = current.sha if current else None
        for chunk in in_chunks(event_ids):
            for event_row in conn.execute(
                select(events.c.id, events.c.rev, events.c.content_sha, events.c.conflict, events.c.server_order).where(
                    events.c.id.in_(chunk)
                )
            ):
                self.events[event_row.id] = _Event(
                    event_row.rev, event_row.content_sha, event_row.conflict, event_row.server_order
                )
        known_problems = [p for p in problem_ids if p in self.docs and self.docs[p].kind == "problem"]
        for chunk in in_chunks(known_problems):
            for problem_row in conn.execute(
                select(doc_revs.c.id, doc_revs.c.data)
                .join(docs, (docs.c.id == doc_revs.c.id) & (docs.c.current_rev == doc_revs.c.rev))
                .where(docs.c.id.in_(chunk))
            ):
                self.problem_records[problem_row.id] = Problem.model_validate_json(problem_row.data)
            for history_row in conn.execute(
                select(events.c.problem_id, events.c.data, events.c.server_order, events.c.conflict)
                .where(events.c.problem_id.in_(chunk))
                .order_by(events.c.server_order)
            ):
                event = ProblemEvent.model_validate_json(history_row.data)
                event.server_order = history_row.server_order
                event.conflict = history_row.conflict
                self.problem_events.setdefault(history_row.problem_id, []).append(event)
        self.assigned_sites: set[str] = set()
        if not self.who.sees_everything:
            self.assigned_sites = {
                row.site_id
                for row in conn.execute(
                    select(assignments.c.site_id).where(
                        assignments.c.user_id == self.who.user_id, assignments.c.active.is_(True)
                    )
                )
            }

    # helpers -----------------------------------------------------------------------------------------------------
    def _result(
        self,
        item: ParsedItem,
        status: ItemStatus,
        *,
        state: Literal["synced", "conflict", "rejected"] = "synced",
        version: int | None = None,
        msg: str | None = None,
    ) -> PushResult:
        return PushResult(
            kind=item.kind, id=item.id, rev=item.rev, status=status, state=state, server_version=version, message=msg
        )

    def _reject(self, item: ParsedItem, key: str, **values: Any) -> _Decision:
        text = message(key, self.lang, **values)
        return _Decision(self._result(item, ItemStatus.REJECTED, state="rejected", msg=text))

    def _known_rev(self, item: ParsedItem, sha: str) -> _Decision | None:
        """The answer for an (id, rev) HQ already holds: a duplicate, or a rejection when the content differs."""
        known = self.revs.get((item.id, item.rev))
        if known is None:
            return None
        if known.sha != sha:
            return self._reject(item, "rev_reused", rev=item.rev)
        state: Literal["synced", "conflict"] = "conflict" if known.state == "conflict" else "synced"
        return _Decision(
            self._result(item, ItemStatus.DUPLICATE, state=state, version=known.server_version, msg=known.message)
        )

    def _owned_by_other(self, doc: _Doc) -> bool:
        return doc.owner_user_id != self.who.user_id and not self.who.sees_everything

    def _rev_row(
        self, item: ParsedItem, sha: str, data: str, state: str, msg: str | None, version: int
    ) -> dict[str, Any]:
        return {
            "id": item.id,
            "rev": item.rev,
            "kind": item.kind,
            "base_rev": item.base_rev,
            "content_sha": sha,
            "state": state,
            "message": msg,
            "server_version": version,
            "user_id": self.who.user_id,
            "device_id": self.who.device_id,
            "received_at": self.now,
            "data": data,
        }

    def _doc_row(self, item: ParsedItem, site_id: str, version: int) -> dict[str, Any]:
        return {
            "id": item.id,
            "kind": item.kind,
            "current_rev": item.rev,
            "change_id": version,
            "owner_user_id": self.who.user_id,
            "owner_device_id": self.who.device_id,
            "site_id": site_id,
            "superseded_by": None,
            "received_at": self.now,
        }

    # per kind ----------------------------------------------------------------------------------------------------
    def decide(self, item: ParsedItem) -> _Decision:
        repeat = self._event_repeat(item) if item.kind == "event" else self._known_rev(item, item.sha)
        if repeat is not None:
            return repeat
        if item.record is None and item.error is None:
            validate_item(item, self.lang)  # skipped before the lock as a repeat, and yet it is not one
        if item.record is None:
            return _Decision(self._result(item, ItemStatus.REJECTED, state="rejected", msg=item.error))
        if item.record.id != item.id:
            return self._reject(item, "id_mismatch", inner=item.record.id, outer=item.id)
        if isinstance(item.record, InspectionFacts):
            return self._inspection(item, item.record)
        if isinstance(item.record, Problem):
            return self._problem(item, item.record)
        return self._event(item, item.record)

    def _inspection(self, item: ParsedItem, record: InspectionFacts) -> _Decision:
        if record.status is not InspectionStatus.SUBMITTED:
            return self._reject(item, "not_submitted")
        if len(record.site_id) > REF:
            return self._reject(item, "too_long", field="site_id", max=REF)
        data, sha = item.text, item.sha
        doc = self.docs.get(item.id)
        if doc is not None:
            if doc.kind != "inspection":
                return self._reject(item, "kind_clash", id=item.id, kind=doc.kind)
            if self._owned_by_other(doc):
                return self._reject(
                    item, "not_owner", kind="inspection", id=item.id, owner=doc.owner, user=self.who.user
                )
            return self._reject(item, "inspection_immutable", id=item.id, rev=doc.current_rev)
        ops: list[tuple[str, dict[str, Any]]] = []
        if record.supersedes:
            target = self.docs.get(record.supersedes)
            if target is not None:
                if target.kind != "inspection":
                    return self._reject(item, "supersede_kind", target=record.supersedes)
                if self._owned_by_other(target):
                    return self._reject(item, "supersede_foreign", target=record.supersedes, owner=target.owner)
                ops.append(("doc_supersede", {"b_id": record.supersedes, "b_by": item.id}))
        version = self.w.next_change_id()
        ops[:0] = [
            ("doc_insert", self._doc_row(item, record.site_id, version)),
            ("rev_insert", self._rev_row(item, sha, data, "synced", None, version)),
        ]
        self.docs[item.id] = _Doc("inspection", item.rev, self.who.user_id, self.who.user, record.site_id, sha)
        self.revs[(item.id, item.rev)] = _Rev(sha, "synced", None, version)
        photos = record.photos
        return _Decision(self._result(item, ItemStatus.APPLIED, version=version), ops, photos)

    def _problem(self, item: ParsedItem, record: Problem) -> _Decision:
        if len(record.site_id) > REF:
            return self._reject(item, "too_long", field="site_id", max=REF)
        data, sha = item.text, item.sha
        doc = self.docs.get(item.id)
        if doc is None:
            version = self.w.next_change_id()
            self.docs[item.id] = _Doc("problem", item.rev, self.who.user_id, self.who.user, record.site_id, sha)
            self.revs[(item.id, item.rev)] = _Rev(sha, "synced", None, version)
            self.problem_records[item.id] = record.model_copy(update={"events": []})
            ops = [
                ("doc_insert", self._doc_row(item, record.site_id, version)),
                ("rev_insert", self._rev_row(item, sha, data, "synced", None, version)),
            ]
            return _Decision(self._result(item, ItemStatus.APPLIED, version=version), ops, record.photos)
        if doc.kind != "problem":
            return self._reject(item, "kind_clash", id=item.id, kind=doc.kind)
        current = self.revs.get((item.id, doc.current_rev))
        if sha == doc.current_sha:
            # Same content as HQ's current version (a device re-saved a problem while adding an event): nothing to
            # change and nobody's edit to protect, whoever sent it.
            kept = current.server_version if current else 0
            self.revs[(item.id, item.rev)] = _Rev(sha, "synced", None, kept)
            ops = [("rev_insert", self._rev_row(item, sha, data, "synced", None, kept))]
            return _Decision(self._result(item, ItemStatus.APPLIED, version=kept), ops, record.photos)
        if self._owned_by_other(doc):
            return self._reject(item, "not_owner", kind="problem", id=item.id, owner=doc.owner, user=self.who.user)
        version = self.w.next_change_id()
        base = self.revs.get((item.id, item.base_rev)) if item.base_rev else None
        if base is not None and base.sha == doc.current_sha:  # edited from what HQ holds now: apply
            doc.current_rev, doc.current_sha, doc.site_id = item.rev, sha, record.site_id
            self.revs[(item.id, item.rev)] = _Rev(sha, "synced", None, version)
            self.problem_records[item.id] = record.model_copy(update={"events": []})
            self.touched.pop(item.id, None)  # this update already gives the problem a fresh change id
            ops = [
                ("doc_update", {"b_id": item.id, "b_rev": item.rev, "b_change": version, "b_site": record.site_id}),
                ("rev_insert", self._rev_row(item, sha, data, "synced", None, version)),
            ]
            return _Decision(self._result(item, ItemStatus.APPLIED, version=version), ops, record.photos)
        text = message("problem_stale", self.lang, id=item.id, current=doc.current_rev)
        self.revs[(item.id, item.rev)] = _Rev(sha, "conflict", text, version)
        ops = [("rev_insert", self._rev_row(item, sha, data, "conflict", text, version))]
        return _Decision(
            self._result(item, ItemStatus.CONFLICT, state="conflict", version=version, msg=text), ops, record.photos
        )

    def _event_repeat(self, item: ParsedItem) -> _Decision | None:
        """The answer for an event id HQ already holds: events are append-only, so only an exact repeat passes."""
        known = self.events.get(item.id)
        if known is None:
            return None
        if known.rev != item.rev:
            return self._reject(item, "event_changed", id=item.id)
        if known.sha != item.sha:
            return self._reject(item, "rev_reused", rev=item.rev)
        state: Literal["synced", "conflict"] = "conflict" if known.conflict else "synced"
        return _Decision(
            self._result(item, ItemStatus.DUPLICATE, state=state, version=known.server_order, msg=known.conflict)
        )

    def _event(self, item: ParsedItem, record: ProblemEvent) -> _Decision:
        data, sha = item.text, item.sha
        problem = self.docs.get(record.problem_id)
        if problem is None or problem.kind != "problem" or record.problem_id not in self.problem_records:
            return self._reject(item, "unknown_problem", problem=record.problem_id)
        if record.kind in REVIEWER_ONLY and not self.who.sees_everything:
            return self._reject(item, "reviewer_only", action=event_label(record.kind, self.lang), user=self.who.user)
        if not self.who.sees_everything and not (
            problem.owner_user_id == self.who.user_id or problem.site_id in self.assigned_sites
        ):
            return self._reject(item, "not_visible", problem=record.problem_id, user=self.who.user)
        order = self.w.next_change_id()
        numbered = record.model_copy(update={"server_order": order, "conflict": None})
        history = self.problem_events.setdefault(record.problem_id, [])
        folded = fold(self.problem_records[record.problem_id].model_copy(update={"events": [*history, numbered]}))
        reason = next((c.reason(self.lang) for c in folded.conflicts if c.event.id == record.id), None)
        numbered.conflict = reason
        history.append(numbered)
        self.events[item.id] = _Event(item.rev, sha, reason, order)
        self.touched[record.problem_id] = None
        row = {
            "id": item.id,
            "rev": item.rev,
            "problem_id": record.problem_id,
            "kind": record.kind.value,
            "server_order": order,
            "conflict": reason,
            "content_sha": sha,
            "user_id": self.who.user_id,
            "device_id": self.who.device_id,
            "received_at": self.now,
            "data": data,
        }
        if reason:
            result = self._result(item, ItemStatus.CONFLICT, state="conflict", version=order, msg=reason)
        else:
            result = self._result(item, ItemStatus.APPLIED, version=order)
        return _Decision(
            result,
            [("event_insert", row)],
            record.photos,
        )

    def touch_ops(self) -> list[tuple[str, dict[str, Any]]]:
        """Give every problem that gained events a fresh change id, so pulls send it again with them."""
        return [("doc_touch", {"b_id": pid, "b_change": self.w.next_change_id()}) for pid in self.touched]


# --- writing ----------------------------------------------------------------------------------------------------

_ORDER = ("doc_insert", "doc_update", "doc_supersede", "rev_insert", "event_insert", "doc_touch")


def _statement(name: str) -> Any:
    table: Table
    if name == "doc_insert":
        return insert(docs)
    if name == "rev_insert":
        return insert(doc_revs)
    if name == "event_insert":
        return insert(events)
    table = docs
    where = table.c.id == bindparam("b_id")
    if name == "doc_update":
        return (
            update(table)
            .where(where)
            .values(current_rev=bindparam("b_rev"), change_id=bindparam("b_change"), site_id=bindparam("b_site"))
        )
    if name == "doc_supersede":
        return update(table).where(where).values(superseded_by=bindparam("b_by"))
    if name == "doc_touch":
        return update(table).where(where).values(change_id=bindparam("b_change"))
    raise ValueError(name)


def _run_ops(conn: Connection, ops: Sequence[tuple[str, dict[str, Any]]]) -> None:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for name, params in ops:
        grouped.setdefault(name, []).append(params)
    for name in _ORDER:
        rows = grouped.get(name)
        if rows:
            conn.execute(_statement(name), rows)


def _missing_attachments(conn: Connection, photos: Iterable[str]) -> list[str]:
    wanted = sorted(set(photos))
    present: set[str] = set()
    for chunk in in_chunks(wanted):
        present.update(
            r.sha256 for r in conn.execute(select(attachments.c.sha256).where(attachments.c.sha256.in_(chunk)))
        )
    return [p for p in wanted if p not in present]


@dataclass
class PushJob:
    """One push request, parsed and validated, waiting for its turn in a write transaction."""

    who: Principal
    batch_id: str
    items: list[ParsedItem]
    lang: str
    now: datetime
    ip: str | None
    result: PushResponse | None = None
    error: Exception | None = None
    done: bool = False


def prepare(db: Database, who: Principal, body: bytes, *, lang: str, now: datetime, ip: str | None) -> PushJob:
    """Parse and validate a push outside any lock (validation is the costly part); exact repeats skip validation."""
    batch_id, items = parse_push(body)
    try:
        known = _known_shas(db, items)
    except OperationalError as exc:
        raise _busy(batch_id, exc) from None
    for item in items:
        if (item.id, item.rev, item.sha) not in known:
            validate_item(item, lang)
    return PushJob(who=who, batch_id=batch_id, items=items, lang=lang, now=now, ip=ip)


def _busy(batch_id: str, exc: Exception) -> ApiError:
    log.warning("push batch %s: database unavailable: %s", batch_id, exc)
    return ApiError(503, "busy", "the HQ database is busy or unavailable; nothing was applied, retry later")


class PushQueue:
    """Group commit: pushes that arrive while one is being written go together into the next transaction, so a
    hundred laptops coming online at once cost a handful of fsyncs instead of a hundred (each push keeps its own
    decisions, answers and audit row; only the commit is shared). The first waiting request leads: it takes every
    queued push, writes them, commits, and wakes the others with their answers."""

    GROUP_ITEMS = 5000  # at most this many items per transaction: keeps any one lock hold short

    def __init__(self, db: Database, fault: FaultHook | None = None) -> None:
        self.db = db
        self.fault = fault
        self._queue: list[PushJob] = []
        self._queue_lock = threading.Lock()
        self._leader = threading.Lock()

    def run(self, job: PushJob) -> PushResponse:
        with self._queue_lock:
            self._queue.append(job)
        with self._leader:
            if not job.done:
                self._commit(self._take())
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def _take(self) -> list[PushJob]:
        with self._queue_lock:
            group: list[PushJob] = []
            size = 0
            while self._queue and (not group or size + len(self._queue[0].items) <= self.GROUP_ITEMS):
                group.append(self._queue.pop(0))
                size += len(group[-1].items)
            return group

    def _commit(self, group: list[PushJob]) -> None:
        try:
            with self.db.write() as w:
                answers = [_apply(w, job, careful=False) for job in group]
                if self.fault is not None:
                    self.fault("before_commit")
            for job, answer in zip(group, answers, strict=True):
                job.result = answer
            if self.fault is not None:
                self.fault("after_commit")
        except (IntegrityError, DataError) as exc:
            log.warning("push group of %d: %s; replaying each item alone", len(group), type(exc).__name__)
            for job in group:
                self._alone(job)
        except OperationalError as exc:
            for job in group:
                job.error = _busy(job.batch_id, exc)
        except Exception as exc:  # unexpected: every request of the group gets the 500, none a wrong answer
            for job in group:
                job.error = exc
        finally:
            for job in group:
                job.done = True

    def _alone(self, job: PushJob) -> None:
        try:
            with self.db.write() as w:
                job.result = _apply(w, job, careful=True)
        except OperationalError as exc:
            job.error = _busy(job.batch_id, exc)
        except Exception as exc:
            job.error = exc


def _apply(w: Writer, job: PushJob, *, careful: bool) -> PushResponse:
    """Decide and write one push inside the given transaction; `careful` puts each item in its own savepoint."""
    lang = job.lang
    batch = _Batch(w, job.who, job.items, lang=lang, now=job.now)
    decisions = [batch.decide(item) for item in job.items]
    touches = batch.touch_ops()
    if careful:
        for decision in decisions:
            try:
                with w.conn.begin_nested():
                    _run_ops(w.conn, decision.ops)
            except (IntegrityError, DataError) as exc:
                detail = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
                text = message("store_failed", lang, detail=detail)
                decision.result = decision.result.model_copy(
                    update={"status": ItemStatus.REJECTED, "state": "rejected", "server_version": None, "message": text}
                )
                decision.photos = ()
        _run_ops(w.conn, touches)
    else:
        _run_ops(w.conn, [op for d in decisions for op in d.ops] + touches)
    missing = _missing_attachments(
        w.conn, (p for d in decisions if d.result.status is not ItemStatus.REJECTED for p in d.photos)
    )
    counts = {s.value: 0 for s in ItemStatus}
    for d in decisions:
        counts[d.result.status.value] += 1
    rejected = [
        {"kind": d.result.kind, "id": d.result.id, "rev": d.result.rev, "reason": d.result.message}
        for d in decisions
        if d.result.status is ItemStatus.REJECTED
    ]
    audit.record(
        w.conn,
        action="push",
        actor=job.who.user,
        at=job.now,
        device_id=job.who.device_id,
        ip=job.ip,
        batch_id=job.batch_id,
        items=len(job.items),
        **counts,
        rejected_items=rejected[:50],
    )
    return PushResponse(server_time=job.now, results=[d.result for d in decisions], missing_attachments=missing)
