"""Problems born of a submission, 反弹, re-inspection outcomes and reviewer bulk actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from checklists.schema import Checklist, Severity
from inspector.core.problems import IllegalTransition, ProblemStatus, apply_event, fold
from inspector.core.records import (
    DeadlineKind,
    DeadlineRule,
    EventKind,
    Inspection,
    InspectionStatus,
    ItemResult,
    Problem,
    ProblemEvent,
    Site,
    Verdict,
)
from inspector.core.store import Store
from inspector.core.submission import (
    MissingAfterPhoto,
    RecheckOutcome,
    assign_events,
    close_events,
    default_deadline,
    problem_id_for,
    problems_for_submission,
    recheck_events,
    void_events,
)

SHANGHAI = timezone(timedelta(hours=8))
T0 = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
BEFORE, AFTER = "b" * 64, "a" * 64

CHECKLIST = Checklist.model_validate(
    {
        "id": "residential",
        "version": "2026.1",
        "title": "楼院",
        "site_type": "楼院",
        "sections": [
            {
                "title": "楼道",
                "items": [
                    {"code": "XQ-01", "title": "楼道堆物", "text": "楼道内无乱堆乱放", "cg_code": "06036"},
                    {"code": "XQ-02", "title": "飞线充电", "text": "无私拉电线充电", "severity": "严重"},
                    {"code": "XQ-03", "title": "小广告", "text": "无乱贴乱画"},
                ],
            }
        ],
    }
)
SITE = Site(id="s1", name="幸福小区", site_type="楼院", community="幸福社区", responsible_unit="幸福社区居委会")


def make_inspection(*results: ItemResult, inspection_id: str = "insp-1") -> Inspection:
    return Inspection(
        id=inspection_id,
        site_id="s1",
        checklist_id="residential",
        checklist_version="2026.1",
        inspector="张三",
        status=InspectionStatus.SUBMITTED,
        started_at=T0,
        submitted_at=T0 + timedelta(hours=1),
        results={result.code: result for result in results},
    )


def fail(code: str, **extra: object) -> ItemResult:
    return ItemResult.model_validate({"code": code, "verdict": Verdict.FAIL, **extra})


def build(inspection: Inspection, existing: list[Problem] | None = None) -> tuple[list[Problem], list[ProblemEvent]]:
    return problems_for_submission(inspection, CHECKLIST, SITE, existing or [], "张三", "dev-1", SHANGHAI)


def test_one_problem_per_failure_in_checklist_order() -> None:
    inspection = make_inspection(
        fail("XQ-03", note="单元门贴满小广告", photos=[BEFORE]),
        fail("XQ-01", quick_picks=["楼道堆放杂物"], note="3 号楼 2 单元"),
        ItemResult(code="XQ-02", verdict=Verdict.PASS),
    )
    problems, reopens = build(inspection)
    assert reopens == []
    assert [p.item_code for p in problems] == ["XQ-01", "XQ-03"]
    first = problems[0]
    assert first.description == "楼道堆放杂物；3 号楼 2 单元"
    assert first.item_text == "楼道内无乱堆乱放"
    assert first.cg_code == "06036"
    assert first.responsible_unit == "幸福社区居委会"
    assert first.severity is Severity.MINOR
    assert first.deadline == DeadlineRule(kind=DeadlineKind.DAYS, n=5)
    assert first.found_by == "张三"
    assert problems[1].photos == [BEFORE]
    for problem in problems:
        assert [e.kind for e in problem.events] == [EventKind.REGISTER]
        assert problem.events[0].problem_id == problem.id
        assert fold(problem, SHANGHAI).status is ProblemStatus.REGISTERED


def test_severity_from_the_result_or_the_item_sets_the_default_deadline() -> None:
    inspection = make_inspection(fail("XQ-02", note="飞线充电"), fail("XQ-01", note="堆物", severity=Severity.MAJOR))
    problems, _ = build(inspection)
    assert [(p.item_code, p.severity, p.deadline.n) for p in problems] == [
        ("XQ-01", Severity.MAJOR, 3),
        ("XQ-02", Severity.MAJOR, 3),
    ]
    assert default_deadline(Severity.MINOR).n == 5


def test_ids_are_deterministic_so_a_resubmit_reuses_them() -> None:
    inspection = make_inspection(fail("XQ-01", note="堆物"))
    first, _ = build(inspection)
    # After a crash the first attempt's problems are in the store: they are rebuilt, not duplicated or reopened.
    second, reopens = build(inspection, existing=first)
    assert [p.id for p in first] == [p.id for p in second] == [problem_id_for("insp-1", "XQ-01")]
    assert [p.events[0].id for p in first] == [p.events[0].id for p in second]
    assert reopens == []
    other, _ = build(make_inspection(fail("XQ-01", note="堆物"), inspection_id="insp-2"))
    assert other[0].id != first[0].id


def test_a_failure_without_words_still_becomes_a_problem() -> None:
    problems, _ = build(make_inspection(fail("XQ-03"), fail("ZZ-99", note="清单外")))
    assert [(p.item_code, p.description) for p in problems] == [("XQ-03", "小广告"), ("ZZ-99", "清单外")]
    assert problems[1].item_text == "ZZ-99"


def closed(problem: Problem) -> Problem:
    for kind in (EventKind.SUBMIT_FIX, EventKind.CLOSE):
        problem = apply_event(problem, ProblemEvent(problem_id=problem.id, kind=kind), SHANGHAI)
    return problem


def test_a_closed_problem_that_fails_again_is_reopened_not_duplicated() -> None:
    old, _ = build(make_inspection(fail("XQ-01", note="堆物"), inspection_id="insp-1"))
    old_closed = closed(old[0])
    again = make_inspection(fail("XQ-01", note="5 号楼又堆纸箱", photos=[BEFORE]), inspection_id="insp-2")
    problems, reopens = build(again, existing=[old_closed])
    assert problems == []
    assert len(reopens) == 1
    reopen = reopens[0]
    assert (reopen.kind, reopen.problem_id) == (EventKind.REOPEN, old_closed.id)
    assert (reopen.note, reopen.photos) == ("5 号楼又堆纸箱", [BEFORE])
    reopened = apply_event(old_closed, reopen, SHANGHAI)
    assert fold(reopened, SHANGHAI).status is ProblemStatus.ASSIGNED
    # A re-submit after a crash that already saved the 反弹 gives the same event again, not a new problem.
    problems_again, reopens_again = build(again, existing=[reopened])
    assert problems_again == []
    assert [e.id for e in reopens_again] == [reopen.id]


def test_an_open_problem_on_the_same_item_gets_a_new_problem() -> None:
    old, _ = build(make_inspection(fail("XQ-01", note="3 号楼堆物"), inspection_id="insp-1"))
    problems, reopens = build(make_inspection(fail("XQ-01", note="5 号楼堆物"), inspection_id="insp-2"), old)
    assert reopens == []
    assert [p.description for p in problems] == ["5 号楼堆物"]


def test_other_sites_and_void_problems_are_not_reopened() -> None:
    old, _ = build(make_inspection(fail("XQ-01", note="堆物"), inspection_id="insp-1"))
    elsewhere = closed(old[0]).model_copy(update={"site_id": "s2"})
    voided = apply_event(old[0], ProblemEvent(problem_id=old[0].id, kind=EventKind.VOID), SHANGHAI)
    for existing in ([elsewhere], [voided]):
        problems, reopens = build(make_inspection(fail("XQ-01", note="堆物"), inspection_id="insp-2"), existing)
        assert (len(problems), reopens) == (1, [])


# 复查 -------------------------------------------------------------------------------------------------------------


def problem_in(*kinds: EventKind) -> Problem:
    problem, *_ = build(make_inspection(fail("XQ-01", note="堆物")))[0]
    for kind in kinds:
        problem = apply_event(problem, ProblemEvent(problem_id=problem.id, kind=kind), SHANGHAI)
    return problem


def run_recheck(problem: Problem, outcome: str, note: str = "", photos: list[str] | None = None) -> Problem:
    events = recheck_events(problem, outcome, note, photos or [], "李四", "dev-2", now=T0 + timedelta(days=3))
    for event in events:
        problem = apply_event(problem, event, SHANGHAI)
    return problem


def test_fixed_needs_an_after_photo() -> None:
    with pytest.raises(MissingAfterPhoto) as caught:
        recheck_events(problem_in(EventKind.ASSIGN), RecheckOutcome.FIXED, "已清理", [], "李四", "dev-2")
    assert "照片" in caught.value.reason("zh")
    assert "after-photo" in caught.value.reason("en")
    assert isinstance(caught.value, ValueError)


def test_fixed_on_an_assigned_problem_submits_the_fix_and_awaits_close() -> None:
    problem = problem_in(EventKind.ASSIGN)
    events = recheck_events(problem, "fixed", "已清理", [AFTER], "李四", "dev-2", now=T0)
    assert [e.kind for e in events] == [EventKind.SUBMIT_FIX, EventKind.REVIEW_PASS]
    assert events[0].device_time < events[1].device_time
    assert events[0].photos == [AFTER]
    view = fold(run_recheck(problem, "fixed", "已清理", [AFTER]), SHANGHAI)
    assert view.status is ProblemStatus.AWAITING_CLOSE  # 待销号 until the office's 销号
    assert view.closed_at is None
    assert view.after_photos == [AFTER]
    assert view.rectification_note == "已清理"


def test_fixed_on_a_submitted_fix_is_a_review_pass() -> None:
    problem = problem_in(EventKind.ASSIGN, EventKind.SUBMIT_FIX)
    events = recheck_events(problem, "fixed", "", [AFTER], "李四", "dev-2")
    assert [e.kind for e in events] == [EventKind.REVIEW_PASS]
    assert fold(run_recheck(problem, "fixed", "", [AFTER]), SHANGHAI).status is ProblemStatus.AWAITING_CLOSE


def test_fixed_again_on_a_problem_awaiting_close_is_a_note() -> None:
    problem = run_recheck(problem_in(EventKind.ASSIGN, EventKind.SUBMIT_FIX), "fixed", "", [AFTER])
    events = recheck_events(problem, "fixed", "仍干净", [AFTER], "李四", "dev-2")
    assert [e.kind for e in events] == [EventKind.NOTE]
    assert events[0].note == "复查已整改（待销号）：仍干净"
    assert fold(run_recheck(problem, "fixed", "", [AFTER]), SHANGHAI).status is ProblemStatus.AWAITING_CLOSE


@pytest.mark.parametrize("outcome", ["not_fixed", "partly"])
@pytest.mark.parametrize(
    "kinds", [(EventKind.ASSIGN,), (EventKind.ASSIGN, EventKind.START), (EventKind.ASSIGN, EventKind.SUBMIT_FIX)]
)
def test_not_fixed_or_partly_fails_the_review(outcome: str, kinds: tuple[EventKind, ...]) -> None:
    problem = run_recheck(problem_in(*kinds), outcome, "仍有纸箱", [AFTER])
    view = fold(problem, SHANGHAI)
    assert view.status is ProblemStatus.IN_PROGRESS
    assert problem.events[-1].kind is EventKind.REVIEW_FAIL
    assert view.review_note == f"{RecheckOutcome(outcome).label()}：仍有纸箱"


@pytest.mark.parametrize("kinds", [(), (EventKind.ASSIGN, EventKind.SHELVE)])
def test_not_fixed_where_review_fail_is_illegal_writes_a_note(kinds: tuple[EventKind, ...]) -> None:
    problem = problem_in(*kinds)
    before = fold(problem, SHANGHAI).status
    updated = run_recheck(problem, "not_fixed", "无变化")
    assert updated.events[-1].kind is EventKind.NOTE
    assert updated.events[-1].note == "复查未整改：无变化"
    assert fold(updated, SHANGHAI).status is before


@pytest.mark.parametrize("kinds", [(EventKind.SUBMIT_FIX, EventKind.CLOSE), (EventKind.VOID,)])
def test_closed_or_void_problems_cannot_be_rechecked(kinds: tuple[EventKind, ...]) -> None:
    with pytest.raises(IllegalTransition):
        recheck_events(problem_in(*kinds), "fixed", "", [AFTER], "李四", "dev-2")
    with pytest.raises(IllegalTransition):
        recheck_events(problem_in(*kinds), "not_fixed", "", [], "李四", "dev-2")


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="done"):
        recheck_events(problem_in(), "done", "", [AFTER], "李四", "dev-2")


# bulk reviewer actions ------------------------------------------------------------------------------------------


def test_bulk_assign_answers_every_problem() -> None:
    rule = DeadlineRule(kind=DeadlineKind.WORKDAYS, n=3)
    problems = [problem_in(), problem_in(EventKind.SUBMIT_FIX, EventKind.CLOSE), problem_in(EventKind.ASSIGN)]
    results = assign_events(problems, "物业公司", rule, "王主任", "hq", now=T0, tz=SHANGHAI)
    assert [r.ok for r in results] == [True, False, True]
    assert "已销号" in results[1].reason("zh") and results[1].event is None
    assert results[1].problem is problems[1]
    for result in (results[0], results[2]):
        view = fold(result.problem, SHANGHAI)
        assert (view.status, view.responsible_unit, view.deadline) == (ProblemStatus.ASSIGNED, "物业公司", rule)
        assert result.event is not None and result.event.actor == "王主任"
    assert results[0].reason() == ""


def test_assign_without_any_unit_is_refused() -> None:
    problem = problem_in().model_copy(update={"responsible_unit": ""})
    [result] = assign_events([problem], None, None, "王主任", "hq")
    assert not result.ok
    assert "责任单位" in result.reason("zh")
    [kept] = assign_events([problem_in()], None, None, "王主任", "hq")
    assert kept.ok and fold(kept.problem).responsible_unit == "幸福社区居委会"


def test_bulk_close_only_closes_submitted_fixes() -> None:
    problems = [problem_in(EventKind.ASSIGN, EventKind.SUBMIT_FIX), problem_in(EventKind.ASSIGN), problem_in()]
    results = close_events(problems, "王主任", "hq", note="照片核实")
    assert [r.ok for r in results] == [True, False, False]
    assert fold(results[0].problem).status is ProblemStatus.CLOSED
    assert "待复查" in results[1].reason("zh")
    assert "awaiting re-inspection" in results[2].reason("en")


def test_bulk_void_refuses_closed_and_void() -> None:
    problems = [problem_in(EventKind.ASSIGN), problem_in(EventKind.VOID), problem_in(EventKind.SUBMIT_FIX)]
    problems.append(problem_in(EventKind.SUBMIT_FIX, EventKind.CLOSE))
    results = void_events(problems, "王主任", "hq", note="误报")
    assert [r.ok for r in results] == [True, False, True, False]
    assert all(fold(r.problem).status is ProblemStatus.VOID for r in results[:3])
    assert results[0].event is not None and results[0].event.note == "误报"


def test_a_walk_started_days_ago_dates_its_problems_by_when_it_was_finished(store: Store) -> None:
    from checklists.registry import checklist_for_site_type
    from inspector.core.walk import Walk

    site = store.site("demo-limin")
    checklist = checklist_for_site_type(site.site_type)
    assert checklist is not None
    started = datetime.now(UTC) - timedelta(days=3)
    draft = Inspection(
        site_id=site.id, checklist_id=checklist.id, checklist_version=checklist.version, started_at=started
    )
    store.put_checklist(checklist)
    store.save_inspection(draft)
    walk = Walk(store, draft, checklist)
    walk.set_verdict(Verdict.FAIL)
    walk.update_failure(note="3 号楼楼道堆放纸箱")
    while (target := walk.next_matching([None])) is not None:
        walk.move_to(target)
        walk.set_verdict(Verdict.PASS)
    before = datetime.now(UTC)
    (problem,) = walk.submit(site)
    register = problem.events[0]
    assert register.kind is EventKind.REGISTER
    assert register.device_time >= before  # not the walk's start, three days earlier
    assert walk.inspection.finished_at is not None and walk.inspection.finished_at >= before
