"""One inspection walk: the rules of moving through a checklist and recording verdicts, with no UI.

The TUI's walk screen is a thin view over this class, so every rule here (auto-advance to the next unanswered
item, a failure needs its evidence, a submitted inspection is immutable) is tested without a terminal.
Every change goes through the store before the method returns: what the screen shows is already on disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import TYPE_CHECKING

from checklists.i18n import Catalogue
from checklists.schema import Checklist, Item, Severity
from inspector.core.demo import is_demo_site
from inspector.core.ids import utcnow
from inspector.core.records import Attachment, Inspection, InspectionStatus, ItemResult, Problem, Site, Verdict
from inspector.core.scoring import Score, score
from inspector.core.store import Store, StoreError

if TYPE_CHECKING:
    from inspector.core.problems import ProblemStatus

WALK_RULES = Catalogue(
    "walk_rules",
    {
        "walk_rule.submitted_immutable": (
            "这次检查已提交，不能再修改。",
            "This inspection is submitted and cannot change.",
        ),
        "walk_rule.details_need_failure": ("只有不符合的条目才有问题描述。", "Only a failed item has problem details."),
        "walk_rule.not_an_exemption": (
            "不是此条目的豁免情形：{exemption}",
            "Not an exemption of this item: {exemption}",
        ),
        "walk_rule.already_submitted": ("这次检查已提交。", "Already submitted."),
        "walk_rule.not_ready": (
            "还有未判定的条目或缺少证据，不能提交。",
            "Unanswered items or missing evidence: cannot submit.",
        ),
        "walk_rule.photos_short": (
            "{code} {title} 要求至少 {min} 张照片（如近景、远景），现有 {n} 张，不能提交。",
            "{code} {title} asks for at least {min} photos (e.g. close-up and wide), has {n}: cannot submit.",
        ),
        "walk_rule.description_missing": (
            "{code} {title} 缺少问题描述，不能提交。",
            "{code} {title} has no problem description: cannot submit.",
        ),
    },
)


class WalkError(StoreError):
    """A walk rule was broken (e.g. changing a submitted inspection): a message key of `WALK_RULES` and its values,
    worded in the user's language where it is shown (`message(lang)`); `str()` is the Chinese."""

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(self.message("zh"))

    def message(self, lang: str = "zh") -> str:
        return WALK_RULES(self.key, lang, **self.values)


@dataclass(frozen=True, slots=True)
class EvidenceGap:
    """A 不符合 that cannot be submitted yet, and why."""

    code: str
    missing_description: bool
    photos_needed: int  # how many more photos the item's evidence rule asks for
    title: str = ""
    photos_min: int = 0  # the item's evidence rule
    photos_have: int = 0

    def message(self, lang: str = "zh") -> str:
        """What stops the submit, naming the item: the first thing missing."""
        if self.missing_description:
            return WALK_RULES("walk_rule.description_missing", lang, code=self.code, title=self.title)
        return WALK_RULES(
            "walk_rule.photos_short", lang, code=self.code, title=self.title, min=self.photos_min, n=self.photos_have
        )


@dataclass(frozen=True, slots=True)
class EarlierProblem:
    """A problem found at this site on this item before, still open or closed last: what the walk shows."""

    description: str
    found_on: date
    status: ProblemStatus
    due: date
    unit: str
    reopened: int  # how many times it came back (反弹)
    overdue: bool


@dataclass(frozen=True, slots=True)
class LastVerdict:
    verdict: Verdict
    day: date  # local date of the inspection that gave it


@dataclass(frozen=True, slots=True)
class ItemHistory:
    """The site's history on one item: its open problems (oldest first), the last verdict there, and whether its
    latest problem is closed (so a 不符合 now is a 反弹 of it)."""

    open_problems: tuple[EarlierProblem, ...] = ()
    last: LastVerdict | None = None
    closed_on: date | None = None  # the latest problem's 销号 day, when it is closed and nothing is open


def site_history(
    store: Store, site_id: str, *, current_id: str, today: date | None = None, tz: tzinfo | None = None
) -> dict[str, ItemHistory]:
    """What the site's earlier inspections and problems say about each item, by item code.

    Computed once when a walk opens (the walk screen keeps it): it folds the site's problems and reads its
    submitted inspections, which must never happen on a verdict's keypress."""
    from inspector.core.problems import OPEN_STATUSES, ProblemStatus, fold, is_overdue, local_date

    day = today or local_date(utcnow(), tz)
    open_by_item: dict[str, list[tuple[Problem, EarlierProblem]]] = {}
    latest: dict[str, tuple[Problem, ProblemStatus, date | None]] = {}
    for problem in store.problems():
        if problem.site_id != site_id or problem.inspection_id == current_id:
            continue
        view = fold(problem, tz)
        if view.status is ProblemStatus.VOID:
            continue
        held = latest.get(problem.item_code)
        if held is None or problem.found_at > held[0].found_at:
            closed = local_date(view.closed_at, tz) if view.closed_at else None
            latest[problem.item_code] = (problem, view.status, closed)
        if view.status in OPEN_STATUSES:
            earlier = EarlierProblem(
                description=problem.description,
                found_on=view.found_on,
                status=view.status,
                due=view.due,
                unit=view.responsible_unit,
                reopened=view.reopened,
                overdue=is_overdue(view, day),
            )
            open_by_item.setdefault(problem.item_code, []).append((problem, earlier))
    last: dict[str, LastVerdict] = {}
    # The latest submitted inspection only: a site inspected weekly for years must not validate every result ever
    # recorded there to open a walk (an item its checklist lacks has no last verdict then).
    for inspection in store.inspections(site_id, status=InspectionStatus.SUBMITTED, latest_per_site=True):
        if inspection.id == current_id:
            continue
        when = local_date(inspection.submitted_at or inspection.started_at, tz)
        for code, result in inspection.results.items():
            if result.verdict is not None and code not in last:
                last[code] = LastVerdict(result.verdict, when)
    history: dict[str, ItemHistory] = {}
    for code in set(open_by_item) | set(last) | set(latest):
        problems = tuple(e for _, e in sorted(open_by_item.get(code, []), key=lambda pe: pe[0].found_at))
        newest = latest.get(code)
        closed_on = newest[2] if newest and newest[1] is ProblemStatus.CLOSED and not problems else None
        history[code] = ItemHistory(problems, last.get(code), closed_on)
    return history


def start_or_resume(store: Store, site: Site, *, inspector: str = "") -> tuple[Inspection, Checklist] | None:
    """The draft for this site with its pinned checklist version, else a new inspection on the site's checklist;
    None when the site has no checklist (an unknown site type)."""
    from inspector.core.overview import checklist_for_inspection, checklist_for_site

    draft = store.draft_for(site.id)
    if draft is not None:
        pinned = checklist_for_inspection(store, draft)
        return (draft, pinned) if pinned is not None else None
    checklist = checklist_for_site(site, store.checklists())
    if checklist is None:
        return None
    store.put_checklist(checklist)
    inspection = Inspection(
        site_id=site.id,
        checklist_id=checklist.id,
        checklist_version=checklist.version,
        inspector=inspector,
        device_id=store.device_id,
        batch=_batch_for(store, site.id, inspector),
        demo=is_demo_site(site),
        current_code=checklist.items[0].code if checklist.items else None,
    )
    store.save_inspection(inspection)
    return inspection, checklist


def _batch_for(store: Store, site_id: str, inspector: str) -> str:
    """The 批次 of this inspector's active assignment of the site (the latest HQ sent when several), else ""."""
    mine = [
        a for a in store.assignments() if a.site_id == site_id and a.active and (not inspector or a.user == inspector)
    ]
    if not mine:
        return ""
    return max(mine, key=lambda a: a.server_version or 0).batch


class Walk:
    """A draft inspection being walked item by item."""

    def __init__(self, store: Store, inspection: Inspection, checklist: Checklist) -> None:
        self.store = store
        self.inspection = inspection
        self.checklist = checklist
        self.items: list[Item] = checklist.items
        self._index = {item.code: i for i, item in enumerate(self.items)}
        current = inspection.current_code
        self.position = self._index.get(current, 0) if current else 0

    # where we are ------------------------------------------------------------------------------------------
    @property
    def item(self) -> Item:
        return self.items[self.position]

    def result(self, code: str) -> ItemResult | None:
        return self.inspection.results.get(code)

    def verdict(self, code: str) -> Verdict | None:
        result = self.result(code)
        return result.verdict if result else None

    def index_of(self, code: str) -> int:
        return self._index[code]

    def move_to(self, position: int) -> None:
        """Move the cursor; the position is saved with the next change, and on leaving (see `remember_position`)."""
        self.position = max(0, min(position, len(self.items) - 1))

    def next_matching(self, wanted: Sequence[Verdict | None], *, start: int | None = None) -> int | None:
        """The next item after `start` (wrapping around) whose verdict is one of `wanted`."""
        count = len(self.items)
        origin = self.position if start is None else start
        for step in range(1, count + 1):
            index = (origin + step) % count
            if self.verdict(self.items[index].code) in wanted:
                return index
        return None

    def remember_position(self) -> None:
        """Persist where the walk stands, so a resumed draft opens on the same item."""
        if self.inspection.is_submitted or self.inspection.current_code == self.item.code:
            return
        self.inspection = self.inspection.model_copy(update={"current_code": self.item.code})
        self.store.save_inspection(self.inspection)

    # recording ---------------------------------------------------------------------------------------------
    def _save(self, result: ItemResult, *, current_code: str | None) -> ItemResult:
        if self.inspection.is_submitted:
            raise WalkError("walk_rule.submitted_immutable")
        self.inspection = self.store.record_result(self.inspection.id, result, current_code=current_code)
        return result

    def set_verdict(self, verdict: Verdict | None, *, advance: bool = True) -> ItemResult:
        """Record a verdict for the current item (None clears it), then move to the next unanswered item.

        A failure does not advance: the screen opens the evidence panel on it first."""
        item = self.item
        previous = self.result(item.code)
        if verdict is None:
            result = ItemResult(code=item.code)
        elif verdict is Verdict.FAIL:
            base = previous if previous is not None else ItemResult(code=item.code)
            result = base.model_copy(
                update={"verdict": Verdict.FAIL, "severity": base.severity or item.severity, "exemption": None}
            )
        else:
            result = ItemResult(code=item.code, verdict=verdict)
        result = result.model_copy(update={"answered_at": utcnow() if verdict is not None else None})
        target = self.position
        if advance and verdict in (Verdict.PASS, Verdict.NA):
            following = self.next_matching([None])
            target = following if following is not None else self.position
        self._save(result, current_code=self.items[target].code)
        self.position = target
        return result

    def restore(self, result: ItemResult | None, code: str) -> None:
        """Put back an earlier result (undo, or abandoning an incomplete failure)."""
        self._save(result if result is not None else ItemResult(code=code), current_code=self.item.code)

    def update_failure(
        self,
        *,
        quick_picks: list[str] | None = None,
        note: str | None = None,
        severity: Severity | None = None,
        photos: list[str] | None = None,
        photo_originals: dict[str, str] | None = None,
        fixed_on_spot: bool | None = None,
        after_photos: list[str] | None = None,
    ) -> ItemResult:
        """Change the evidence of the current 不符合 (a 当场整改 and its after-photos too). `photo_originals`
        (upload copy → original) is kept for the photos still attached only."""
        current = self.result(self.item.code)
        if current is None or current.verdict is not Verdict.FAIL:
            raise WalkError("walk_rule.details_need_failure")
        changes: dict[str, object] = {}
        if quick_picks is not None:
            changes["quick_picks"] = [p for p in self.item.quick_picks if p in quick_picks]
        if note is not None:
            changes["note"] = note
        if severity is not None:
            changes["severity"] = severity
        if photos is not None:
            changes["photos"] = photos
        if photos is not None or photo_originals is not None:
            kept = photos if photos is not None else current.photos
            merged = {**current.photo_originals, **(photo_originals or {})}
            changes["photo_originals"] = {copy: merged[copy] for copy in kept if copy in merged}
        if fixed_on_spot is not None:
            changes["fixed_on_spot"] = fixed_on_spot
        if after_photos is not None:
            changes["after_photos"] = after_photos
        return self._save(current.model_copy(update=changes), current_code=self.item.code)

    def attach_photos(self, code: str, attachments: Sequence[Attachment]) -> ItemResult:
        """Add photos to the 不符合 of item `code` (not necessarily the current one: photos are prepared in the
        background, and the inspector may have moved on meanwhile); each upload copy's original is recorded."""
        current = self.result(code)
        if current is None or current.verdict is not Verdict.FAIL:
            raise WalkError("walk_rule.details_need_failure")
        photos = list(current.photos)
        originals = dict(current.photo_originals)
        for attachment in attachments:
            if attachment.sha256 not in photos:
                photos.append(attachment.sha256)
            if attachment.original is not None:
                originals[attachment.sha256] = attachment.original
        updated = current.model_copy(update={"photos": photos, "photo_originals": originals})
        return self._save(updated, current_code=self.item.code)

    def apply_exemption(self, exemption: str) -> ItemResult:
        """The situation is one the checklist exempts: it counts as 符合, and the exemption is recorded."""
        if exemption not in self.item.exemptions:
            raise WalkError("walk_rule.not_an_exemption", exemption=exemption)
        result = ItemResult(code=self.item.code, verdict=Verdict.PASS, exemption=exemption, answered_at=utcnow())
        return self._save(result, current_code=self.item.code)

    # finishing ---------------------------------------------------------------------------------------------
    def score(self) -> Score:
        return score(self.inspection, self.checklist)

    def evidence_gaps(self) -> list[EvidenceGap]:
        gaps = []
        for item in self.items:
            result = self.result(item.code)
            if result is None or result.verdict is not Verdict.FAIL:
                continue
            missing_description = item.evidence.note_required and not result.description
            photos_needed = max(0, item.evidence.min_photos - len(result.photos))
            if missing_description or photos_needed:
                have = len(result.photos)
                gaps.append(
                    EvidenceGap(
                        item.code, missing_description, photos_needed, item.title, item.evidence.min_photos, have
                    )
                )
        return gaps

    def can_submit(self) -> bool:
        return not self.score().unanswered and not self.evidence_gaps()

    def submit(self, site: Site, *, actor: str = "") -> list[Problem]:
        """Make the inspection immutable and turn each 不符合 into a Problem (or a 反弹 of a closed one); a correction
        voids or carries over the problems of the inspections it supersedes (submission.py says how)."""
        from inspector.core.submission import problems_for_submission

        if self.inspection.is_submitted:
            raise WalkError("walk_rule.already_submitted")
        gaps = self.evidence_gaps()
        if gaps:
            gap = gaps[0]
            key = "walk_rule.description_missing" if gap.missing_description else "walk_rule.photos_short"
            raise WalkError(key, code=gap.code, title=gap.title, min=gap.photos_min, n=gap.photos_have)
        if not self.can_submit():
            raise WalkError("walk_rule.not_ready")
        # Finished now (unless it was before): the 登记 and 反弹 events are dated by it, not by the start of the walk.
        finished = self.inspection.model_copy(update={"finished_at": self.inspection.finished_at or utcnow()})
        new_problems, later_events = problems_for_submission(
            finished,
            self.checklist,
            site,
            self.store.problems(),
            actor,
            self.store.device_id,
            superseded=self._superseded(),
        )
        for event in later_events:
            problem = self.store.problem(event.problem_id)
            if all(e.id != event.id for e in problem.events):
                self.store.save_problem(problem.model_copy(update={"events": [*problem.events, event]}))
        self.store.submit(finished, new_problems)
        self.inspection = self.store.inspection(self.inspection.id)
        return new_problems

    def _superseded(self) -> list[str]:
        """The inspections this one corrects: the one it names, the one that one corrected, and so on (a problem
        carried over keeps its first inspection's id)."""
        chain: list[str] = []
        target = self.inspection.supersedes
        while target and target not in chain:
            chain.append(target)
            try:
                target = self.store.inspection(target).supersedes
            except StoreError:
                break
        return chain
