"""Whole walks through the real app with Pilot, checked on the screen and in the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.core.problems import ProblemStatus, fold
from inspector.core.records import InspectionStatus, Verdict
from inspector.core.store import Store
from inspector.tui.app import InspectorApp
from inspector.tui.screens.failure import FailureScreen
from inspector.tui.screens.sites import SitesScreen
from inspector.tui.screens.summary import SummaryScreen
from inspector.tui.screens.walk import WalkScreen
from tests.photo_support import small_png
from tests.tui_support import open_demo_store, screen_text

# A real PNG (Pillow decodes it): attaching a photo checks it decodes whole.
PNG = small_png()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def make_app(store: Store, lang: str = "zh") -> InspectorApp:
    return InspectorApp(store, lang=lang, sync_enabled=False)


async def open_site(pilot, query: str) -> WalkScreen:  # type: ignore[no-untyped-def]
    await pilot.press("slash")
    await pilot.press(*query)
    await pilot.press("enter")  # keep the filter, back to the list
    await pilot.press("enter")  # start or resume
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, WalkScreen), type(screen)
    return screen


async def test_pinyin_filter_finds_the_site(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        for query in ("lmxq", "limin", "利民"):
            await pilot.press("slash")
            box = app.screen.query_one("#site-filter")
            box.value = ""  # type: ignore[attr-defined]
            await pilot.press(*query)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SitesScreen)
            names = [s.name for s in screen._shown]
            assert names == ["利民小区"], (query, names)
            await pilot.press("escape")  # clears the filter
            await pilot.pause()
            assert len(screen._shown) == len(store.sites())


async def test_whole_walk_with_failures_photo_quit_resume_and_submit(data_dir: Path, tmp_path: Path) -> None:
    photo = tmp_path / "楼道照片.png"
    photo.write_bytes(PNG)

    # 1. Start at 利民小区: pass, fail with a quick-pick and a typed Chinese note, attach a photo, n/a.
    store = open_demo_store(data_dir)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        walk_screen = await open_site(pilot, "lmxq")
        walk = walk_screen.walk
        items = walk.items
        assert walk.position == 0
        await pilot.press("1")  # 符合 → auto-advance
        assert walk.position == 1
        await pilot.press("2")  # 不符合 → the panel opens
        await pilot.pause()
        panel = app.screen
        assert isinstance(panel, FailureScreen)
        await pilot.press("1")  # first quick-pick
        await pilot.press("tab")  # to the severity line's neighbour: the note
        app.screen.query_one("#note").focus()
        await pilot.press(*"北侧楼道堆放纸箱")
        app.screen.query_one("#photo").focus()
        await pilot.press(*str(photo))
        await pilot.press("enter")
        await app.workers.wait_for_complete()  # checked and copied for upload in a worker
        await pilot.pause()
        await pilot.press("escape")  # complete: leaves the panel and advances
        await pilot.pause()
        assert isinstance(app.screen, WalkScreen)
        failed = walk.result(items[1].code)
        assert failed is not None and failed.verdict is Verdict.FAIL
        assert failed.quick_picks == [items[1].quick_picks[0]]
        assert failed.note == "北侧楼道堆放纸箱"
        assert len(failed.photos) == 1
        assert walk.position == 2
        await pilot.press("3")  # 不适用
        assert walk.position == 3
        # The store holds exactly what the screen shows, before anything else happens.
        on_disk = store.inspection(walk.inspection.id)
        assert on_disk.results[items[0].code].verdict is Verdict.PASS
        assert on_disk.results[items[1].code].note == "北侧楼道堆放纸箱"
        assert on_disk.results[items[2].code].verdict is Verdict.NA
        assert on_disk.current_code == items[3].code
        inspection_id = walk.inspection.id
        await pilot.press("ctrl+q")  # quit mid-walk
    store.close()

    # 2. Restart on the same data dir: the draft resumes on the same item with the same answers.
    store = Store.open(data_dir)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        sites = app.screen
        assert isinstance(sites, SitesScreen)
        assert "草稿 3/" in screen_text(app)  # the list says there is a draft
        walk_screen = await open_site(pilot, "limin")
        walk = walk_screen.walk
        assert walk.inspection.id == inspection_id
        assert walk.position == 3
        # 3. Answer everything else by digits alone: auto-advance carries the walk to the end.
        for _ in range(len(walk.items) - 3):
            await pilot.press("1")
        score = walk.score()
        assert score.unanswered == ()
        assert (score.passed, score.failed, score.not_applicable) == (len(walk.items) - 2, 1, 1)
        # 4. Finish and submit.
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        assert "得分率" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SitesScreen)
    submitted = store.inspection(inspection_id)
    assert submitted.status is InspectionStatus.SUBMITTED
    assert submitted.submitted_at is not None
    problems = [p for p in store.problems() if p.inspection_id == inspection_id]
    assert len(problems) == 1
    problem = problems[0]
    assert problem.item_code == items[1].code
    assert "北侧楼道堆放纸箱" in problem.description and items[1].quick_picks[0] in problem.description
    assert problem.photos == failed.photos
    assert problem.responsible_unit == store.site(submitted.site_id).responsible_unit
    assert fold(problem).status is ProblemStatus.REGISTERED
    copy = store.attachment(problem.photos[0])  # the problem names the upload copy; the original is kept
    assert copy.original is not None and store.attachment_path(copy.original).read_bytes() == PNG
    store.close()


async def test_failure_needs_a_description_and_second_escape_abandons(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = (await open_site(pilot, "jxhy")).walk  # 景馨花园
        code = walk.item.code
        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.screen, FailureScreen)
        await pilot.press("escape")  # refused: no description yet
        await pilot.pause()
        assert isinstance(app.screen, FailureScreen)
        assert "必须有问题描述" in screen_text(app)
        await pilot.press("escape")  # abandons the failure
        await pilot.pause()
        assert isinstance(app.screen, WalkScreen)
        assert walk.verdict(code) is None
        stored = store.inspection(walk.inspection.id).results.get(code)
        assert stored is None or stored.verdict is None


async def test_verdict_keys_do_nothing_while_a_text_field_has_focus(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = (await open_site(pilot, "jcxq")).walk  # 金采小区
        await pilot.press("slash")  # the item filter has focus now
        await pilot.press("1", "2", "3")
        await pilot.pause()
        box = app.screen.query_one("#item-filter")
        assert box.value == "123"  # type: ignore[attr-defined]
        assert all(r.verdict is None for r in store.inspection(walk.inspection.id).results.values())
        await pilot.press("escape")  # clears the filter, back to the list
        assert app.focused is app.screen.query_one("#items")
        current = walk.item.code
        await pilot.press("1")
        assert store.inspection(walk.inspection.id).results[current].verdict is Verdict.PASS


async def test_escape_never_quits(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_site(pilot, "lmxq")
        for _ in range(6):
            await pilot.press("escape")
            await pilot.pause()
        assert app.is_running
        assert isinstance(app.screen, SitesScreen)


async def test_jump_keys_and_undo(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = (await open_site(pilot, "fhy")).walk  # 富华园
        await pilot.press("G")
        assert walk.position == len(walk.items) - 1
        await pilot.press("g")
        assert walk.position == 0
        await pilot.press("j", "j")
        assert walk.position == 2
        await pilot.press("k")
        assert walk.position == 1
        await pilot.press("3")  # n/a on item 1, advances to item 0? no: to the next unanswered after 1
        assert walk.position == 2
        await pilot.press("f7")  # next unanswered from 2 is 3
        assert walk.position == 3
        await pilot.press("u")  # undo the n/a
        assert walk.position == 1
        assert walk.verdict(walk.items[1].code) is None
        assert store.inspection(walk.inspection.id).results[walk.items[1].code].verdict is None


async def test_history_shows_submitted_inspection_read_only(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = (await open_site(pilot, "dsxc")).walk  # 东升新村
        for _ in walk.items:
            await pilot.press("1")
        await pilot.press("f4", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SitesScreen)
        assert "100.0%" in screen_text(app)
        await pilot.press("f2")  # history of the selected site
        await pilot.pause()
        assert "已提交" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        past = app.screen
        assert isinstance(past, WalkScreen) and past.read_only
        await pilot.press("2")  # verdict keys are inert on a submitted inspection
        await pilot.pause()
        assert isinstance(app.screen, WalkScreen)
        assert store.inspection(walk.inspection.id).results[past.walk.item.code].verdict is Verdict.PASS


async def test_english_interface(store: Store) -> None:
    app = make_app(store, lang="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Site" in text and "Inspect" in text and "Filter" in text
        await open_site(pilot, "lmxq")
        text = screen_text(app)
        assert "Pass" in text and "Fail" in text and "Finish" in text


async def test_the_item_filter_takes_codes_chinese_and_pinyin(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_site(pilot, "lmxq")
        for query in ("LY-D-15", "飞线充电", "feixian", "fxcd"):
            box = screen.query_one("#item-filter")
            await pilot.press("slash")
            box.value = ""  # type: ignore[attr-defined]
            await pilot.press(*query)
            await pilot.pause()
            shown = [screen.walk.items[i].code for i in screen._visible]
            assert "LY-D-15" in shown and len(shown) < len(screen.walk.items) // 2, (query, shown)
        await pilot.press("enter", "1")  # a verdict goes to the item the filter shows
        await pilot.pause()
        assert store.inspection(screen.walk.inspection.id).results["LY-D-15"].verdict is Verdict.PASS
