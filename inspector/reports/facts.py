"""The rows every report is computed from, and how each is derived from the records.

A laptop derives them from its store on the fly; HQ derives them when a push is accepted and keeps them in its read
model (sync/hq/services/readmodel.py). Both call the functions here, with the same `fold` and the same tally, so the
bulletin, the ranking and the ledger give the same numbers at both ends for the same records.

A fact holds what a report reads and nothing else: no result text beyond the wording shown, no event list (the
dates of 反弹 and the counts are kept instead), so HQ can hold 150,000 problems as narrow rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from hashlib import sha256
from typing import NamedTuple

from checklists.schema import Checklist
from inspector.core.problems import (
    OVERDUE_STATUSES,
    ProblemStatus,
    ProblemView,
    ReviewConclusion,
    due_date,
    local_date,
)
from inspector.core.records import (
    DeadlineRule,
    EventKind,
    Inspection,
    InspectionStatus,
    Problem,
    Severity,
    Verdict,
)
from inspector.core.scoring import rate_text, score, score_rate

__all__ = [
    "CHINA_TZ",
    "Filters",
    "InspectionFact",
    "ItemFact",
    "ProblemFact",
    "Tally",
    "Window",
    "inspection_day",
    "inspection_fact",
    "item_facts",
    "problem_fact",
    "problem_number",
    "tally",
]

# China keeps one offset all year; HQ counts days in it, so a report's period means the same days everywhere.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Tally:
    """符合 / 不符合 / 不适用 counts of one or more inspections; 得分率 = 符合 / (符合 + 不符合)."""

    passed: int = 0
    failed: int = 0
    not_applicable: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.passed + other.passed, self.failed + other.failed, self.not_applicable + other.not_applicable)

    @property
    def rate(self) -> float | None:
        return score_rate(self.passed, self.failed)

    def rate_text(self) -> str:
        return rate_text(self.rate)


def tally(inspection: Inspection, checklist: Checklist | None) -> Tally:
    """Scored against the checklist when we have it; otherwise from the recorded verdicts alone."""
    if checklist is not None:
        result = score(inspection, checklist)
        return Tally(result.passed, result.failed, result.not_applicable)
    verdicts = [r.verdict for r in inspection.results.values()]
    return Tally(verdicts.count(Verdict.PASS), verdicts.count(Verdict.FAIL), verdicts.count(Verdict.NA))


def inspection_day(inspection: Inspection, tz: tzinfo | None = None) -> date:
    """The local date an inspection counts for: when it was submitted, else finished, else started."""
    return local_date(_counted_at(inspection), tz)


def _counted_at(inspection: Inspection) -> datetime:
    return inspection.submitted_at or inspection.finished_at or inspection.started_at


class InspectionFact(NamedTuple):
    """One inspection as the reports count it.

    Facts are named tuples, not frozen dataclasses: as immutable, and made several times faster (a frozen
    dataclass sets each field through object.__setattr__), which a city-year's 26,000 inspections and 135,000
    problems read for one bulletin feel."""

    id: str
    site_id: str
    checklist: str  # id@version
    inspector: str
    batch: str
    submitted: bool
    counted_at: datetime  # submitted, else finished, else started: orders a site's inspections
    day: date  # counted_at's local date: the period it counts for
    started_at: datetime
    finished_at: datetime | None
    counts: Tally
    answered: int


def inspection_fact(inspection: Inspection, checklist: Checklist | None, tz: tzinfo | None) -> InspectionFact:
    counts = tally(inspection, checklist)
    return InspectionFact(
        id=inspection.id,
        site_id=inspection.site_id,
        checklist=f"{inspection.checklist_id}@{inspection.checklist_version}",
        inspector=inspection.inspector,
        batch=inspection.batch,
        submitted=inspection.status is InspectionStatus.SUBMITTED,
        counted_at=_counted_at(inspection),
        day=inspection_day(inspection, tz),
        started_at=inspection.started_at,
        finished_at=inspection.finished_at,
        counts=counts,
        answered=sum(1 for r in inspection.results.values() if r.verdict is not None),
    )


@dataclass(frozen=True, slots=True)
class ItemFact:
    """One checklist item of one inspection (unanswered items included, so the gaps show)."""

    inspection_id: str
    position: int  # the item's place in the checklist; results the checklist lacks follow it
    code: str
    title: str
    category: str  # the checklist section it is in: per-category statistics group by it
    verdict: Verdict | None
    severity: Severity | None  # a failure's: as recorded, else the item's
    description: str
    photos: int
    exemption: str


def item_facts(inspection: Inspection, checklist: Checklist | None) -> Iterator[ItemFact]:
    items = {item.code: item for item in checklist.items} if checklist else {}
    sections = {item.code: s.title for s in checklist.sections for item in s.items} if checklist else {}
    codes = list(items) + [code for code in inspection.results if code not in items]
    for position, code in enumerate(codes):
        result = inspection.results.get(code)
        item = items.get(code)
        verdict = result.verdict if result else None
        severity = None
        if result is not None and verdict is Verdict.FAIL:
            severity = result.severity or (item.severity if item else None)
        yield ItemFact(
            inspection_id=inspection.id,
            position=position,
            code=code,
            title=item.title if item else "",
            category=sections.get(code, ""),
            verdict=verdict,
            severity=severity,
            description=result.description if result else "",
            photos=len(result.photos) if result else 0,
            exemption=(result.exemption or "") if result else "",
        )


class ProblemFact(NamedTuple):
    """One problem with its current state, as `fold` leaves it (a named tuple, as InspectionFact says)."""

    id: str
    inspection_id: str
    site_id: str
    batch: str  # its inspection's 批次
    item_code: str
    item_text: str
    description: str
    severity: Severity
    cg_code: str | None
    found_at: datetime
    found_by: str
    photos: int
    status: ProblemStatus
    responsible_unit: str
    deadline: DeadlineRule
    found_on: date
    assigned_on: date | None
    due: date
    closed_at: datetime | None
    rectification_note: str
    after_photos: int
    review: ReviewConclusion | None
    review_note: str
    reopened_on: tuple[date, ...]  # the local date of each 反弹 that took effect
    conflicts: int
    # Later additions (HQ migration 0006); defaults so older callers and rows still build a fact.
    photo_ids: tuple[str, ...] = ()  # the before-photos' sha256, in order: a 整改通知书 embeds them when at hand
    extended: int = 0  # 延期: re-交办 without a 反弹 in between that moved the due day later
    fixed_on: date | None = None  # the local date of the last 提交整改 that took effect (按期整改率 reads it)

    @property
    def reopened(self) -> int:
        return len(self.reopened_on)

    def overdue_days(self, today: date) -> int:
        """逾期 days on `today`: derived, never stored. The due day itself is in time; 待复查, 挂账, closed and void
        never are overdue (the same rule as `is_overdue` on a view)."""
        if self.status not in OVERDUE_STATUSES or today <= self.due:
            return 0
        return (today - self.due).days


_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread


def problem_number(fact: ProblemFact) -> str:
    """问题编号 as a ledger prints it: the day found and 4 characters derived from the problem's id
    (20260501-7F3A). Short enough to read out on the phone, and the same at HQ and on every laptop because it is
    computed, never assigned. Two problems found the same day share a number once in about a million pairs."""
    digest = int.from_bytes(sha256(fact.id.encode()).digest()[:3], "big") >> 4  # 20 bits
    a = _NUMBER_ALPHABET
    tail = a[(digest >> 15) & 31] + a[(digest >> 10) & 31] + a[(digest >> 5) & 31] + a[digest & 31]
    day = fact.found_on
    return f"{day.year:04d}{day.month:02d}{day.day:02d}-{tail}"


def problem_fact(problem: Problem, view: ProblemView, batch: str, tz: tzinfo | None) -> ProblemFact:
    return ProblemFact(
        id=problem.id,
        inspection_id=problem.inspection_id,
        site_id=problem.site_id,
        batch=batch,
        item_code=problem.item_code,
        item_text=problem.item_text,
        description=problem.description,
        severity=problem.severity,
        cg_code=problem.cg_code,
        found_at=problem.found_at,
        found_by=problem.found_by,
        photos=len(problem.photos),
        status=view.status,
        responsible_unit=view.responsible_unit,
        deadline=view.deadline,
        found_on=view.found_on,
        assigned_on=view.assigned_on,
        due=view.due,
        closed_at=view.closed_at,
        rectification_note=view.rectification_note,
        after_photos=len(view.after_photos),
        review=view.review,
        review_note=view.review_note,
        reopened_on=tuple(local_date(e.device_time, tz) for e in view.applied if e.kind is EventKind.REOPEN),
        conflicts=len(view.conflicts),
        photo_ids=tuple(problem.photos),
        extended=_extensions(problem, view, tz),
        fixed_on=_fixed_on(view, tz),
    )


def _extensions(problem: Problem, view: ProblemView, tz: tzinfo | None) -> int:
    """How many times the due day was moved later by a new 交办 of a problem already assigned (a 反弹 starts a new
    round: its due day is a new deadline, not an extension)."""
    count = 0
    rule, due = problem.deadline, None
    for event in view.applied:
        if event.kind is EventKind.REOPEN:
            rule = event.deadline or rule
            due = due_date(local_date(event.device_time, tz), rule)
        elif event.kind is EventKind.ASSIGN:
            rule = event.deadline or rule
            new_due = due_date(local_date(event.device_time, tz), rule)
            if due is not None and new_due > due:
                count += 1
            due = new_due
    return count


def _fixed_on(view: ProblemView, tz: tzinfo | None) -> date | None:
    fixes = [e for e in view.applied if e.kind is EventKind.SUBMIT_FIX]
    return local_date(fixes[-1].device_time, tz) if fixes else None


@dataclass(frozen=True, slots=True)
class Filters:
    """What an export or a report may be narrowed to. Empty means everything."""

    date_from: date | None = None  # inspections by their day, problems by the day they were found
    date_to: date | None = None
    street: str | None = None
    community: str | None = None
    unit: str | None = None
    status: ProblemStatus | None = None
    overdue_on: date | None = None  # only problems overdue on this day
    batch: str | None = None

    def in_period(self, day: date) -> bool:
        return (self.date_from is None or day >= self.date_from) and (self.date_to is None or day <= self.date_to)


@dataclass(frozen=True, slots=True)
class Window:
    """The records a report over the period `date_from`..`date_to` reads, judged on `today`, with the period from
    `since` compared: what the 督查通报 reads. A source that can select records cheaply (HQ, in SQL) may return
    only these; any source may return more (a laptop returns everything), so the numbers cannot differ.

    Problems: found from `since` to `date_to`; open (so also overdue today, whenever found); closed in the period;
    reopened at some time (反弹 dates are kept as a list, the period tested on them by the report).
    Inspections: those counted from `since` to `date_to`, and each site's latest submitted one before `since` (回头看
    compares a site's latest inspection before the period with its latest in it)."""

    since: date
    date_from: date
    date_to: date
    today: date
