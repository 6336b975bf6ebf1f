"""Text snapshots at 80×24, the size the app must fit: the item's official wording is never clipped."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot

from checklists.registry import builtin_checklists
from inspector.core.store import Store
from inspector.tui.app import InspectorApp
from inspector.tui.screens.failure import FailureScreen
from inspector.tui.screens.walk import WalkScreen
from inspector.tui.textual_private import compositor
from inspector.tui.widgets.item_detail import ItemDetail
from tests.tui_support import screen_lines, screen_text, squash, widget_text

SIZE = (80, 24)


async def open_limin_walk(app: InspectorApp, pilot: Pilot[None]) -> WalkScreen:
    """Find 利民小区 by its pinyin initials and open its walk, as an inspector would."""
    await pilot.press("slash", *"lmxq", "enter", "enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, WalkScreen)
    return screen


def longest_item_code() -> tuple[str, str]:
    checklist = next(c for c in builtin_checklists() if c.site_type == "楼院")
    item = max(checklist.items, key=lambda i: len(i.text))
    return item.code, item.text


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_sites_screen_fits_80x24(store: Store, lang: str) -> None:
    app = InspectorApp(store, lang=lang, sync_enabled=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = screen_lines(app)
        assert len(lines) == 24
        text = "\n".join(lines)
        assert "利民小区" in text
        assert ("检查" if lang == "zh" else "Inspect") in lines[-1]  # the footer teaches the main key
        assert ("点位" if lang == "zh" else "Site") in lines[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_walk_shows_the_longest_item_text_whole_at_80x24(store: Store, lang: str) -> None:
    code, text = longest_item_code()
    app = InspectorApp(store, lang=lang, sync_enabled=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_limin_walk(app, pilot)
        screen._go(screen.walk.index_of(code))
        await pilot.pause()
        shown = widget_text(app, screen.query_one("#detail"))
        assert squash(text) in squash(shown), "the official wording is clipped or altered"
        footer = screen_lines(app)[-1]
        for key in ("1", "2", "3"):
            assert key in footer
        assert code in screen_text(app)


async def test_failure_panel_fits_80x24(store: Store) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=SIZE) as pilot:
        walk = (await open_limin_walk(app, pilot)).walk
        item = walk.item
        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.screen, FailureScreen)
        text = squash(screen_text(app))
        for phrase in item.quick_picks:
            assert squash(phrase) in text, phrase
        assert "程度" in text and "照片" in text


async def test_wide_terminal_gives_the_item_list_more_room(store: Store) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        narrow_width = 30
        assert app.screen.query_one("#items").size.width > narrow_width
        assert app.screen.query_one("#detail").size.width > 100


async def test_a_long_item_scrolls_in_the_detail_pane_from_the_keyboard(store: Store) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(80, 16)) as pilot:  # a short window: the longest item overflows the pane
        screen = await open_limin_walk(app, pilot)
        detail = screen.query_one(ItemDetail)
        longest = max(
            range(len(screen.walk.items)),
            key=lambda i: len(screen._detail_text(screen.walk.items[i]).plain),
        )
        screen._go(longest)
        await pilot.pause()
        assert detail.max_offset > 0, "pick a checklist item longer than the pane for this test"
        assert "shift+↓" in widget_text(app, detail)  # the pane says there is more, and how to read it
        last_line = detail.plain_lines[-1]
        assert last_line not in widget_text(app, detail)
        position = screen.walk.position
        for _ in range(detail.max_offset):
            await pilot.press("shift+down")
        await pilot.pause()
        assert detail.offset_y == detail.max_offset
        assert last_line in widget_text(app, detail)
        assert "shift+↑" in widget_text(app, detail)
        assert screen.walk.position == position  # the list and its focus stay where they were
        assert app.focused is screen.query_one("#items")
        wheel = (detail, 1, 1, 0, 0, 0, False, False, False)
        detail.post_message(events.MouseScrollUp(*wheel))
        await pilot.pause()
        assert detail.offset_y == max(0, detail.max_offset - 3)  # the mouse wheel reads back up, too
        detail.post_message(events.MouseScrollDown(*wheel))
        await pilot.pause()
        assert detail.offset_y == detail.max_offset


async def test_a_verdict_repaints_without_laying_the_screen_out_again(store: Store) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_limin_walk(app, pilot)
        screen_compositor = compositor(screen)
        original = screen_compositor.reflow
        reflows: list[object] = []

        def counting(*args: Any, **kwargs: Any) -> Any:
            reflows.append(args)
            return original(*args, **kwargs)

        screen_compositor.reflow = counting  # type: ignore[method-assign]
        start = screen.walk.position
        await pilot.press("1", "3", "1")
        await pilot.pause()
        assert screen.walk.position == start + 3
        assert reflows == [], "a verdict must not cost a layout of the whole screen"
        shown = widget_text(app, screen.query_one(ItemDetail))
        assert squash(screen.walk.item.title) in squash(shown)  # the next item is on screen all the same
        assert "3/" in screen_lines(app)[-2]  # and the progress line counts the three verdicts


async def test_an_open_walk_keeps_its_objects_out_of_the_gc_and_gives_them_back_on_leaving(store: Store) -> None:
    gc.unfreeze()
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        on_the_site_list = gc.get_freeze_count()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, WalkScreen)
        await pilot.pause()
        assert gc.get_freeze_count() > on_the_site_list  # the walk's widgets and records joined them
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, WalkScreen)
        assert gc.get_freeze_count() == 0


async def test_the_item_list_keeps_the_next_items_in_sight(store: Store) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_limin_walk(app, pilot)
        items = screen.query_one("#items")
        rows = items.scrollable_content_region.height
        assert len(screen.walk.items) > rows + 3, "needs a checklist longer than the list at 80x24"
        for _ in range(len(screen.walk.items) - 3):
            await pilot.press("1")
            await pilot.pause()
            position = screen.walk.position
            text = widget_text(app, items)
            for ahead in (1, 2):  # what comes next is never below the edge
                assert screen.walk.items[position + ahead].code in text, (position, ahead)


async def test_a_draft_shows_its_progress_on_the_site_list_at_80x24(store: Store) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=SIZE) as pilot:
        total = len((await open_limin_walk(app, pilot)).walk.items)
        await pilot.press("1", "1", "escape")
        await pilot.pause()
        row = next(line for line in screen_lines(app) if "利民小区" in line)
        assert f"草稿 2/{total}" in row
