"""A reviewer's decisions on problems from the console: 交办, 销号, 作废 and 挂账, one problem or every one a filter
holds.

Nothing here edits a row. Each decision becomes the same `ProblemEvent` a reviewer's laptop would make (built by
inspector/core/submission.py, checked against the problem's fold), and goes through the push queue like a device's
push: numbered by HQ's counter, folded, written to the read model in the same transaction, and pulled by every
device that sees the problem at its next sync. The console is the event's device (`CONSOLE_DEVICE`), the signed-in
user its actor.

A bulk action answers per problem: refused ones (a 销号 of a problem not waiting for it, a 销号 without the 复查's
after-photo) are counted with their reason and do not stop the others.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from inspector.core.problems import ProblemActionError, fold
from inspector.core.records import DeadlineRule, Problem, ProblemEvent
from inspector.core.submission import (
    ActionResult,
    MissingAfterPhoto,
    assign_events,
    close_events,
    shelve_events,
    void_events,
)
from sync.hq.db import Database, in_chunks
from sync.hq.db.models import docs
from sync.hq.services import audit
from sync.hq.services.auth import Principal
from sync.hq.services.console_auth import ConsoleUser
from sync.hq.services.errors import HqError, Kind
from sync.hq.services.pull import problems_json
from sync.hq.services.push.queue import PushQueue, prepare
from sync.hq.services.readmodel import REPORT_TZ
from sync.protocol import SERVER_FIELDS, ItemStatus, Role

__all__ = ["CONSOLE_DEVICE", "Action", "Outcome", "act"]

CONSOLE_DEVICE = "hq-console"  # the device id of events made in the web console
CHUNK = 1000  # events per push: far under the queue's group size, and a bounded body


class Action(StrEnum):
    ASSIGN = "assign"  # 交办
    CLOSE = "close"  # 销号
    VOID = "void"  # 作废
    SHELVE = "shelve"  # 挂账


@dataclass
class Outcome:
    """How a (bulk) action ended: how many took effect, and each refusal's reason with how many it stopped."""

    asked: int = 0
    applied: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # reason → how many problems
    changed: list[str] = field(default_factory=list)  # ids of the problems that took the event


def _problems(db: Database, ids: Sequence[str]) -> list[Problem]:
    found: list[Problem] = []
    with db.read() as conn:
        for chunk in in_chunks(list(dict.fromkeys(ids))):
            rows = list(
                conn.execute(
                    select(docs.c.id, docs.c.current_rev, docs.c.change_id).where(
                        docs.c.id.in_(chunk), docs.c.kind == "problem"
                    )
                )
            )
            found.extend(Problem.model_validate_json(text) for text in problems_json(conn, rows).values())
    return found


def _events(
    action: Action,
    problems: list[Problem],
    who: ConsoleUser,
    *,
    unit: str | None,
    rule: DeadlineRule | None,
    note: str,
    now: datetime,
) -> list[ActionResult]:
    actor, device = who.name, CONSOLE_DEVICE
    if action is Action.ASSIGN:
        return assign_events(problems, unit, rule, actor, device, note=note, now=now, tz=REPORT_TZ)
    if action is Action.VOID:
        return void_events(problems, actor, device, note=note, now=now, tz=REPORT_TZ)
    if action is Action.SHELVE:
        return shelve_events(problems, actor, device, note=note, now=now, tz=REPORT_TZ)
    # 销号 closes what the 复查 showed fixed: without an after-photo there is nothing to close on.
    shown = {p.id: bool(fold(p, REPORT_TZ).after_photos) for p in problems}
    photographed = [p for p in problems if shown[p.id]]
    refused = [ActionResult(p, None, MissingAfterPhoto()) for p in problems if not shown[p.id]]
    return close_events(photographed, actor, device, note=note, now=now, tz=REPORT_TZ) + refused


def _item(event: ProblemEvent) -> bytes:
    data = event.model_dump_json(exclude=set(SERVER_FIELDS["event"]))
    return (
        (
            f'{{"kind":"event","id":{json.dumps(event.id)},"rev":{json.dumps(event.sync.rev)},"base_rev":null,"data":'
        ).encode()
        + data.encode("utf-8")
        + b"}"
    )


def act(
    db: Database,
    pushes: PushQueue,
    who: ConsoleUser,
    action: Action,
    problem_ids: Sequence[str],
    *,
    unit: str | None = None,
    rule: DeadlineRule | None = None,
    note: str = "",
    lang: str = "zh",
    now: datetime,
    ip: str | None,
) -> Outcome:
    """Make `action`'s event for each problem and push them as the console. INVALID when a required reason is
    missing (作废 and 挂账 need one)."""
    if who.role not in (Role.REVIEWER, Role.ADMIN):
        raise HqError(Kind.FORBIDDEN, "forbidden", roles="reviewer or admin", user=who.name, role=who.role.value)
    note = note.strip()
    if action in (Action.VOID, Action.SHELVE) and not note:
        raise HqError(Kind.INVALID, "reason_needed", key="action_reason")
    outcome = Outcome(asked=len(set(problem_ids)))
    problems = _problems(db, problem_ids)
    outcome.refused["not_found"] += outcome.asked - len(problems)
    results = _events(action, problems, who, unit=unit, rule=rule, note=note, now=now)
    made: list[ProblemEvent] = []
    for result in results:
        if result.event is None:
            assert isinstance(result.error, ProblemActionError)
            outcome.refused[result.reason(lang)] += 1
        else:
            made.append(result.event)
    principal = Principal(user_id=who.user_id, user=who.name, role=who.role, device_id=CONSOLE_DEVICE)
    for start in range(0, len(made), CHUNK):
        chunk = made[start : start + CHUNK]
        body = b'{"batch_id":"' + chunk[0].id.encode() + b'","items":[' + b",".join(map(_item, chunk)) + b"]}"
        answer = pushes.run(prepare(db, principal, body, lang=lang, now=now, ip=ip))
        for event, answered in zip(chunk, answer.results, strict=True):
            if answered.status is ItemStatus.APPLIED:
                outcome.applied += 1
                outcome.changed.append(event.problem_id)
            else:  # a conflict (someone acted first) or a rejection: HQ's own words say which
                outcome.refused[answered.message or answered.status.value] += 1
    with db.small_write() as conn:
        audit.record(
            conn,
            action=f"console_{action.value}",
            actor=who.name,
            at=now,
            ip=ip,
            device_id=CONSOLE_DEVICE,
            asked=outcome.asked,
            applied=outcome.applied,
            refused=sum(outcome.refused.values()),
            unit=unit,
            deadline=None if rule is None else rule.model_dump(mode="json"),
            note=note[:200],
        )
    return outcome
