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
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from inspector.core.problems import REVIEWER_ONLY, event_label, fold
from inspector.core.records import Inspection, InspectionStatus, Problem, ProblemEvent
from sync.protocol import MAX_BATCH_ITEMS, ItemStatus, PushItem, PushRequest, PushResponse, PushResult
from sync.server import audit
from sync.server.auth import Principal
from sync.server.db import Database, Writer
from sync.server.errors import ApiError, summarize, validation_details
from sync.server.messages import message
from sync.server.models import REF, assignments, attachments, doc_revs, docs, events, users

log = logging.getLogger("inspector.hq")

FaultHook = Callable[[str], None]
Kind = Literal["inspection", "problem", "event"]

_INSPECTION_EXCLUDE = {"sync"}
_PROBLEM_EXCLUDE = {"sync", "events"}
_EVENT_EXCLUDE = {"sync", "server_order", "conflict"}
_IN_CHUNK = 500  # ids per IN (...) list


# --- parsing ----------------------------------------------------------------------------------------------------


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _LooseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    batch_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    items: list[dict[str, Any]] = Field(max_length=MAX_BATCH_ITEMS)


class _ItemHead(_Loose):
    kind: Kind
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    rev: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


_ITEM_ADAPTER: TypeAdapter[PushItem] = TypeAdapter(PushItem)


@dataclass
class ParsedItem:
    kind: Kind
    id: str
    rev: str
    base_rev: str | None
    record: Inspection | Problem | ProblemEvent | None  # None when `error` says why it is not valid
    error: str | None = None


def parse_push(body: bytes, lang: str) -> tuple[str, list[ParsedItem]]:
    """The batch id and its items. A whole-request fault is a 422 with field paths; a bad record is one item's fault."""
    try:
        request = PushRequest.model_validate_json(body)
    except ValidationError:
        return _parse_slowly(body, lang)
    return request.batch_id, [
        ParsedItem(kind=item.kind, id=item.id, rev=item.rev, base_rev=item.base_rev, record=item.data)
        for item in request.items
    ]


def _parse_slowly(body: bytes, lang: str) -> tuple[str, list[ParsedItem]]:
    try:
        envelope = _LooseRequest.model_validate_json(body)
    except ValidationError as exc:
        details = validation_details(exc.errors())
        raise ApiError(
            422, "invalid_request", f"the push request is not valid: {summarize(details)}", details
        ) from None
    items: list[ParsedItem] = []
    problems: list[dict[str, Any]] = []
    for n, raw in enumerate(envelope.items):
        try:
            head = _ItemHead.model_validate(raw)
        except ValidationError as exc:
            problems.extend(validation_details([{**e, "loc": ("items", n, *e["loc"])} for e in exc.errors()]))
            continue
        base_rev = raw.get("base_rev")
        base = base_rev if isinstance(base_rev, str) else None
        try:
            item = _ITEM_ADAPTER.validate_python(raw)
        except ValidationError as exc:
            detail = summarize(validation_details(exc.errors()))
            items.append(
                ParsedItem(head.kind, head.id, head.rev, base, None, message("invalid_record", lang, detail=detail))
            )
            continue
        items.append(ParsedItem(item.kind, item.id, item.rev, item.base_rev, item.data))
    if problems:
        raise ApiError(
            422, "invalid_request", f"some push items cannot be answered: {summarize(problems)}", problems[:50]
        )
    return envelope.batch_id, items


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


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


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
            {i.record.supersedes for i in items if isinstance(i.record, Inspection) and i.record.supersedes}
        )
        wanted = sorted(set(doc_ids) | set(problem_ids) | {s for s in supersedes if len(s) <= 64})
        for chunk in _chunks(wanted):
            for row in conn.execute(
                select(docs.c.id, docs.c.kind, docs.c.current_rev, docs.c.owner_user_id, users.c.name, docs.c.site_id)
                .join(users, users.c.id == docs.c.owner_user_id)
                .where(docs.c.id.in_(chunk))
            ):
                self.docs[row.id] = _Doc(row.kind, row.current_rev, row.owner_user_id, row.name, row.site_id)
        for chunk in _chunks(doc_ids):
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
        for chunk in _chunks(event_ids):
            for event_row in conn.execute(
                select(events.c.id, events.c.rev, events.c.content_sha, events.c.conflict, events.c.server_order).where(
                    events.c.id.in_(chunk)
                )
            ):
                self.events[event_row.id] = _Event(
                    event_row.rev, event_row.content_sha, event_row.conflict, event_row.server_order
                )
        known_problems = [p for p in problem_ids if p in self.docs and self.docs[p].kind == "problem"]
        for chunk in _chunks(known_problems):
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
        if item.record is None:
            return _Decision(self._result(item, ItemStatus.REJECTED, state="rejected", msg=item.error))
        if item.record.id != item.id:
            return self._reject(item, "id_mismatch", inner=item.record.id, outer=item.id)
        if isinstance(item.record, Inspection):
            return self._inspection(item, item.record)
        if isinstance(item.record, Problem):
            return self._problem(item, item.record)
        return self._event(item, item.record)

    def _inspection(self, item: ParsedItem, record: Inspection) -> _Decision:
        if record.status is not InspectionStatus.SUBMITTED:
            return self._reject(item, "not_submitted")
        if len(record.site_id) > REF:
            return self._reject(item, "too_long", field="site_id", max=REF)
        data = record.model_dump_json(exclude=_INSPECTION_EXCLUDE)
        sha = _sha(data)
        known = self._known_rev(item, sha)
        if known is not None:
            return known
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
        photos = [p for r in record.results.values() for p in r.photos]
        return _Decision(self._result(item, ItemStatus.APPLIED, version=version), ops, photos)

    def _problem(self, item: ParsedItem, record: Problem) -> _Decision:
        if len(record.site_id) > REF:
            return self._reject(item, "too_long", field="site_id", max=REF)
        data = record.model_dump_json(exclude=_PROBLEM_EXCLUDE)
        sha = _sha(data)
        known = self._known_rev(item, sha)
        if known is not None:
            return known
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

    def _event(self, item: ParsedItem, record: ProblemEvent) -> _Decision:
        data = record.model_dump_json(exclude=_EVENT_EXCLUDE)
        sha = _sha(data)
        known = self.events.get(item.id)
        if known is not None:
            if known.rev != item.rev:
                return self._reject(item, "event_changed", id=item.id)
            if known.sha != sha:
                return self._reject(item, "rev_reused", rev=item.rev)
            state: Literal["synced", "conflict"] = "conflict" if known.conflict else "synced"
            return _Decision(
                self._result(item, ItemStatus.DUPLICATE, state=state, version=known.server_order, msg=known.conflict)
            )
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
        status, state = (ItemStatus.CONFLICT, "conflict") if reason else (ItemStatus.APPLIED, "synced")
        return _Decision(
            self._result(item, status, state=state, version=order, msg=reason),
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
    for chunk in _chunks(wanted):
        present.update(
            r.sha256 for r in conn.execute(select(attachments.c.sha256).where(attachments.c.sha256.in_(chunk)))
        )
    return [p for p in wanted if p not in present]


def push(
    db: Database,
    who: Principal,
    body: bytes,
    *,
    lang: str,
    now: datetime,
    ip: str | None,
    fault: FaultHook | None = None,
) -> PushResponse:
    """Apply one push batch and answer every item. Any retry of the same body has exactly-once effect."""
    batch_id, items = parse_push(body, lang)
    try:
        try:
            return _apply(db, who, batch_id, items, lang=lang, now=now, ip=ip, careful=False, fault=fault)
        except (IntegrityError, DataError) as exc:
            log.warning("push batch %s: %s; replaying item by item", batch_id, type(exc).__name__)
            return _apply(db, who, batch_id, items, lang=lang, now=now, ip=ip, careful=True, fault=fault)
    except OperationalError as exc:
        log.warning("push batch %s: database unavailable: %s", batch_id, exc)
        raise ApiError(
            503, "busy", "the HQ database is busy or unavailable; nothing was applied, retry later"
        ) from None


def _apply(
    db: Database,
    who: Principal,
    batch_id: str,
    items: Sequence[ParsedItem],
    *,
    lang: str,
    now: datetime,
    ip: str | None,
    careful: bool,
    fault: FaultHook | None,
) -> PushResponse:
    with db.write() as w:
        batch = _Batch(w, who, items, lang=lang, now=now)
        decisions = [batch.decide(item) for item in items]
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
                        update={
                            "status": ItemStatus.REJECTED,
                            "state": "rejected",
                            "server_version": None,
                            "message": text,
                        }
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
            actor=who.user,
            at=now,
            device_id=who.device_id,
            ip=ip,
            batch_id=batch_id,
            items=len(items),
            **counts,
            rejected_items=rejected[:50],
        )
        if fault is not None:
            fault("before_commit")
    if fault is not None:
        fault("after_commit")
    return PushResponse(server_time=now, results=[d.result for d in decisions], missing_attachments=missing)
