"""From field results to ledger events: problems born of a submission, re-inspection outcomes, reviewer bulk actions.

Everything here is a pure function: it reads records and returns new records and events; the caller saves them.
That keeps the rules testable without a store, and lets the TUI show what will happen before it happens.

Choices, following how the offices' published problem lists and ledgers work:
- Default deadline by severity: 严重 → 3 天, 一般 → 5 天 (荆州 problem lists: "整改时限：3 天 / 5 天"). 立行立改 is a
  judgement about the place, not the severity, so a reviewer sets it when assigning.
- A 不符合 on a site+item whose latest problem is closed (已销号) reopens that problem (反弹) INSTEAD of creating a
  new one: the ledger keeps one history, the bulletin does not count the same failure twice, and the new wording and
  photos travel in the 反弹 event. When the site+item still has an open problem, a new problem is created anyway:
  matching is by item, and two failures of one item (3 号楼 and 5 号楼) must never be merged into one.
- Ids are uuid5 of the inspection id and the item code (and the event kind), so a re-submit after a crash rebuilds
  exactly the same problems and events and the store overwrites instead of duplicating.
- 当场整改 (立行立改 on the spot): the inspector saw the fix made and photographed it; the problem is born with its
  提交整改 and 复查通过, so it stands 待销号 and waits only for the office's 销号. Its deadline is 立行立改.
- A correction (an inspection that supersedes another) replaces the earlier one's findings: each open problem of
  the superseded inspection is 作废 with the reason 「被更正的检查」 unless the correction fails its item again, in
  which case the problem is carried over (kept, with a 跟进记录 of the correction's wording and photos) and no new
  problem is made for that item. Either way the ledger counts each problem once.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from checklists.i18n import Catalogue
from checklists.schema import Checklist, Item, Severity
from inspector.core.ids import utcnow
from inspector.core.problems import (
    OPEN_STATUSES,
    IllegalTransition,
    ProblemActionError,
    ProblemStatus,
    apply_event,
    fold,
    next_status,
)
from inspector.core.records import (
    DeadlineKind,
    DeadlineRule,
    EventKind,
    Inspection,
    ItemResult,
    Problem,
    ProblemEvent,
    Site,
    Verdict,
)

__all__ = [
    "SUBMISSION",
    "ActionResult",
    "MissingAfterPhoto",
    "MissingUnit",
    "RecheckOutcome",
    "assign_events",
    "close_events",
    "corrected_reason",
    "correction_void_id",
    "default_deadline",
    "problem_id_for",
    "problems_for_submission",
    "recheck_events",
    "void_events",
]

# A fixed namespace: the same inspection and item give the same ids on every device and every run.
_ID_NAMESPACE = uuid.UUID("8a3c1f0e-5b7d-4e2a-9c61-2f4d8e0b7a15")


def problem_id_for(inspection_id: str, item_code: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"problem/{inspection_id}/{item_code}"))


def _event_id_for(inspection_id: str, item_code: str, kind: EventKind) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"event/{inspection_id}/{item_code}/{kind.value}"))


def default_deadline(severity: Severity) -> DeadlineRule:
    """严重 → 3 天, 一般 → 5 天 (荆州's 3 天 / 5 天 problem lists)."""
    return DeadlineRule(kind=DeadlineKind.DAYS, n=3 if severity is Severity.MAJOR else 5)


# problems from a submission -------------------------------------------------------------------------------------


def problems_for_submission(
    inspection: Inspection,
    checklist: Checklist | None,
    site: Site | None,
    existing_problems: Iterable[Problem],
    actor: str,
    device_id: str,
    tz: tzinfo | None = None,
    *,
    superseded: Collection[str] | None = None,
) -> tuple[list[Problem], list[ProblemEvent]]:
    """New problems (each with its 登记 event) and the events on earlier problems: 反弹 on a closed one per 不符合,
    and for a correction the 作废 and 跟进记录 of the superseded inspection's problems.

    `existing_problems` are the problems already in the store; those of this very inspection (left by a crashed
    submit) are ignored, since they are rebuilt identically. An event already saved by a crashed submit is returned
    again with the same id: the caller appends only events whose id the problem does not hold yet.
    `superseded`: the inspections this one corrects (the chain of `supersedes`); by default just its own
    `supersedes`. Failures are taken in checklist order; a result whose code the checklist lacks still becomes a
    problem: nothing the inspector found is lost."""
    existing = list(existing_problems)
    replaced = set(superseded if superseded is not None else ([inspection.supersedes] if inspection.supersedes else []))
    failures = _failures_in_order(inspection, checklist)
    found_at = inspection.submitted_at or inspection.finished_at or inspection.started_at
    carried, later_events = _correction_events(inspection, replaced, existing, failures, actor, device_id, found_at, tz)
    latest_by_item = _latest_other_problems(
        inspection, site, (p for p in existing if p.inspection_id not in replaced), tz
    )
    new_problems: list[Problem] = []
    for result, item in failures:
        if result.code in carried:
            continue
        severity = result.severity or (item.severity if item else Severity.MINOR)
        description = result.description or (item.title if item else result.code)
        previous = latest_by_item.get(result.code)
        reopen_id = _event_id_for(inspection.id, result.code, EventKind.REOPEN)
        if previous is not None and (
            fold(previous, tz).status is ProblemStatus.CLOSED or any(e.id == reopen_id for e in previous.events)
        ):
            reopen = ProblemEvent(
                id=reopen_id,
                problem_id=previous.id,
                kind=EventKind.REOPEN,
                actor=actor,
                device_id=device_id,
                device_time=found_at,
                note=description,
                photos=list(result.photos),
                deadline=_IMMEDIATE if result.fixed_on_spot else None,
            )
            later_events.append(reopen)
            later_events.extend(_fixed_on_spot(inspection.id, previous.id, result, actor, device_id, found_at))
            continue
        problem_id = problem_id_for(inspection.id, result.code)
        register = ProblemEvent(
            id=_event_id_for(inspection.id, result.code, EventKind.REGISTER),
            problem_id=problem_id,
            kind=EventKind.REGISTER,
            actor=actor,
            device_id=device_id,
            device_time=found_at,
        )
        new_problems.append(
            Problem(
                id=problem_id,
                inspection_id=inspection.id,
                site_id=inspection.site_id,
                item_code=result.code,
                item_text=item.text if item else result.code,
                description=description,
                severity=severity,
                photos=list(result.photos),
                responsible_unit=site.responsible_unit if site else "",
                deadline=_IMMEDIATE if result.fixed_on_spot else default_deadline(severity),
                found_at=result.answered_at or found_at,
                found_by=inspection.inspector or actor,
                cg_code=item.cg_code if item else None,
                events=[register, *_fixed_on_spot(inspection.id, problem_id, result, actor, device_id, found_at)],
                demo=inspection.demo,
            )
        )
    return new_problems, later_events


_IMMEDIATE = DeadlineRule(kind=DeadlineKind.IMMEDIATE, n=0)


def _fixed_on_spot(
    inspection_id: str, problem_id: str, result: ItemResult, actor: str, device_id: str, when: datetime
) -> list[ProblemEvent]:
    """A 当场整改: the fix the inspector watched (提交整改, with the after-photos), then its check (复查通过)."""
    if not (result.fixed_on_spot and result.after_photos):
        return []
    note = SUBMISSION("submission.fixed_on_spot", "zh")

    def event(kind: EventKind, photos: Sequence[str], offset: int) -> ProblemEvent:
        return ProblemEvent(
            id=_event_id_for(inspection_id, result.code, kind),
            problem_id=problem_id,
            kind=kind,
            actor=actor,
            device_id=device_id,
            device_time=when + timedelta(microseconds=offset),
            note=note,
            photos=list(photos),
        )

    return [event(EventKind.SUBMIT_FIX, result.after_photos, 1), event(EventKind.REVIEW_PASS, [], 2)]


def correction_void_id(correction_id: str, problem_id: str) -> str:
    """The id of the 作废 that the correction `correction_id` writes on `problem_id`: HQ takes an inspector's 作废 only
    when it is this one (sync/hq/services/push/decide.py)."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"event/{correction_id}/{problem_id}/void"))


def corrected_reason(lang: str = "zh") -> str:
    """The note of a 作废 written because the problem's inspection was corrected: 「被更正的检查」."""
    return SUBMISSION("submission.corrected", lang)


def _correction_events(
    inspection: Inspection,
    replaced: Collection[str],
    existing: Sequence[Problem],
    failures: Sequence[tuple[ItemResult, Item | None]],
    actor: str,
    device_id: str,
    when: datetime,
    tz: tzinfo | None,
) -> tuple[set[str], list[ProblemEvent]]:
    """(the item codes whose problem is carried over, the 作废 / 跟进记录 events on the superseded problems)."""
    if not replaced:
        return set(), []
    failing = {result.code: result for result, _ in failures}
    carried: set[str] = set()
    events: list[ProblemEvent] = []
    for problem in sorted((p for p in existing if p.inspection_id in replaced), key=lambda p: (p.found_at, p.id)):
        status = fold(problem, tz).status
        if status is ProblemStatus.VOID:
            continue
        result = failing.get(problem.item_code)
        key = f"event/{inspection.id}/{problem.id}"
        if result is not None and problem.item_code not in carried:
            carried.add(problem.item_code)
            text = SUBMISSION("submission.carried_over", "zh", description=result.description or problem.description)
            events.append(
                ProblemEvent(
                    id=str(uuid.uuid5(_ID_NAMESPACE, f"{key}/carry")),
                    problem_id=problem.id,
                    kind=EventKind.NOTE,
                    actor=actor,
                    device_id=device_id,
                    device_time=when,
                    note=text,
                    photos=list(result.photos),
                )
            )
        elif status in OPEN_STATUSES and result is None:
            events.append(
                ProblemEvent(
                    id=correction_void_id(inspection.id, problem.id),
                    problem_id=problem.id,
                    kind=EventKind.VOID,
                    actor=actor,
                    device_id=device_id,
                    device_time=when,
                    note=corrected_reason("zh"),
                )
            )
    return carried, events


def _failures_in_order(inspection: Inspection, checklist: Checklist | None) -> list[tuple[ItemResult, Item | None]]:
    items = {item.code: item for item in checklist.items} if checklist else {}
    order = list(items) + [code for code in inspection.results if code not in items]
    failures: list[tuple[ItemResult, Item | None]] = []
    for code in order:
        result = inspection.results.get(code)
        if result is not None and result.verdict is Verdict.FAIL:
            failures.append((result, items.get(code)))
    return failures


def _latest_other_problems(
    inspection: Inspection, site: Site | None, existing: Iterable[Problem], tz: tzinfo | None
) -> dict[str, Problem]:
    """For each item code at this site, the most recently found problem from another inspection."""
    site_id = site.id if site else inspection.site_id
    latest: dict[str, Problem] = {}
    for problem in existing:
        if problem.site_id != site_id or problem.inspection_id == inspection.id:
            continue
        if fold(problem, tz).status is ProblemStatus.VOID:
            continue
        current = latest.get(problem.item_code)
        if current is None or problem.found_at > current.found_at:
            latest[problem.item_code] = problem
    return latest


# re-inspection (复查 / 回头看) -------------------------------------------------------------------------------------


class RecheckOutcome(StrEnum):
    FIXED = "fixed"  # 已整改
    NOT_FIXED = "not_fixed"  # 未整改
    PARTLY = "partly"  # 部分整改

    def label(self, lang: str = "zh") -> str:
        return SUBMISSION(f"recheck_outcome.{self.value}", lang)


SUBMISSION = Catalogue(
    "submission",
    {
        "recheck_outcome.fixed": ("已整改", "fixed"),
        "recheck_outcome.not_fixed": ("未整改", "not fixed"),
        "recheck_outcome.partly": ("部分整改", "partly fixed"),
        "submission.missing_after_photo": (
            "已整改需要至少 1 张整改后照片（与整改前照片对比）",
            "'fixed' needs at least one after-photo (to compare with the before-photo)",
        ),
        "submission.assign_needs_unit": ("交办需要责任单位", "assigning needs a responsible unit"),
        "submission.fixed_on_spot": ("当场整改", "fixed on the spot"),
        "submission.corrected": ("被更正的检查", "corrected inspection"),
        "submission.carried_over": (
            "更正的检查仍不符合：{description}",
            "the corrected inspection still fails: {description}",
        ),
        "submission.recheck_again": ("复查已整改（待销号）", "re-inspected as fixed (awaiting closure)"),
    },
    prefixes=("recheck_outcome.",),  # labels looked up by the outcome's value
)


class MissingAfterPhoto(ProblemActionError, ValueError):
    """已整改 needs the after-photo that pairs with the before-photo (前后对比)."""

    catalogue = SUBMISSION

    def __init__(self) -> None:
        super().__init__("submission.missing_after_photo")


class MissingUnit(ProblemActionError):
    """交办 names the unit that must fix the problem: the action's own, else the one the problem already has."""

    catalogue = SUBMISSION

    def __init__(self) -> None:
        super().__init__("submission.assign_needs_unit")


def recheck_events(
    problem: Problem,
    outcome: RecheckOutcome | str,
    note: str,
    photos: Sequence[str],
    actor: str,
    device_id: str,
    *,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> list[ProblemEvent]:
    """The events one re-inspection answer produces, in order; the caller appends them with the store.

    已整改 → 复查通过 when a fix was submitted (待复查); otherwise 提交整改 (the fix the inspector saw, with the
    after-photos) then 复查通过. Either way the problem ends 待销号: the office's 销号 closes it (销号制). On a
    problem already 待销号 the new after-photos go in a 跟进记录.
    未整改 / 部分整改 → 复查不通过 (back to 整改中) where the machine allows it; on a problem not yet assigned or
    挂账 only a 跟进记录 is written, so the finding is kept without moving the problem.
    Raises MissingAfterPhoto, or IllegalTransition for a closed or void problem (nothing to re-inspect)."""
    outcome = RecheckOutcome(outcome)
    when = now or utcnow()
    status = fold(problem, tz).status
    if status not in OPEN_STATUSES:
        raise IllegalTransition(status, EventKind.REVIEW_PASS if outcome is RecheckOutcome.FIXED else EventKind.NOTE)
    note = note.strip()

    def event(kind: EventKind, text: str, pictures: Sequence[str], offset: int = 0) -> ProblemEvent:
        # One microsecond apart, so the audit trail by device time reads in the intended order too.
        return ProblemEvent(
            problem_id=problem.id,
            kind=kind,
            actor=actor,
            device_id=device_id,
            device_time=when + timedelta(microseconds=offset),
            note=text,
            photos=list(pictures),
        )

    if outcome is RecheckOutcome.FIXED:
        if not photos:
            raise MissingAfterPhoto()
        if status is ProblemStatus.AWAITING_REVIEW:
            return [event(EventKind.REVIEW_PASS, note, photos)]
        if status is ProblemStatus.AWAITING_CLOSE:
            again = SUBMISSION("submission.recheck_again", "zh")
            return [event(EventKind.NOTE, f"{again}：{note}" if note else again, photos)]
        next_status(status, EventKind.SUBMIT_FIX)
        return [event(EventKind.SUBMIT_FIX, note, photos), event(EventKind.REVIEW_PASS, note, [], offset=1)]
    text = f"{outcome.label('zh')}：{note}" if note else outcome.label("zh")
    try:
        next_status(status, EventKind.REVIEW_FAIL)
    except IllegalTransition:
        return [event(EventKind.NOTE, f"复查{text}", photos)]
    return [event(EventKind.REVIEW_FAIL, text, photos)]


# reviewer bulk actions ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActionResult:
    """One problem's answer to a bulk action: the updated problem and its new event, or why it was refused."""

    problem: Problem  # with the event appended when ok; unchanged when refused
    event: ProblemEvent | None
    error: ProblemActionError | None

    @property
    def ok(self) -> bool:
        return self.error is None

    def reason(self, lang: str = "zh") -> str:
        return "" if self.error is None else self.error.reason(lang)


def _bulk(problems: Iterable[Problem], make: _EventFactory, tz: tzinfo | None) -> list[ActionResult]:
    results: list[ActionResult] = []
    for problem in problems:
        try:
            event = make(problem, tz)
            results.append(ActionResult(apply_event(problem, event, tz), event, None))
        except ProblemActionError as error:
            results.append(ActionResult(problem, None, error))
    return results


class _EventFactory:
    """Builds one reviewer event per problem, all sharing actor, time and note."""

    def __init__(
        self,
        kind: EventKind,
        actor: str,
        device_id: str,
        note: str,
        now: datetime | None,
        unit: str | None = None,
        rule: DeadlineRule | None = None,
    ) -> None:
        self.kind, self.actor, self.device_id, self.note = kind, actor, device_id, note.strip()
        self.now = now or utcnow()
        self.unit = unit.strip() if unit else None
        self.rule = rule

    def __call__(self, problem: Problem, tz: tzinfo | None) -> ProblemEvent:
        unit = self.unit
        if self.kind is EventKind.ASSIGN and not (unit or fold(problem, tz).responsible_unit):
            raise MissingUnit()
        return ProblemEvent(
            problem_id=problem.id,
            kind=self.kind,
            actor=self.actor,
            device_id=self.device_id,
            device_time=self.now,
            note=self.note,
            responsible_unit=unit,
            deadline=self.rule,
        )


def assign_events(
    problems: Iterable[Problem],
    unit: str | None,
    rule: DeadlineRule | None,
    actor: str,
    device_id: str,
    *,
    note: str = "",
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> list[ActionResult]:
    """交办 each problem to `unit` with `rule` (None keeps the current one). Every problem gets its own answer."""
    return _bulk(problems, _EventFactory(EventKind.ASSIGN, actor, device_id, note, now, unit, rule), tz)


def close_events(
    problems: Iterable[Problem],
    actor: str,
    device_id: str,
    *,
    note: str = "",
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> list[ActionResult]:
    """销号 each problem (legal from 待复查 and 待销号); refusals carry the reason and do not stop the others."""
    return _bulk(problems, _EventFactory(EventKind.CLOSE, actor, device_id, note, now), tz)


def void_events(
    problems: Iterable[Problem],
    actor: str,
    device_id: str,
    *,
    note: str = "",
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> list[ActionResult]:
    """作废 each problem (误报、不立案); legal from every open state."""
    return _bulk(problems, _EventFactory(EventKind.VOID, actor, device_id, note, now), tz)


def shelve_events(
    problems: Iterable[Problem],
    actor: str,
    device_id: str,
    *,
    note: str = "",
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> list[ActionResult]:
    """挂账 each problem: a long-term job the office accepts, with no running deadline (the note says why)."""
    return _bulk(problems, _EventFactory(EventKind.SHELVE, actor, device_id, note, now), tz)
