"""A correction (an inspection that supersedes another) voids the superseded one's open problems with the reason
「被更正的检查」, carries over those it still finds failing, and so the ledger counts each problem once: on the
laptop and in HQ's read model."""

from __future__ import annotations

from sqlalchemy import select

from inspector.core.problems import ProblemStatus, fold
from inspector.core.records import EventKind, Problem, SyncState, Verdict
from inspector.core.store import Store
from inspector.core.submission import corrected_reason, problems_for_submission, void_events
from inspector.core.walk import Walk, start_or_resume
from inspector.reports.facts import Filters
from inspector.reports.local import LocalSource
from sync.hq.db import Database
from sync.hq.db.models import rm_problems
from tests.sync_support import HQServer, postgres_url
from tests.test_problem_sync import SITE, Device, devices, hq

__all__ = ["devices", "hq", "postgres_url"]  # fixtures: pytest finds them among this module's names


def walk_site(store: Store, site_id: str, failing: set[int], *, supersedes: str | None = None) -> Walk:
    """Walk every item of the site: the items at `failing` positions fail (with a quick-pick), the rest pass."""
    site = store.site(site_id)
    started = start_or_resume(store, site)
    assert started is not None
    inspection, checklist = started
    if supersedes is not None:
        inspection = inspection.model_copy(update={"supersedes": supersedes})
        store.save_inspection(inspection)
    walk = Walk(store, inspection, checklist)
    for index, item in enumerate(walk.items):
        walk.move_to(index)
        if index in failing:
            walk.set_verdict(Verdict.FAIL)
            walk.update_failure(quick_picks=item.quick_picks[:1], note=f"第{index + 1}处（第{len(failing)}次）")
        else:
            walk.set_verdict(Verdict.PASS)
    return walk


def by_item(problems: list[Problem]) -> dict[str, Problem]:
    return {p.item_code: p for p in problems}


def counted(problems: list[Problem]) -> int:
    """What the ledger's totals and the bulletin count: every problem not void."""
    return sum(1 for p in problems if fold(p).status is not ProblemStatus.VOID)


def test_a_correction_voids_what_it_no_longer_finds_and_carries_over_what_still_fails(store: Store) -> None:
    first = walk_site(store, "demo-limin", {0, 1, 2})
    site = store.site("demo-limin")
    original = by_item(first.submit(site, actor="field"))
    codes = [item.code for item in first.items]
    assert set(original) == set(codes[:3])
    correction = walk_site(store, "demo-limin", {0, 3}, supersedes=first.inspection.id)
    created = correction.submit(site, actor="field")
    # item 0 still fails: the original problem is carried over (a 跟进记录 with the correction's wording), no twin
    assert [p.item_code for p in created] == [codes[3]]
    kept = store.problem(original[codes[0]].id)
    assert fold(kept).status is ProblemStatus.REGISTERED
    assert kept.events[-1].kind is EventKind.NOTE and "更正的检查仍不符合" in kept.events[-1].note
    # items 1 and 2 pass in the correction: their problems are void, with the reason
    for code in codes[1:3]:
        voided = store.problem(original[code].id)
        assert fold(voided).status is ProblemStatus.VOID
        assert voided.events[-1].note == corrected_reason("zh") == "被更正的检查"
    assert corrected_reason("en") == "corrected inspection"
    # each problem once: the laptop's ledger facts and its count
    assert counted(store.problems()) == 2
    facts = LocalSource(store).problem_facts(Filters())
    live = [f for f in facts if f.status is not ProblemStatus.VOID]
    assert sorted(f.item_code for f in live) == sorted([codes[0], codes[3]])
    # a submit retried after a crash derives the very same problems and events (by id): nothing would double
    again, later = problems_for_submission(
        store.inspection(correction.inspection.id),
        correction.checklist,
        site,
        store.problems(),
        "field",
        store.device_id,
        superseded=[first.inspection.id],
    )
    assert [p.id for p in again] == [p.id for p in created]
    held = {e.id for p in store.problems() for e in p.events}
    assert later and all(e.id in held for e in later)


def test_a_correction_of_a_correction_reaches_the_first_inspections_problems(store: Store) -> None:
    site = store.site("demo-limin")
    first = walk_site(store, "demo-limin", {0})
    (problem,) = first.submit(site, actor="field")
    second = walk_site(store, "demo-limin", {0}, supersedes=first.inspection.id)
    assert second.submit(site, actor="field") == []  # carried over
    third = walk_site(store, "demo-limin", set(), supersedes=second.inspection.id)
    assert third.submit(site, actor="field") == []
    assert fold(store.problem(problem.id)).status is ProblemStatus.VOID
    assert counted(store.problems()) == 0


def hq_problem_statuses(server: HQServer) -> dict[str, str]:
    db = Database(server.db_url)
    try:
        with db.read() as conn:
            return {row.id: row.status for row in conn.execute(select(rm_problems.c.id, rm_problems.c.status))}
    finally:
        db.dispose()


async def test_hq_takes_the_inspectors_correction_and_counts_each_problem_once(
    devices: tuple[Device, Device, Device], hq: HQServer
) -> None:
    field, office, _ = devices
    site = field.store.site(SITE)
    first = walk_site(field.store, SITE, {0, 1})
    original = by_item(first.submit(site, actor="field"))
    codes = [item.code for item in first.items]
    await field.sync()
    assert len(hq_problem_statuses(hq)) == 2
    correction = walk_site(field.store, SITE, {0, 2}, supersedes=first.inspection.id)
    correction.submit(site, actor="field")
    await field.sync()
    voided = field.store.problem(original[codes[1]].id)
    void = voided.events[-1]
    assert void.kind is EventKind.VOID and void.sync is not None and void.sync.state is SyncState.SYNCED
    statuses = hq_problem_statuses(hq)
    assert statuses[original[codes[1]].id] == "void"
    assert statuses[original[codes[0]].id] == "registered"
    assert sum(1 for s in statuses.values() if s != "void") == 2  # item 0 (carried) and item 2 (new): once each
    await office.sync()
    assert fold(office.problem(original[codes[1]].id)).status is ProblemStatus.VOID
    # An inspector's 作废 of a problem whose inspection nobody corrected is still the office's to make.
    kept = field.store.problem(original[codes[0]].id)
    (result,) = void_events([kept], "field", field.store.device_id, note="误报")
    field.store.save_problem(result.problem)
    await field.sync()
    refused = field.store.problem(kept.id).events[-1]
    assert refused.sync is not None and refused.sync.state is SyncState.REJECTED
    assert hq_problem_statuses(hq)[kept.id] == "registered"
    # A correction of the correction that finds nothing wrong voids both: the carried one (found by the first) too.
    again = walk_site(field.store, SITE, set(), supersedes=correction.inspection.id)
    again.submit(site, actor="field")
    await field.sync()
    statuses = hq_problem_statuses(hq)
    assert all(s == "void" for s in statuses.values()), statuses
    assert field.store.pending().count == 0
