"""Regressions from review: store refusals are messages, stale screens re-read, verdicts land where they are seen."""

from __future__ import annotations

import pytest

from inspector.core.records import InspectionStatus, Verdict
from inspector.core.store import Store, StoreError
from inspector.tui.app import InspectorApp
from inspector.tui.screens.history import HistoryScreen
from inspector.tui.screens.walk import WalkScreen
from inspector.tui.textual_private import notifications
from sync.credentials import Credentials, save_credentials
from tests.tui_support import screen_text


async def open_walk(pilot, query: str = "lmxq") -> WalkScreen:  # type: ignore[no-untyped-def]
    await pilot.press("slash", *query, "enter", "enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, WalkScreen)
    return screen


async def test_a_store_refusal_is_a_message_and_the_app_goes_on(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = (await open_walk(pilot)).walk

        def refuse(*args: object, **kwargs: object) -> None:
            raise StoreError("磁盘已满：/data/inspections/x.json 未能写入")

        monkeypatch.setattr(store, "record_result", refuse)
        await pilot.press("1")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, WalkScreen)
        assert any("磁盘已满" in str(n.message) for n in notifications(app))
        assert walk.verdict(walk.items[0].code) is None  # nothing is shown as recorded that was not saved


async def test_history_reopens_a_draft_submitted_meanwhile_read_only(store: Store) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_walk(pilot)
        await pilot.press("escape", "f2")  # back to the sites, then this site's history: one draft
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen) and "草稿" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        walk = app.screen
        assert isinstance(walk, WalkScreen) and not walk.read_only
        for _ in walk.walk.items:
            await pilot.press("1")
        await pilot.press("f4", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        assert "已提交" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        again = app.screen
        assert isinstance(again, WalkScreen) and again.read_only
        await pilot.press("1")  # inert, and no crash
        await pilot.pause()
        assert app.is_running
    (only,) = store.inspections()
    assert only.status is InspectionStatus.SUBMITTED


async def test_no_verdict_when_the_filter_shows_no_item(store: Store) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = (await open_walk(pilot)).walk
        await pilot.press("slash", *"zzzz", "enter")
        await pilot.press("1", "2", "3")
        await pilot.pause()
        assert isinstance(app.screen, WalkScreen)
        assert all(r.verdict is None for r in store.inspection(walk.inspection.id).results.values())


async def test_editing_an_existing_failure_stays_on_it(store: Store) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = (await open_walk(pilot)).walk
        await pilot.press("2", "1", "escape")  # fail item 1 with its first quick-pick; the walk moves on
        await pilot.pause()
        assert walk.position == 1
        await pilot.press("k", "e")  # back to it, open its details
        await pilot.pause()
        await pilot.press("2", "escape")  # add the second quick-pick, close
        await pilot.pause()
        assert walk.position == 0
        result = walk.result(walk.items[0].code)
        assert result is not None and result.verdict is Verdict.FAIL and len(result.quick_picks) == 2


async def test_the_enrolled_inspector_is_named_on_the_records(store: Store) -> None:
    save_credentials(
        store.data_dir, Credentials(url="http://127.0.0.1:9", device_id="d", token="t" * 24, user="王督查")
    )
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = (await open_walk(pilot)).walk
        await pilot.press("2", "1", "escape")
        for _ in walk.items[1:]:
            await pilot.press("1")
        await pilot.press("f4", "ctrl+s")
        await pilot.pause()
    (inspection,) = store.inspections()
    assert inspection.inspector == "王督查"
    (problem,) = store.problems()
    assert problem.found_by == "王督查" and problem.events[0].actor == "王督查"


async def test_an_unexpected_error_ends_the_app_with_a_short_message_and_a_crash_log(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    app = InspectorApp(store, sync_enabled=False)
    with pytest.raises(RuntimeError, match="boom"):  # run_test re-raises what ended the app
        async with app.run_test(size=(100, 30)) as pilot:

            def explode() -> None:
                raise RuntimeError("boom")

            app.call_later(explode)
            await pilot.pause()
    logs = list(store.data_dir.glob("crash-*.log"))
    assert len(logs) == 1 and "RuntimeError: boom" in logs[0].read_text(encoding="utf-8")
    printed = "".join(capsys.readouterr().err.split())  # what is printed once the app has closed, unwrapped
    assert "".join(app.t("app.crashed", error="RuntimeError: boom", log=logs[0]).split()) in printed
    assert "Traceback" not in printed
