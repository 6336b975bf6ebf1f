"""The site's history in the walk: on each item, its open problems there (what, since when, status, deadline,
unit), the last verdict there, a 反弹 shown as such; and where each item's 条文 comes from."""

from __future__ import annotations

from datetime import timedelta

from checklists.provenance import Provenance, provenance
from inspector.core.problems import ProblemStatus, fold
from inspector.core.records import EventKind, ProblemEvent
from inspector.core.store import Store
from inspector.core.walk import site_history
from tests.test_corrections import walk_site
from tests.test_tui_walk import make_app, open_site
from tests.tui_support import squash, widget_text

SITE = "demo-limin"


def close(store: Store, problem_id: str) -> None:
    """The unit's fix and the office's 销号, as a synced history would bring them."""
    problem = store.problem(problem_id)
    when = problem.found_at + timedelta(days=1)
    events = [
        ProblemEvent(problem_id=problem.id, kind=EventKind.SUBMIT_FIX, device_time=when, note="已清理"),
        ProblemEvent(problem_id=problem.id, kind=EventKind.CLOSE, device_time=when + timedelta(hours=1)),
    ]
    store.save_problem(problem.model_copy(update={"events": [*problem.events, *events]}))


def history_setup(store: Store) -> tuple[list[str], str]:
    """Item 0 failed, closed, failed again (a 反弹, open); item 1 open since the first walk; item 2 failed and closed
    then passed. Returns the item codes and the reopened problem's id."""
    site = store.site(SITE)
    first = walk_site(store, SITE, {0, 1, 2})
    problems = {p.item_code: p for p in first.submit(site, actor="field")}
    codes = [item.code for item in first.items]
    close(store, problems[codes[0]].id)
    close(store, problems[codes[2]].id)
    second = walk_site(store, SITE, {0, 1})
    assert [p.item_code for p in second.submit(site, actor="field")] == [codes[1]]  # item 1: a second open one
    reopened = store.problem(problems[codes[0]].id)
    assert fold(reopened).status is ProblemStatus.ASSIGNED and fold(reopened).reopened == 1
    return codes, reopened.id


def test_the_history_in_the_core(store: Store) -> None:
    codes, _ = history_setup(store)
    history = site_history(store, SITE, current_id="none")
    (again,) = history[codes[0]].open_problems
    assert again.reopened == 1 and again.status is ProblemStatus.ASSIGNED
    assert [p.status for p in history[codes[1]].open_problems] == [ProblemStatus.REGISTERED] * 2
    assert history[codes[0]].last is not None and history[codes[0]].last.verdict.value == "fail"
    assert history[codes[2]].open_problems == () and history[codes[2]].closed_on is not None
    assert history[codes[2]].last is not None and history[codes[2]].last.verdict.value == "pass"
    assert codes[5] in history and history[codes[5]].open_problems == ()  # passed twice: the last verdict only


async def test_the_walk_shows_an_earlier_open_problem_and_a_reopening_on_its_item(store: Store) -> None:
    codes, reopened_id = history_setup(store)
    before = {p.id: len(p.events) for p in store.problems()}
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = (await open_site(pilot, "lmxq")).walk
        detail = app.screen.query_one("#detail")
        assert walk.item.code == codes[0]
        shown = squash(widget_text(app, detail))
        assert "此前在本点位" in shown
        assert "反弹1次" in shown and "已交办" in shown and "未销号" in shown
        assert "上次判定：✗不符合" in shown
        reopened = store.problem(reopened_id)
        assert f"期限{fold(reopened).due.isoformat()}" in shown
        assert squash(fold(reopened).responsible_unit) in shown
        await pilot.press("down")
        await pilot.pause()
        shown = squash(widget_text(app, detail))
        assert shown.count("未销号") == 2 and "登记" in shown
        await pilot.press("down")
        await pilot.pause()
        shown = squash(widget_text(app, detail))
        assert "这次判不符合即为反弹" in shown and "上次判定：✓符合" in shown and "未销号" not in shown
    assert {p.id: len(p.events) for p in store.problems()} == before  # looking changes nothing


async def test_history_and_wording_in_english(store: Store) -> None:
    history_setup(store)
    app = make_app(store, lang="en")
    async with app.run_test(size=(100, 30)) as pilot:
        walk = (await open_site(pilot, "lmxq")).walk
        shown = squash(widget_text(app, app.screen.query_one("#detail")))
        assert "Earlieratthissite" in shown and "reopened1time" in shown
        label = provenance(walk.item.source or walk.checklist.source)
        assert label is not None and squash(label.label("en")) in shown


def test_provenance_from_the_source_tags() -> None:
    assert provenance("S8 [原文] 第 3 条") is Provenance.NATIONAL
    assert provenance("S8 [原文，还原]") is Provenance.NATIONAL
    assert provenance("S3 [地方]；创卫 S5 [地方/创卫]") is Provenance.LOCAL
    assert provenance("S8 [原文]；S6 [地方]") is Provenance.MIXED
    assert provenance("S8 [原文]；[推断]") is Provenance.DERIVED
    assert provenance("") is None and provenance("市创城办 2026") is None
    assert Provenance.LOCAL.label() == "条文：地方标准" and Provenance.LOCAL.label("en") == "wording: local standard"
