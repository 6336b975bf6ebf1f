"""The problem state machine: a problem's status is the fold of its append-only events.

Why a fold and not a stored status: two people may act on one problem while offline. Every event is kept; the
order is HQ's `server_order` (device clocks are not trusted), and an event that turns out to be illegal at its
place in that order is kept, skipped for the status and reported as a conflict for a reviewer. The device and the
server run this same fold, so they agree on the status and on which events conflict.

The machine (the states are the ones the offices' ledgers use; the transitions between them are choices made here,
since no published rule spells them out):

    登记 ─交办→ 已交办 ─开始整改→ 整改中 ─提交整改→ 待复查 ─复查通过→ 待销号 ─销号→ 已销号 ─反弹→ 已交办
    待复查 ─销号→ 已销号                待复查 / 待销号 ─复查不通过→ 整改中
    已交办 / 整改中 ─挂账→ 挂账 ─交办 / 开始整改 / 提交整改→ …
    any open state ─作废→ 作废          跟进记录 (NOTE) changes nothing, anywhere

- 销号制: a passed re-inspection (复查通过, with its after-photo) is the basis of 销号, not 销号 itself. The field
  inspector's 「已整改」 leaves the problem 待销号; the office closes it (CLOSE, a reviewer's act, REVIEWER_ONLY), on
  the re-inspection or straight from 待复查 on the unit's submitted evidence. HQ may let inspectors close directly
  (its `inspectors_close` setting, off by default): HQ then closes on their behalf (sync/hq/services/push/decide.py).
- 复查不通过 is also legal from 已交办 / 整改中: 回头看 happens whether or not the unit has reported a fix; and from
  待销号: the office may find the re-inspection's evidence wanting.
- 提交整改 is legal from 登记 too: 立行立改 problems are often fixed before anyone assigns them.
- 反弹 puts a closed problem back to 已交办: the same unit, the deadline clock restarting on the 反弹 date.
- 作废 is legal from every open state (a misjudgement can surface late); closed and void problems stay history.

Deadlines: 立行立改 is due the day of assignment, N 天 counts calendar days, N 个工作日 skips Saturdays and Sundays.
Statutory holidays and their make-up working days (调休) are NOT modelled: they change every year by State Council
notice, so a 工作日 deadline across 春节 or 国庆 comes out earlier than the office would count it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import ClassVar

from checklists.i18n import Catalogue, Plural
from inspector.core.records import DeadlineKind, DeadlineRule, EventKind, Problem, ProblemEvent, SyncState
from inspector.core.workdays import add_workdays

__all__ = [
    "OPEN_STATUSES",
    "OVERDUE_STATUSES",
    "PROBLEMS",
    "REVIEWER_ONLY",
    "TRANSITIONS",
    "Conflict",
    "IllegalTransition",
    "ProblemActionError",
    "ProblemStatus",
    "ProblemView",
    "ReviewConclusion",
    "Transition",
    "apply_event",
    "deadline_text",
    "due_date",
    "event_label",
    "fold",
    "is_overdue",
    "local_date",
    "next_status",
    "ordered_events",
]


class ProblemStatus(StrEnum):
    REGISTERED = "registered"  # 登记
    ASSIGNED = "assigned"  # 已交办
    IN_PROGRESS = "in_progress"  # 整改中
    AWAITING_REVIEW = "awaiting_review"  # 待复查
    AWAITING_CLOSE = "awaiting_close"  # 待销号: re-inspected as fixed, waiting for the office's 销号
    CLOSED = "closed"  # 已销号
    VOID = "void"  # 作废
    SHELVED = "shelved"  # 挂账

    def label(self, lang: str = "zh") -> str:
        return PROBLEMS(f"problem_status.{self.value}", lang)


PROBLEMS = Catalogue(
    "problems",
    {
        "problem_status.registered": ("登记", "registered"),
        "problem_status.assigned": ("已交办", "assigned"),
        "problem_status.in_progress": ("整改中", "in progress"),
        "problem_status.awaiting_review": ("待复查", "awaiting re-inspection"),
        "problem_status.awaiting_close": ("待销号", "awaiting closure"),
        "problem_status.closed": ("已销号", "closed"),
        "problem_status.void": ("作废", "void"),
        "problem_status.shelved": ("挂账", "shelved"),
        "problem_event.register": ("登记", "register"),
        "problem_event.assign": ("交办", "assign"),
        "problem_event.start": ("开始整改", "start rectification"),
        "problem_event.submit_fix": ("提交整改", "submit the fix"),
        "problem_event.review_pass": ("复查通过", "pass the re-inspection"),
        "problem_event.review_fail": ("复查不通过", "fail the re-inspection"),
        "problem_event.close": ("销号", "close"),
        "problem_event.void": ("作废", "void"),
        "problem_event.shelve": ("挂账", "shelve"),
        "problem_event.reopen": ("反弹", "reopen"),
        "problem_event.note": ("跟进记录", "note"),
        "problem.illegal_transition": (
            "问题当前为「{status}」，不能「{event}」（只能在{allowed}时进行）",
            "the problem is {status}: cannot {event} (allowed when: {allowed})",
        ),
        "problem.allowed_status": ("「{status}」", "{status}"),
        "problem.list_sep": ("、", ", "),
        "deadline.immediate": ("立行立改", "immediately"),
        "deadline.days": ("{n} 天", Plural("{n} day", "{n} days")),
        "deadline.workdays": ("{n} 个工作日", Plural("{n} working day", "{n} working days")),
        "review.passed": ("通过", "passed"),
        "review.failed": ("不通过", "failed"),
    },
    # Labels looked up by enum value.
    prefixes=("problem_status.", "problem_event.", "deadline.", "review."),
)


def event_label(kind: EventKind, lang: str = "zh") -> str:
    return PROBLEMS(f"problem_event.{kind.value}", lang)


OPEN_STATUSES = frozenset(
    {
        ProblemStatus.REGISTERED,
        ProblemStatus.ASSIGNED,
        ProblemStatus.IN_PROGRESS,
        ProblemStatus.AWAITING_REVIEW,
        ProblemStatus.AWAITING_CLOSE,
        ProblemStatus.SHELVED,
    }
)

# 逾期 is owed by the responsible unit: once a fix is submitted (待复查, 待销号) the wait is the reviewers', and 挂账
# means the office has accepted a long-term job with no running deadline.
OVERDUE_STATUSES = frozenset({ProblemStatus.REGISTERED, ProblemStatus.ASSIGNED, ProblemStatus.IN_PROGRESS})

# What HQ refuses from an inspector's device: office decisions. 复查 (pass/fail), 反弹 and notes are field work.
REVIEWER_ONLY = frozenset({EventKind.ASSIGN, EventKind.CLOSE, EventKind.VOID, EventKind.SHELVE})


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the machine: the event is legal from `sources`, and leads to `target` (None: no change)."""

    sources: frozenset[ProblemStatus]
    target: ProblemStatus | None


_S = ProblemStatus
TRANSITIONS: Mapping[EventKind, Transition] = {
    # The 登记 event marks the birth; a problem record starts as 登记, so the event changes nothing.
    EventKind.REGISTER: Transition(frozenset({_S.REGISTERED}), _S.REGISTERED),
    EventKind.ASSIGN: Transition(frozenset({_S.REGISTERED, _S.ASSIGNED, _S.IN_PROGRESS, _S.SHELVED}), _S.ASSIGNED),
    EventKind.START: Transition(frozenset({_S.ASSIGNED, _S.SHELVED}), _S.IN_PROGRESS),
    EventKind.SUBMIT_FIX: Transition(
        frozenset({_S.REGISTERED, _S.ASSIGNED, _S.IN_PROGRESS, _S.SHELVED}), _S.AWAITING_REVIEW
    ),
    EventKind.REVIEW_PASS: Transition(frozenset({_S.AWAITING_REVIEW}), _S.AWAITING_CLOSE),
    EventKind.REVIEW_FAIL: Transition(
        frozenset({_S.ASSIGNED, _S.IN_PROGRESS, _S.AWAITING_REVIEW, _S.AWAITING_CLOSE}), _S.IN_PROGRESS
    ),
    EventKind.CLOSE: Transition(frozenset({_S.AWAITING_REVIEW, _S.AWAITING_CLOSE}), _S.CLOSED),
    EventKind.VOID: Transition(OPEN_STATUSES, _S.VOID),
    EventKind.SHELVE: Transition(frozenset({_S.ASSIGNED, _S.IN_PROGRESS}), _S.SHELVED),
    EventKind.REOPEN: Transition(frozenset({_S.CLOSED}), _S.ASSIGNED),
    EventKind.NOTE: Transition(frozenset(ProblemStatus), None),
}


class ProblemActionError(Exception):
    """A refused action on a problem: a message key (of `catalogue`) and its values, worded where it is shown
    (`reason(lang)`); `str()` is the Chinese."""

    catalogue: ClassVar[Catalogue] = PROBLEMS

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(self.reason("zh"))

    def reason(self, lang: str = "zh") -> str:
        return self.catalogue(self.key, lang, **self.values)


class IllegalTransition(ProblemActionError):
    """The event is not allowed in the problem's current state; the reason names both and what would be allowed."""

    def __init__(self, status: ProblemStatus, kind: EventKind) -> None:
        self.status = status
        self.kind = kind
        super().__init__("problem.illegal_transition")

    def reason(self, lang: str = "zh") -> str:
        allowed = sorted(TRANSITIONS[self.kind].sources, key=list(ProblemStatus).index)
        names = PROBLEMS("problem.list_sep", lang).join(
            PROBLEMS("problem.allowed_status", lang, status=s.label(lang)) for s in allowed
        )
        return PROBLEMS(
            self.key, lang, status=self.status.label(lang), event=event_label(self.kind, lang), allowed=names
        )


def next_status(status: ProblemStatus, event: ProblemEvent | EventKind) -> ProblemStatus:
    """The status after the event, or IllegalTransition when the machine does not allow it."""
    kind = event.kind if isinstance(event, ProblemEvent) else event
    rule = TRANSITIONS[kind]
    if status not in rule.sources:
        raise IllegalTransition(status, kind)
    return status if rule.target is None else rule.target


# deadlines ------------------------------------------------------------------------------------------------------


def due_date(start: date, rule: DeadlineRule) -> date:
    """The last day still in time."""
    return deadline_of(start, rule)[0]


def deadline_of(start: date, rule: DeadlineRule) -> tuple[date, bool]:
    """(the last day still in time, whether it is exact). 工作日 follow China's official calendar, holidays and 调休
    included (workdays.py); across a year whose arrangement is not known yet they skip weekends only, and the
    deadline is not exact."""
    if rule.kind is DeadlineKind.IMMEDIATE:
        return start, True
    if rule.kind is DeadlineKind.DAYS:
        return start + timedelta(days=rule.n), True
    return add_workdays(start, rule.n)


def deadline_text(rule: DeadlineRule, lang: str = "zh") -> str:
    """How a ledger writes a deadline rule: 立行立改 / 3 天 / 5 个工作日."""
    if rule.kind is DeadlineKind.IMMEDIATE:
        return PROBLEMS("deadline.immediate", lang)
    return PROBLEMS(f"deadline.{rule.kind.value}", lang, n=rule.n)


def local_date(moment: datetime, tz: tzinfo | None = None) -> date:
    """The calendar date of a stored (UTC) time where the people are: `tz`, or this computer's local zone."""
    return moment.astimezone(tz).date()


# the fold -------------------------------------------------------------------------------------------------------


class ReviewConclusion(StrEnum):
    PASSED = "passed"  # 复查通过
    FAILED = "failed"  # 复查不通过

    def label(self, lang: str = "zh") -> str:
        return PROBLEMS(f"review.{self.value}", lang)


@dataclass(frozen=True, slots=True)
class Conflict:
    """An event kept in the history but skipped for the status: it was illegal where the server order put it."""

    event: ProblemEvent
    status: ProblemStatus  # the status the event met
    error: IllegalTransition

    def reason(self, lang: str = "zh") -> str:
        return self.error.reason(lang)


@dataclass(slots=True)
class ProblemView:
    """What the ledger shows for a problem: the result of folding its events."""

    problem_id: str
    status: ProblemStatus
    responsible_unit: str  # as last assigned (the site's unit until then)
    deadline: DeadlineRule  # as last assigned (the default by severity until then)
    found_on: date
    assigned_on: date | None  # the last 交办 or 反弹: where the deadline clock starts
    due: date  # due_date(assigned_on or found_on, deadline)
    due_exact: bool = True  # False: counted across a year whose holiday arrangement is not known (weekends only)
    closed_at: datetime | None = None  # the 销号 (CLOSE); a passed re-inspection only makes it 待销号
    rectification_note: str = ""  # 整改情况: the last 提交整改
    after_photos: list[str] = field(default_factory=list)  # 整改后照片, every submitted fix and passed review
    review: ReviewConclusion | None = None  # 复查结论: the last 复查
    review_note: str = ""
    reopened: int = 0  # how many times it came back (反弹)
    events: list[ProblemEvent] = field(default_factory=list)  # in fold order, conflicts included
    conflicts: list[Conflict] = field(default_factory=list)
    refused: list[ProblemEvent] = field(default_factory=list)  # events HQ rejected; their reason is in event.sync

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def applied(self) -> list[ProblemEvent]:
        """The events that took effect: `events` without the conflicts and the ones HQ refused."""
        skipped = {c.event.id for c in self.conflicts} | {e.id for e in self.refused}
        return [e for e in self.events if e.id not in skipped]


def ordered_events(events: Iterable[ProblemEvent]) -> list[ProblemEvent]:
    """Fold order: 登记 first (it is the birth, nothing precedes it), then HQ's server order, then the events HQ has
    not numbered yet (local, unsynced) in the order they were appended. A repeated event id counts once.

    Unsynced events keep their append order rather than device-time order: they were all made on this device, each
    checked by `apply_event` against the ones before it, and a clock corrected backwards between two of them must
    not swap them. Push them in this order and HQ numbers them the same way."""
    unique: dict[str, ProblemEvent] = {}
    for event in events:
        unique.setdefault(event.id, event)

    def key(event: ProblemEvent) -> tuple[int, int, int]:
        birth = 0 if event.kind is EventKind.REGISTER else 1
        if event.server_order is None:
            return (birth, 1, 0)
        return (birth, 0, event.server_order)

    return sorted(unique.values(), key=key)  # stable: equal keys keep list order


def fold(problem: Problem, tz: tzinfo | None = None) -> ProblemView:
    """Replay the events in fold order. Illegal ones are kept and reported in `conflicts`, never dropped."""
    view = ProblemView(
        problem_id=problem.id,
        status=ProblemStatus.REGISTERED,
        responsible_unit=problem.responsible_unit,
        deadline=problem.deadline,
        found_on=local_date(problem.found_at, tz),
        assigned_on=None,
        due=local_date(problem.found_at, tz),
    )
    for event in ordered_events(problem.events):
        view.events.append(event)
        if event.sync is not None and event.sync.state is SyncState.REJECTED:  # HQ's wire copies carry no sync
            view.refused.append(event)  # HQ refused it for good (e.g. a role it lacked): shown, never applied
            continue
        try:
            status = next_status(view.status, event)
        except IllegalTransition as error:
            view.conflicts.append(Conflict(event, view.status, error))
            continue
        _apply_details(view, event, tz)
        view.status = status
    view.due, view.due_exact = deadline_of(view.assigned_on or view.found_on, view.deadline)
    return view


def _apply_details(view: ProblemView, event: ProblemEvent, tz: tzinfo | None) -> None:
    """What a legal event records besides the status change."""
    kind = event.kind
    if kind in (EventKind.ASSIGN, EventKind.REOPEN):
        if event.responsible_unit:
            view.responsible_unit = event.responsible_unit
        if event.deadline is not None:
            view.deadline = event.deadline
        view.assigned_on = local_date(event.device_time, tz)
    if kind is EventKind.REOPEN:
        view.reopened += 1
        view.closed_at = None
        view.review = None
        view.review_note = ""
    elif kind is EventKind.SUBMIT_FIX:
        view.rectification_note = event.note.strip()
        view.after_photos.extend(p for p in event.photos if p not in view.after_photos)
    elif kind is EventKind.REVIEW_PASS:
        view.review, view.review_note = ReviewConclusion.PASSED, event.note.strip()
        view.after_photos.extend(p for p in event.photos if p not in view.after_photos)
    elif kind is EventKind.REVIEW_FAIL:
        view.review, view.review_note = ReviewConclusion.FAILED, event.note.strip()
    elif kind is EventKind.CLOSE:
        view.closed_at = event.device_time


def is_overdue(view: ProblemView, today: date) -> bool:
    """逾期: derived, never stored. The due day itself is still in time; 待复查, 待销号, 挂账, closed and void never
    are."""
    return view.status in OVERDUE_STATUSES and today > view.due


def apply_event(problem: Problem, event: ProblemEvent, tz: tzinfo | None = None) -> Problem:
    """Append an event the device is about to record, after checking it against the current fold.

    Returns a new Problem (the input is not changed). Raises IllegalTransition with the reason, or ValueError when
    the event belongs to another problem."""
    if event.problem_id != problem.id:
        raise ValueError(f"event {event.id} is for problem {event.problem_id}, not {problem.id}")
    view = fold(problem, tz)
    next_status(view.status, event)
    return problem.model_copy(update={"events": [*problem.events, event]})
