"""The per-kind decisions of a push, in memory: given what HQ holds for the ids a batch names (`Holdings`, loaded
by sql.py), what happens to each item, and the rows to write for it. No database here: a test can build Holdings
by hand and check every rule.

Rules per kind:
- inspection: submitted only; immutable (a new rev of a stored id is rejected: a correction is a new inspection
  naming the one it supersedes); one walked at a demo site (its `demo` marker) is refused, for good.
- problem: created by a device on submit (refused, for good, when found at a demo site); a later rev applies when
  based on HQ's current rev, else it is kept as a conflict for a reviewer.
- event: append-only; 交办/销号/作废/挂账 only from reviewers and admins, except the 作废 an inspector's correction
  writes on the problems of the inspection it superseded; HQ numbers it (`server_order`) from the change counter
  and folds the problem in that order: an event that is illegal there is kept, marked as a conflict. With the
  `inspectors_close` setting, an inspector's 复查通过 is followed by HQ's own 销号 (the problem closes instead of
  waiting 待销号); its id derives from the 复查's, so a retried push finds it again.
(id, rev) is the idempotency key: the same content again is a duplicate, other content under a used rev is rejected.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from inspector.core.problems import REVIEWER_ONLY, event_label, fold
from inspector.core.records import EventKind, InspectionStatus, Problem, ProblemEvent
from inspector.core.submission import correction_void_id
from sync.hq.db import sha256_text
from sync.hq.db.models import REF
from sync.hq.services.auth import Principal
from sync.hq.services.messages import REASONS
from sync.hq.services.push.parse import InspectionFacts, ParsedItem, validate_item
from sync.protocol import SERVER_FIELDS, ItemStatus, PushResult

Op = tuple[str, dict[str, Any]]  # (statement name, its parameters): sql.py knows the statements


@dataclass
class Doc:
    kind: str
    current_rev: str
    owner_user_id: int
    owner: str
    site_id: str
    current_sha: str | None = None


@dataclass
class Rev:
    sha: str
    state: str
    message: str | None
    server_version: int


@dataclass
class HeldEvent:
    rev: str
    sha: str
    conflict: str | None
    server_order: int


@dataclass
class Decision:
    result: PushResult
    ops: list[Op] = field(default_factory=list)
    photos: Sequence[str] = ()
    reason: str | None = None  # why a rejected item was refused: the REASONS key, audited as the refusal's code


@dataclass
class Holdings:
    """What HQ holds for the ids one batch names, read in the batch's write transaction."""

    docs: dict[str, Doc] = field(default_factory=dict)
    revs: dict[tuple[str, str], Rev] = field(default_factory=dict)
    events: dict[str, HeldEvent] = field(default_factory=dict)
    problem_events: dict[str, list[ProblemEvent]] = field(default_factory=dict)  # in server order
    problem_records: dict[str, Problem] = field(default_factory=dict)  # current version, without events
    assigned_sites: set[str] = field(default_factory=set)  # the asker's, when it does not see everything
    # inspection id → (the superseding inspection, its owner's user id), for the inspections of the problems named
    superseded_by: dict[str, tuple[str, int]] = field(default_factory=dict)
    inspectors_close: bool = False  # HQ's setting (services/settings.py)


# HQ's own 销号 after an inspector's 复查通过 (the inspectors_close setting): a fixed namespace, so the same 复查
# always gets the same 销号 id.
_CLOSE_NAMESPACE = uuid.UUID("5d0c9a4e-2b61-4f3e-8a7d-c1e94b2f6a30")


class Batch:
    """One batch being decided: the holdings, updated in memory as items are decided. `next_change_id` hands out
    the change counter's next value (the write transaction's, in production)."""

    def __init__(
        self,
        who: Principal,
        held: Holdings,
        next_change_id: Callable[[], int],
        *,
        lang: str,
        now: datetime,
    ) -> None:
        self.who = who
        self.held = held
        self.next_change_id = next_change_id
        self.lang = lang
        self.now = now
        self.touched: dict[str, None] = {}  # problems whose pull copy must be re-sent, in order
        self.demo_refused: set[str] = set()  # problems refused in this batch as a demo site's

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

    def _reject(self, item: ParsedItem, key: str, **values: Any) -> Decision:
        text = REASONS(key, self.lang, **values)
        return Decision(self._result(item, ItemStatus.REJECTED, state="rejected", msg=text), reason=key)

    def _known_rev(self, item: ParsedItem, sha: str) -> Decision | None:
        """The answer for an (id, rev) HQ already holds: a duplicate, or a rejection when the content differs."""
        known = self.held.revs.get((item.id, item.rev))
        if known is None:
            return None
        if known.sha != sha:
            return self._reject(item, "rev_reused", rev=item.rev)
        state: Literal["synced", "conflict"] = "conflict" if known.state == "conflict" else "synced"
        return Decision(
            self._result(item, ItemStatus.DUPLICATE, state=state, version=known.server_version, msg=known.message)
        )

    def _owned_by_other(self, doc: Doc) -> bool:
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
    def decide(self, item: ParsedItem) -> Decision:
        decision = self._decide(item)
        if decision.ops and decision.photos:  # stored: its photos become readable to whoever may read it
            doc_id = item.record.problem_id if isinstance(item.record, ProblemEvent) else item.id
            decision.ops.extend(
                ("ref_insert", {"sha256": sha, "kind": item.kind, "record_id": item.id, "doc_id": doc_id})
                for sha in dict.fromkeys(decision.photos)
            )
        return decision

    def _decide(self, item: ParsedItem) -> Decision:
        repeat = self._event_repeat(item) if item.kind == "event" else self._known_rev(item, item.sha)
        if repeat is not None:
            return repeat
        if item.record is None and item.error is None:
            validate_item(item, self.lang)  # skipped before the lock as a repeat, and yet it is not one
        if item.record is None:
            return Decision(
                self._result(item, ItemStatus.REJECTED, state="rejected", msg=item.error), reason="invalid_record"
            )
        if item.record.id != item.id:
            return self._reject(item, "id_mismatch", inner=item.record.id, outer=item.id)
        if isinstance(item.record, InspectionFacts):
            return self._inspection(item, item.record)
        if isinstance(item.record, Problem):
            return self._problem(item, item.record)
        return self._event(item, item.record)

    def _inspection(self, item: ParsedItem, record: InspectionFacts) -> Decision:
        if record.status is not InspectionStatus.SUBMITTED:
            return self._reject(item, "not_submitted")
        if record.demo:
            return self._reject(item, "demo_site")
        if len(record.site_id) > REF:
            return self._reject(item, "too_long", field="site_id", max=REF)
        data, sha = item.text, item.sha
        doc = self.held.docs.get(item.id)
        if doc is not None:
            if doc.kind != "inspection":
                return self._reject(item, "kind_clash", id=item.id, kind=doc.kind)
            if self._owned_by_other(doc):
                return self._reject(
                    item, "not_owner", kind="inspection", id=item.id, owner=doc.owner, user=self.who.user
                )
            return self._reject(item, "inspection_immutable", id=item.id, rev=doc.current_rev)
        ops: list[Op] = []
        if record.supersedes:
            target = self.held.docs.get(record.supersedes)
            if target is not None:
                if target.kind != "inspection":
                    return self._reject(item, "supersede_kind", target=record.supersedes)
                if self._owned_by_other(target):
                    return self._reject(item, "supersede_foreign", target=record.supersedes, owner=target.owner)
                ops.append(("doc_supersede", {"b_id": record.supersedes, "b_by": item.id}))
                self.held.superseded_by[record.supersedes] = (item.id, self.who.user_id)
        version = self.next_change_id()
        ops[:0] = [
            ("doc_insert", self._doc_row(item, record.site_id, version)),
            ("rev_insert", self._rev_row(item, sha, data, "synced", None, version)),
        ]
        self.held.docs[item.id] = Doc("inspection", item.rev, self.who.user_id, self.who.user, record.site_id, sha)
        self.held.revs[(item.id, item.rev)] = Rev(sha, "synced", None, version)
        photos = record.photos
        return Decision(self._result(item, ItemStatus.APPLIED, version=version), ops, photos)

    def _problem(self, item: ParsedItem, record: Problem) -> Decision:
        if record.demo:
            self.demo_refused.add(item.id)
            return self._reject(item, "demo_site")
        if len(record.site_id) > REF:
            return self._reject(item, "too_long", field="site_id", max=REF)
        data, sha = item.text, item.sha
        doc = self.held.docs.get(item.id)
        if doc is None:
            version = self.next_change_id()
            self.held.docs[item.id] = Doc("problem", item.rev, self.who.user_id, self.who.user, record.site_id, sha)
            self.held.revs[(item.id, item.rev)] = Rev(sha, "synced", None, version)
            self.held.problem_records[item.id] = record.model_copy(update={"events": []})
            ops = [
                ("doc_insert", self._doc_row(item, record.site_id, version)),
                ("rev_insert", self._rev_row(item, sha, data, "synced", None, version)),
            ]
            return Decision(self._result(item, ItemStatus.APPLIED, version=version), ops, record.photos)
        if doc.kind != "problem":
            return self._reject(item, "kind_clash", id=item.id, kind=doc.kind)
        current = self.held.revs.get((item.id, doc.current_rev))
        if sha == doc.current_sha:
            # Same content as HQ's current version (a device re-saved a problem while adding an event): nothing to
            # change and nobody's edit to protect, whoever sent it.
            kept = current.server_version if current else 0
            self.held.revs[(item.id, item.rev)] = Rev(sha, "synced", None, kept)
            ops = [("rev_insert", self._rev_row(item, sha, data, "synced", None, kept))]
            return Decision(self._result(item, ItemStatus.APPLIED, version=kept), ops, record.photos)
        if self._owned_by_other(doc):
            return self._reject(item, "not_owner", kind="problem", id=item.id, owner=doc.owner, user=self.who.user)
        version = self.next_change_id()
        base = self.held.revs.get((item.id, item.base_rev)) if item.base_rev else None
        if base is not None and base.sha == doc.current_sha:  # edited from what HQ holds now: apply
            doc.current_rev, doc.current_sha, doc.site_id = item.rev, sha, record.site_id
            self.held.revs[(item.id, item.rev)] = Rev(sha, "synced", None, version)
            self.held.problem_records[item.id] = record.model_copy(update={"events": []})
            self.touched.pop(item.id, None)  # this update already gives the problem a fresh change id
            ops = [
                ("doc_update", {"b_id": item.id, "b_rev": item.rev, "b_change": version, "b_site": record.site_id}),
                ("rev_insert", self._rev_row(item, sha, data, "synced", None, version)),
            ]
            return Decision(self._result(item, ItemStatus.APPLIED, version=version), ops, record.photos)
        text = REASONS("problem_stale", self.lang, id=item.id, current=doc.current_rev)
        self.held.revs[(item.id, item.rev)] = Rev(sha, "conflict", text, version)
        ops = [("rev_insert", self._rev_row(item, sha, data, "conflict", text, version))]
        return Decision(
            self._result(item, ItemStatus.CONFLICT, state="conflict", version=version, msg=text), ops, record.photos
        )

    def _event_repeat(self, item: ParsedItem) -> Decision | None:
        """The answer for an event id HQ already holds: events are append-only, so only an exact repeat passes."""
        known = self.held.events.get(item.id)
        if known is None:
            return None
        if known.rev != item.rev:
            return self._reject(item, "event_changed", id=item.id)
        if known.sha != item.sha:
            return self._reject(item, "rev_reused", rev=item.rev)
        state: Literal["synced", "conflict"] = "conflict" if known.conflict else "synced"
        return Decision(
            self._result(item, ItemStatus.DUPLICATE, state=state, version=known.server_order, msg=known.conflict)
        )

    def _event(self, item: ParsedItem, record: ProblemEvent) -> Decision:
        data, sha = item.text, item.sha
        problem = self.held.docs.get(record.problem_id)
        if record.problem_id in self.demo_refused:
            return self._reject(item, "demo_site")
        if problem is None or problem.kind != "problem" or record.problem_id not in self.held.problem_records:
            return self._reject(item, "unknown_problem", problem=record.problem_id)
        if record.kind in REVIEWER_ONLY and not self.who.sees_everything and not self._corrects(record):
            return self._reject(item, "reviewer_only", action=event_label(record.kind, self.lang), user=self.who.user)
        if not self.who.sees_everything and not (
            problem.owner_user_id == self.who.user_id or problem.site_id in self.held.assigned_sites
        ):
            return self._reject(item, "not_visible", problem=record.problem_id, user=self.who.user)
        order = self.next_change_id()
        numbered = record.model_copy(update={"server_order": order, "conflict": None})
        history = self.held.problem_events.setdefault(record.problem_id, [])
        folded = fold(self.held.problem_records[record.problem_id].model_copy(update={"events": [*history, numbered]}))
        reason = next((c.reason(self.lang) for c in folded.conflicts if c.event.id == record.id), None)
        numbered.conflict = reason
        history.append(numbered)
        self.held.events[item.id] = HeldEvent(item.rev, sha, reason, order)
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
        ops: list[Op] = [("event_insert", row)]
        if reason:
            result = self._result(item, ItemStatus.CONFLICT, state="conflict", version=order, msg=reason)
        else:
            result = self._result(item, ItemStatus.APPLIED, version=order)
            if record.kind is EventKind.REVIEW_PASS and self.held.inspectors_close and not self.who.sees_everything:
                ops.extend(self._close_for(record, history))
        return Decision(result, ops, record.photos)

    def _corrects(self, record: ProblemEvent) -> bool:
        """The very 作废 the asker's own correction derives (its id says which), on a problem of the inspection that
        correction superseded; any other 作废 stays the office's."""
        if record.kind is not EventKind.VOID:
            return False
        target: str | None = self.held.problem_records[record.problem_id].inspection_id
        seen: set[str] = set()
        while target is not None and target not in seen:  # a correction of a correction voids the first's problems
            seen.add(target)
            correction = self.held.superseded_by.get(target)
            if correction is None:
                return False
            by, owner = correction
            if owner == self.who.user_id and record.id == correction_void_id(by, record.problem_id):
                return True
            target = by
        return False

    def _close_for(self, passed: ProblemEvent, history: list[ProblemEvent]) -> list[Op]:
        """HQ's 销号 right after an inspector's 复查通过, when the setting lets inspectors close directly."""
        close_id = str(uuid.uuid5(_CLOSE_NAMESPACE, passed.id))
        if close_id in self.held.events:
            return []
        close = ProblemEvent(
            id=close_id,
            problem_id=passed.problem_id,
            kind=EventKind.CLOSE,
            actor=passed.actor,
            device_id=passed.device_id,
            device_time=passed.device_time + timedelta(microseconds=1),
            note=REASONS("inspectors_close", "zh"),
        )
        data = close.model_dump_json(exclude=set(SERVER_FIELDS["event"]))
        sha, order = sha256_text(data), self.next_change_id()
        history.append(close.model_copy(update={"server_order": order}))
        self.held.events[close_id] = HeldEvent(close_id, sha, None, order)
        row = {
            "id": close_id,
            "rev": close_id,
            "problem_id": close.problem_id,
            "kind": close.kind.value,
            "server_order": order,
            "conflict": None,
            "content_sha": sha,
            "user_id": self.who.user_id,
            "device_id": self.who.device_id,
            "received_at": self.now,
            "data": data,
        }
        return [("event_insert", row)]

    def touch_ops(self) -> list[Op]:
        """Give every problem that gained events a fresh change id, so pulls send it again with them."""
        return [("doc_touch", {"b_id": pid, "b_change": self.next_change_id()}) for pid in self.touched]
