"""Running a push: `prepare` parses and validates it outside any lock, `PushQueue` group-commits it.

A database error on the fast path (one executemany per statement for the whole group) rolls the group back and
replays each push alone, each item in its own savepoint, so one bad item is rejected alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from inspector.core.records import ProblemEvent
from sync.hq.db import Database, Writer
from sync.hq.services import audit, readmodel
from sync.hq.services.auth import Principal
from sync.hq.services.errors import HqError, Kind
from sync.hq.services.messages import REASONS
from sync.hq.services.push import sql
from sync.hq.services.push.decide import Batch, Decision
from sync.hq.services.push.parse import ParsedItem, parse_push, validate_item
from sync.protocol import ItemStatus, PushResponse

log = logging.getLogger("inspector.hq")

PUSH_ACTION = "POST /v1/sync/push"  # the audited action of a rejected item

StageHook = Callable[[str], None]
"""Called by the queue at named points of a group commit: "before_commit" (everything written, not yet committed)
and "after_commit". An extension point for tools that need to act there (the fault tests stop the server at
either point); production never sets one."""


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
        known = sql.known_shas(db, items)
    except OperationalError as exc:
        raise _busy(batch_id, exc) from None
    for item in items:
        if (item.id, item.rev, item.sha) not in known:
            validate_item(item, lang)
    return PushJob(who=who, batch_id=batch_id, items=items, lang=lang, now=now, ip=ip)


def _busy(batch_id: str, exc: Exception) -> HqError:
    log.warning("push batch %s: database unavailable: %s", batch_id, exc)
    return HqError(Kind.UNAVAILABLE, "busy")


class PushQueue:
    """Group commit: pushes that arrive while one is being written go together into the next transaction, so a
    hundred laptops coming online at once cost a handful of fsyncs instead of a hundred (each push keeps its own
    decisions, answers and audit row; only the commit is shared). The first waiting request leads: it takes every
    queued push, writes them, commits, and wakes the others with their answers."""

    GROUP_ITEMS = 5000  # at most this many items per transaction: keeps any one lock hold short

    def __init__(self, db: Database, on_stage: StageHook | None = None) -> None:
        self.db = db
        self.on_stage = on_stage
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
                if self.on_stage is not None:
                    self.on_stage("before_commit")
            for job, answer in zip(group, answers, strict=True):
                job.result = answer
            if self.on_stage is not None:
                self.on_stage("after_commit")
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


def _refresh_read_model(w: Writer, items: list[ParsedItem], decisions: list[Decision]) -> None:
    """The report rows of what this push stored, in its own transaction: a report never disagrees with an answer."""
    inspections: list[str] = []
    problems: list[str] = []
    for item, decision in zip(items, decisions, strict=True):
        if decision.result.status not in (ItemStatus.APPLIED, ItemStatus.CONFLICT):
            continue
        if item.kind == "inspection":
            inspections.append(item.id)
        elif item.kind == "problem":
            problems.append(item.id)
        elif isinstance(item.record, ProblemEvent):
            problems.append(item.record.problem_id)
    readmodel.refresh(w.conn, inspections=inspections, problems=problems)


def _apply(w: Writer, job: PushJob, *, careful: bool) -> PushResponse:
    """Decide and write one push inside the given transaction; `careful` puts each item in its own savepoint."""
    lang = job.lang
    batch = Batch(job.who, sql.load(w.conn, job.who, job.items), w.next_change_id, lang=lang, now=job.now)
    decisions = [batch.decide(item) for item in job.items]
    touches = batch.touch_ops()
    if careful:
        for decision in decisions:
            try:
                with w.conn.begin_nested():
                    sql.run_ops(w.conn, decision.ops)
            except (IntegrityError, DataError) as exc:
                detail = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
                text = REASONS("store_failed", lang, detail=detail)
                decision.result = decision.result.model_copy(
                    update={"status": ItemStatus.REJECTED, "state": "rejected", "server_version": None, "message": text}
                )
                decision.photos = ()
                decision.reason = "store_failed"
        sql.run_ops(w.conn, touches)
    else:
        sql.run_ops(w.conn, [op for d in decisions for op in d.ops] + touches)
    _refresh_read_model(w, job.items, decisions)
    missing = sql.missing_attachments(
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
    for d in decisions:  # each rejected item is a refusal too, coalesced with its repeats like any other
        if d.result.status is ItemStatus.REJECTED:
            audit.refuse(
                w.conn,
                actor=job.who.user,
                ip=job.ip,
                action=PUSH_ACTION,
                reason=d.reason or "rejected",
                at=job.now,
                device_id=job.who.device_id,
                kind=d.result.kind,
                id=d.result.id,
                rev=d.result.rev,
            )
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
