"""The problem state machine, the fold by server order, deadlines and 逾期."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from inspector.core.problems import (
    REVIEWER_ONLY,
    TRANSITIONS,
    IllegalTransition,
    ProblemStatus,
    ReviewConclusion,
    apply_event,
    deadline_text,
    due_date,
    fold,
    is_overdue,
    local_date,
    next_status,
)
from inspector.core.records import DeadlineKind, DeadlineRule, EventKind, Problem, ProblemEvent

S = ProblemStatus
K = EventKind
SHANGHAI = timezone(timedelta(hours=8))

# Written out by hand from the machine in problems.py's docstring: the module's table must say the same.
LEGAL: dict[tuple[ProblemStatus, EventKind], ProblemStatus] = {
    (S.REGISTERED, K.REGISTER): S.REGISTERED,
    (S.REGISTERED, K.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, K.ASSIGN): S.ASSIGNED,
    (S.IN_PROGRESS, K.ASSIGN): S.ASSIGNED,
    (S.SHELVED, K.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, K.START): S.IN_PROGRESS,
    (S.SHELVED, K.START): S.IN_PROGRESS,
    (S.REGISTERED, K.SUBMIT_FIX): S.AWAITING_REVIEW,
    (S.ASSIGNED, K.SUBMIT_FIX): S.AWAITING_REVIEW,
    (S.IN_PROGRESS, K.SUBMIT_FIX): S.AWAITING_REVIEW,
    (S.SHELVED, K.SUBMIT_FIX): S.AWAITING_REVIEW,
    # 销号制: a passed re-inspection leaves the problem 待销号; the office's 销号 closes it.
    (S.AWAITING_REVIEW, K.REVIEW_PASS): S.AWAITING_CLOSE,
    (S.ASSIGNED, K.REVIEW_FAIL): S.IN_PROGRESS,
    (S.IN_PROGRESS, K.REVIEW_FAIL): S.IN_PROGRESS,
    (S.AWAITING_REVIEW, K.REVIEW_FAIL): S.IN_PROGRESS,
    (S.AWAITING_CLOSE, K.REVIEW_FAIL): S.IN_PROGRESS,
    (S.AWAITING_REVIEW, K.CLOSE): S.CLOSED,
    (S.AWAITING_CLOSE, K.CLOSE): S.CLOSED,
    (S.REGISTERED, K.VOID): S.VOID,
    (S.ASSIGNED, K.VOID): S.VOID,
    (S.IN_PROGRESS, K.VOID): S.VOID,
    (S.AWAITING_REVIEW, K.VOID): S.VOID,
    (S.AWAITING_CLOSE, K.VOID): S.VOID,
    (S.SHELVED, K.VOID): S.VOID,
    (S.ASSIGNED, K.SHELVE): S.SHELVED,
    (S.IN_PROGRESS, K.SHELVE): S.SHELVED,
    (S.CLOSED, K.REOPEN): S.ASSIGNED,
    **{(status, K.NOTE): status for status in ProblemStatus},
}
ALL_PAIRS = [(status, kind) for status in ProblemStatus for kind in EventKind]
ILLEGAL = [pair for pair in ALL_PAIRS if pair not in LEGAL]


def test_the_table_covers_every_event_kind() -> None:
    assert set(TRANSITIONS) == set(EventKind)
    assert {kind for _, kind in LEGAL} == set(EventKind)


@pytest.mark.parametrize(("status", "kind"), list(LEGAL), ids=[f"{s.value}-{k.value}" for s, k in LEGAL])
def test_legal_transition(status: ProblemStatus, kind: EventKind) -> None:
    assert next_status(status, kind) is LEGAL[(status, kind)]


@pytest.mark.parametrize(("status", "kind"), ILLEGAL, ids=[f"{s.value}-{k.value}" for s, k in ILLEGAL])
def test_illegal_transition_is_refused_with_the_reason(status: ProblemStatus, kind: EventKind) -> None:
    with pytest.raises(IllegalTransition) as caught:
        next_status(status, kind)
    error = caught.value
    assert (error.status, error.kind) == (status, kind)
    assert status.label("zh") in error.reason("zh")
    assert status.label("en") in error.reason("en")
    assert str(error) == error.reason("zh")


def test_the_reason_names_the_event_and_where_it_is_allowed() -> None:
    with pytest.raises(IllegalTransition) as caught:
        next_status(S.CLOSED, K.VOID)
    assert caught.value.reason("zh").startswith("问题当前为「已销号」，不能「作废」")
    assert "待复查" in caught.value.reason("zh")
    assert "cannot void" in caught.value.reason("en")


def test_reviewer_only_events_are_the_office_decisions() -> None:
    assert {K.ASSIGN, K.CLOSE, K.VOID} <= REVIEWER_ONLY
    assert K.REVIEW_PASS not in REVIEWER_ONLY and K.REOPEN not in REVIEWER_ONLY


def test_labels_exist_in_both_languages() -> None:
    labels = ["登记", "已交办", "整改中", "待复查", "待销号", "已销号", "作废", "挂账"]
    assert [s.label() for s in ProblemStatus] == labels
    assert all(s.label("en") and s.label("en") != s.label("zh") for s in ProblemStatus)


# the fold -------------------------------------------------------------------------------------------------------

T0 = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def make_problem(*events: ProblemEvent, found_at: datetime = T0) -> Problem:
    return Problem(
        id="p1",
        inspection_id="i1",
        site_id="s1",
        item_code="XQ-01",
        item_text="楼道无堆物",
        description="3 号楼 2 单元楼道堆放纸箱",
        responsible_unit="幸福社区",
        deadline=DeadlineRule(kind=DeadlineKind.DAYS, n=5),
        found_at=found_at,
        events=list(events),
    )


def ev(kind: EventKind, order: int | None, minutes: int = 0, **extra: object) -> ProblemEvent:
    return ProblemEvent.model_validate(
        {
            "problem_id": "p1",
            "kind": kind,
            "server_order": order,
            "device_time": T0 + timedelta(minutes=minutes),
            **extra,
        }
    )


def test_a_problem_without_events_is_registered() -> None:
    view = fold(make_problem(), SHANGHAI)
    assert view.status is S.REGISTERED
    assert view.due == date(2026, 5, 9)  # 5 天 from the day it was found
    assert view.conflicts == []


def test_fold_follows_server_order_not_list_order_or_device_clock() -> None:
    # The device clock of the 提交整改 is wrong (before the 交办); HQ's order is what counts.
    events = [
        ev(K.SUBMIT_FIX, 3, minutes=-600, note="已清理"),
        ev(K.REGISTER, 1),
        ev(K.ASSIGN, 2, minutes=60, responsible_unit="物业公司"),
    ]
    view = fold(make_problem(*events), SHANGHAI)
    assert view.status is S.AWAITING_REVIEW
    assert [e.kind for e in view.events] == [K.REGISTER, K.ASSIGN, K.SUBMIT_FIX]
    assert view.conflicts == []
    assert view.responsible_unit == "物业公司"
    assert view.rectification_note == "已清理"


def test_unsynced_events_come_after_numbered_ones_in_append_order() -> None:
    # The clock was corrected backwards between the two local events: append order still wins.
    events = [
        ev(K.START, None, minutes=30),
        ev(K.SUBMIT_FIX, None, minutes=10),
        ev(K.ASSIGN, 2, minutes=500),
        ev(K.REGISTER, 1),
    ]
    view = fold(make_problem(*events), SHANGHAI)
    assert [e.kind for e in view.events] == [K.REGISTER, K.ASSIGN, K.START, K.SUBMIT_FIX]
    assert view.status is S.AWAITING_REVIEW
    assert view.conflicts == []


def test_registration_is_first_even_when_not_yet_numbered() -> None:
    view = fold(make_problem(ev(K.ASSIGN, 7), ev(K.REGISTER, None)), SHANGHAI)
    assert view.conflicts == []
    assert view.status is S.ASSIGNED


def test_an_event_illegal_at_its_place_is_kept_and_flagged() -> None:
    # Two reviewers at once: one closes (HQ order 4), the other voids (HQ order 5) the same problem.
    close = ev(K.CLOSE, 4, actor="王")
    void = ev(K.VOID, 5, actor="李", note="误报")
    events = [ev(K.REGISTER, 1), ev(K.ASSIGN, 2), ev(K.SUBMIT_FIX, 3), void, close]
    view = fold(make_problem(*events), SHANGHAI)
    assert view.status is S.CLOSED
    assert void in view.events and len(view.events) == 5
    assert len(view.conflicts) == 1
    conflict = view.conflicts[0]
    assert conflict.event.id == void.id
    assert conflict.status is S.CLOSED
    assert "作废" in conflict.reason("zh")


def test_the_same_event_twice_counts_once() -> None:
    assign = ev(K.ASSIGN, 2)
    view = fold(make_problem(ev(K.REGISTER, 1), assign, assign.model_copy()), SHANGHAI)
    assert len(view.events) == 2
    assert view.conflicts == []


def test_assignment_sets_unit_deadline_and_the_clock() -> None:
    rule = DeadlineRule(kind=DeadlineKind.WORKDAYS, n=3)
    # 2026-05-08 is a Friday; 17:30 UTC is already Saturday 01:30 in Shanghai.
    assign = ev(K.ASSIGN, 2, responsible_unit="城管中队", deadline=rule)
    assign = assign.model_copy(update={"device_time": datetime(2026, 5, 8, 17, 30, tzinfo=UTC)})
    view = fold(make_problem(ev(K.REGISTER, 1), assign), SHANGHAI)
    assert (view.responsible_unit, view.deadline) == ("城管中队", rule)
    assert view.assigned_on == date(2026, 5, 9)
    assert view.due == date(2026, 5, 13)  # Sat → Mon, Tue, Wed
    utc_view = fold(make_problem(ev(K.REGISTER, 1), assign), UTC)
    assert utc_view.assigned_on == date(2026, 5, 8)
    assert utc_view.due == date(2026, 5, 12)  # Fri → Sat 5-9 (a 调休 working day), Mon, Tue


def test_review_pass_awaits_the_office_close_and_records_the_after_photos() -> None:
    photo = "a" * 64
    events = [
        ev(K.REGISTER, 1),
        ev(K.SUBMIT_FIX, 2, note="已清理", photos=[photo]),
        ev(K.REVIEW_PASS, 3, minutes=90, note="现场已清理干净"),
    ]
    view = fold(make_problem(*events), SHANGHAI)
    assert view.status is S.AWAITING_CLOSE  # 待销号: the re-inspection is the basis of 销号, not 销号 itself
    assert view.closed_at is None
    assert view.after_photos == [photo]
    assert (view.review, view.review_note) == (ReviewConclusion.PASSED, "现场已清理干净")
    assert view.is_open and not is_overdue(view, date(2027, 1, 1))
    closed = fold(make_problem(*events, ev(K.CLOSE, 4, minutes=120)), SHANGHAI)
    assert closed.status is S.CLOSED
    assert closed.closed_at == T0 + timedelta(minutes=120)
    assert not closed.is_open


def test_review_fail_sends_it_back() -> None:
    events = [ev(K.REGISTER, 1), ev(K.ASSIGN, 2), ev(K.SUBMIT_FIX, 3), ev(K.REVIEW_FAIL, 4, note="仍有纸箱")]
    view = fold(make_problem(*events), SHANGHAI)
    assert view.status is S.IN_PROGRESS
    assert view.review is ReviewConclusion.FAILED
    assert view.review.label() == "不通过"


def test_reopen_restarts_the_clock_and_clears_the_closing() -> None:
    events = [
        ev(K.REGISTER, 1),
        ev(K.SUBMIT_FIX, 2),
        ev(K.CLOSE, 3),
        ev(K.REOPEN, 4, minutes=60 * 24 * 10, note="回头看发现反弹"),
    ]
    view = fold(make_problem(*events), SHANGHAI)
    assert view.status is S.ASSIGNED
    assert view.reopened == 1
    assert view.closed_at is None and view.review is None
    assert view.assigned_on == date(2026, 5, 14)
    assert view.due == date(2026, 5, 19)
    assert view.responsible_unit == "幸福社区"


# apply_event ----------------------------------------------------------------------------------------------------


def test_apply_event_appends_a_legal_event_without_touching_the_input() -> None:
    problem = make_problem(ev(K.REGISTER, 1))
    assign = ev(K.ASSIGN, None, minutes=5)
    updated = apply_event(problem, assign, SHANGHAI)
    assert [e.kind for e in updated.events] == [K.REGISTER, K.ASSIGN]
    assert len(problem.events) == 1
    assert fold(updated, SHANGHAI).status is S.ASSIGNED


def test_apply_event_refuses_an_illegal_event() -> None:
    problem = make_problem(ev(K.REGISTER, 1))
    with pytest.raises(IllegalTransition) as caught:
        apply_event(problem, ev(K.CLOSE, None), SHANGHAI)
    assert "登记" in caught.value.reason("zh")


def test_apply_event_refuses_another_problems_event() -> None:
    other = ProblemEvent(problem_id="p2", kind=K.NOTE)
    with pytest.raises(ValueError, match="p2"):
        apply_event(make_problem(), other, SHANGHAI)


# deadlines ------------------------------------------------------------------------------------------------------

IMMEDIATE = DeadlineRule(kind=DeadlineKind.IMMEDIATE, n=0)


def days(n: int) -> DeadlineRule:
    return DeadlineRule(kind=DeadlineKind.DAYS, n=n)


def workdays(n: int) -> DeadlineRule:
    return DeadlineRule(kind=DeadlineKind.WORKDAYS, n=n)


@pytest.mark.parametrize(
    ("start", "rule", "expected"),
    [
        (date(2026, 5, 6), IMMEDIATE, date(2026, 5, 6)),
        (date(2026, 5, 9), IMMEDIATE, date(2026, 5, 9)),  # 立行立改 on a Saturday is still that day
        (date(2026, 1, 29), days(3), date(2026, 2, 1)),  # month end
        (date(2026, 12, 30), days(5), date(2027, 1, 4)),  # year end
        (date(2028, 2, 27), days(3), date(2028, 3, 1)),  # leap year: 2-28, 2-29, 3-1
        (date(2026, 2, 27), days(3), date(2026, 3, 2)),  # not a leap year
        (date(2026, 5, 6), days(0), date(2026, 5, 6)),
        (date(2026, 12, 31), workdays(5), date(2027, 1, 7)),  # into 2027, not known yet: weekends only
        (date(2026, 5, 8), workdays(1), date(2026, 5, 9)),  # Friday → Saturday 5-9, a 调休 working day
        (date(2026, 5, 9), workdays(1), date(2026, 5, 11)),  # Saturday → Monday
        (date(2026, 5, 10), workdays(5), date(2026, 5, 15)),  # Sunday → the whole next week
        (date(2026, 5, 4), workdays(5), date(2026, 5, 11)),  # Monday → next Monday
        (date(2026, 4, 29), workdays(3), date(2026, 5, 7)),  # Wed → Thu, then 劳动节 5-1 … 5-5, Wed, Thu
        (date(2026, 5, 6), workdays(10), date(2026, 5, 19)),  # two weekends, one Saturday of them worked
        (date(2026, 5, 6), workdays(0), date(2026, 5, 6)),
    ],
)
def test_due_date(start: date, rule: DeadlineRule, expected: date) -> None:
    assert due_date(start, rule) == expected


def test_deadline_text() -> None:
    assert [deadline_text(r) for r in (IMMEDIATE, days(3), workdays(5))] == ["立行立改", "3 天", "5 个工作日"]
    assert deadline_text(workdays(5), "en") == "5 working days"


def test_local_date_uses_the_given_zone() -> None:
    late = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert local_date(late, SHANGHAI) == date(2027, 1, 1)
    assert local_date(late, UTC) == date(2026, 12, 31)


# 逾期 -------------------------------------------------------------------------------------------------------------


def test_overdue_only_after_the_due_day() -> None:
    view = fold(make_problem(ev(K.REGISTER, 1), ev(K.ASSIGN, 2)), SHANGHAI)
    assert view.due == date(2026, 5, 9)
    assert not is_overdue(view, date(2026, 5, 8))
    assert not is_overdue(view, date(2026, 5, 9))
    assert is_overdue(view, date(2026, 5, 10))


@pytest.mark.parametrize(
    ("kinds", "overdue"),
    [
        ((K.REGISTER,), True),
        ((K.REGISTER, K.ASSIGN), True),
        ((K.REGISTER, K.ASSIGN, K.START), True),
        ((K.REGISTER, K.ASSIGN, K.START, K.SUBMIT_FIX, K.REVIEW_FAIL), True),
        ((K.REGISTER, K.ASSIGN, K.SUBMIT_FIX), False),  # the unit delivered; the wait is the reviewers'
        ((K.REGISTER, K.ASSIGN, K.SHELVE), False),
        ((K.REGISTER, K.SUBMIT_FIX, K.CLOSE), False),
        ((K.REGISTER, K.VOID), False),
    ],
)
def test_overdue_depends_on_the_status(kinds: tuple[EventKind, ...], overdue: bool) -> None:
    events = [ev(kind, n) for n, kind in enumerate(kinds, start=1)]
    view = fold(make_problem(*events), SHANGHAI)
    assert is_overdue(view, date(2026, 6, 30)) is overdue
    assert not is_overdue(view, date(2026, 5, 5))


def test_immediate_is_overdue_the_next_day() -> None:
    assign = ev(K.ASSIGN, 2, deadline=IMMEDIATE)
    view = fold(make_problem(ev(K.REGISTER, 1), assign), SHANGHAI)
    assert not is_overdue(view, date(2026, 5, 4))
    assert is_overdue(view, date(2026, 5, 5))


def test_an_event_hq_refused_is_kept_but_does_not_move_the_status() -> None:
    from inspector.core.records import EventKind, Problem, ProblemEvent, SyncMeta, SyncState

    problem = Problem(inspection_id="i", site_id="s", item_code="LY-C-12", item_text="t", description="纸箱堆放")
    register = ProblemEvent(problem_id=problem.id, kind=EventKind.REGISTER)
    refused = ProblemEvent(
        problem_id=problem.id,
        kind=EventKind.VOID,
        sync=SyncMeta(state=SyncState.REJECTED, message="只有复核人员可以作废"),
    )
    view = fold(problem.model_copy(update={"events": [register, refused]}))
    assert view.status is ProblemStatus.REGISTERED
    assert view.refused == [refused]
    assert refused in view.events
