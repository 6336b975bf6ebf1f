"""The ledger and the 复查 walk through Pilot: filters, details, reviewer actions, before/after photos."""

from __future__ import annotations

from pathlib import Path

from inspector.core.problems import ProblemStatus, fold
from inspector.core.records import EventKind, Verdict
from inspector.core.store import Store
from inspector.core.walk import Walk, start_or_resume
from inspector.tui.app import InspectorApp
from inspector.tui.screens.ledger import AssignScreen, LedgerScreen, ProblemDetailScreen
from inspector.tui.screens.recheck import RecheckScreen
from inspector.tui.screens.sites import SitesScreen
from inspector.tui.textual_private import notifications
from sync.credentials import Credentials, save_credentials
from tests.photo_support import small_png
from tests.tui_support import screen_text

# A real PNG (Pillow decodes it): attaching a photo checks it decodes whole.
PNG = small_png()


def submit_with_failures(store: Store, site_id: str, failures: int) -> list[str]:
    """Walk a site in the core: the first `failures` items fail with a quick-pick, the rest pass."""
    site = store.site(site_id)
    started = start_or_resume(store, site)
    assert started is not None
    walk = Walk(store, *started)
    for index, item in enumerate(walk.items):
        walk.move_to(index)
        if index < failures:
            walk.set_verdict(Verdict.FAIL)
            walk.update_failure(quick_picks=item.quick_picks[:1], note=f"第{index + 1}处")
        else:
            walk.set_verdict(Verdict.PASS)
    return [p.id for p in walk.submit(site)]


def enroll_as(data_dir: Path, role: str) -> None:
    save_credentials(
        data_dir, Credentials(url="http://127.0.0.1:9", device_id="dev-1", token="t" * 20, user="王督查", role=role)
    )


async def test_ledger_lists_filters_and_shows_the_timeline(store: Store) -> None:
    ids = submit_with_failures(store, "demo-limin", 2) + submit_with_failures(store, "demo-zhupaixiang", 1)
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        ledger = app.screen
        assert isinstance(ledger, LedgerScreen)
        assert len(ledger._rows) == 3
        text = screen_text(app)
        assert "利民小区" in text and "竹排巷" in text and "登记" in text
        await pilot.press("slash", *"zpx", "enter")  # pinyin initials of 竹排巷
        await pilot.pause()
        assert [p.site_id for p, _ in ledger._rows] == ["demo-zhupaixiang"]
        await pilot.press("escape")  # clears the filter
        await pilot.pause()
        assert len(ledger._rows) == 3
        await pilot.press("f2")  # status cycles from "open" to 登记 only
        await pilot.pause()
        assert len(ledger._rows) == 3
        await pilot.press("f2")  # then 已交办 only: none yet
        await pilot.pause()
        assert ledger._rows == []
        assert "没有符合条件的问题" in screen_text(app)
        await pilot.press("f3")  # overdue only (with status reset below)
        ledger._status = "open"
        ledger._fill()
        await pilot.pause()
        assert ledger._rows == []  # nothing is overdue on the day it was found
        await pilot.press("f3")
        await pilot.pause()
        assert len(ledger._rows) == 3
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProblemDetailScreen)
        detail = screen_text(app)
        assert "处置时间线" in detail and "登记" in detail and "5 天" in detail
    assert set(ids) == {p.id for p in store.problems()}


async def test_inspectors_cannot_assign_close_or_void(store: Store) -> None:
    submit_with_failures(store, "demo-limin", 1)
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        assert "交办" not in screen_text(app).splitlines()[-1]  # not offered in the footer
        for key in ("f6", "f7", "f8"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, LedgerScreen)
    (problem,) = store.problems()
    assert [e.kind for e in problem.events] == [EventKind.REGISTER]


async def test_reviewer_assigns_several_at_once_then_voids_one(store: Store) -> None:
    enroll_as(store.data_dir, "reviewer")
    submit_with_failures(store, "demo-limin", 3)
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("space", "space")  # select the first two
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, AssignScreen)
        await pilot.press(*"利民社区居委会")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)
        views = {p.id: fold(p) for p in store.problems()}
        assigned = [v for v in views.values() if v.status is ProblemStatus.ASSIGNED]
        assert len(assigned) == 2
        assert all(v.responsible_unit == "利民社区居委会" for v in assigned)
        assert all(e.actor == "王督查" for p in store.problems() for e in p.events if e.kind is EventKind.ASSIGN)
        await pilot.press("f8")  # void the problem under the cursor: it asks first
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        assert all(fold(p).status is not ProblemStatus.VOID for p in store.problems())
        await pilot.press("enter")
        await pilot.pause()
    statuses = sorted(fold(p).status.value for p in store.problems())
    assert statuses.count("void") == 1
    assert all(p.sync.state.value == "dirty" for p in store.problems())  # HQ must hear of it


async def test_recheck_walk_puts_fixed_to_awaiting_close_and_returns_unfixed(store: Store, tmp_path: Path) -> None:
    submit_with_failures(store, "demo-jincai", 2)
    after = tmp_path / "整改后.png"
    after.write_bytes(PNG)
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        sites = app.screen
        assert isinstance(sites, SitesScreen)
        await pilot.press("slash", *"jcxq", "enter")
        await pilot.press("f6")
        await pilot.pause()
        recheck = app.screen
        assert isinstance(recheck, RecheckScreen)
        assert len(recheck.problems) == 2
        first, second = recheck.problems
        await pilot.press("1")  # 已整改 without an after-photo: refused
        await pilot.pause()
        assert "整改后照片" in screen_text(app)
        assert [e.kind for e in store.problem(first.id).events] == [EventKind.REGISTER]
        app.screen.query_one("#recheck-photo").focus()
        await pilot.press(*str(after), "enter")
        await app.workers.wait_for_complete()  # checked and copied for upload in a worker
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        closed = store.problem(first.id)
        assert fold(closed).status is ProblemStatus.AWAITING_CLOSE  # 待销号: the office's 销号 closes it
        assert any("问题现为「待销号」" in str(n.message) for n in notifications(app))
        assert [e.kind for e in closed.events][-2:] == [EventKind.SUBMIT_FIX, EventKind.REVIEW_PASS]
        after_copy = store.attachment(fold(closed).after_photos[0])  # the upload copy; the original stays here
        assert after_copy.original is not None and store.attachment_path(after_copy.original).read_bytes() == PNG
        app.screen.query_one("#recheck-note").focus()
        await pilot.press(*"纸箱仍在")
        app.screen.query_one("#recheck-outcomes").focus()
        await pilot.press("2")  # 未整改
        await pilot.pause()
        assert isinstance(app.screen, SitesScreen)  # the walk ends after the last problem
    kept = store.problem(second.id)
    assert kept.events[-1].kind in (EventKind.NOTE, EventKind.REVIEW_FAIL)
    assert "纸箱仍在" in kept.events[-1].note
    assert fold(kept).status is not ProblemStatus.CLOSED
