"""Keys: help everywhere, the palette, remapping, and the Chinese-IME safeguards.

A Chinese input method swallows letters and turns / and ? into 、 and ？: verdicts are digits, the full-width twins
are bound too, and the kitty keyboard protocol (which garbles long IME commits) is kept off."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from inspector.core.store import Store
from inspector.tui.app import InspectorApp
from inspector.tui.screens.help import HelpScreen
from inspector.tui.screens.sites import SitesScreen
from inspector.tui.screens.walk import WalkScreen
from inspector.tui.textual_private import notifications
from tests.tui_support import screen_text

SIX = "裂缝宽度超标"


def test_entry_points_disable_the_kitty_protocol_before_textual_loads() -> None:
    for module in ("inspector.cli", "inspector.tui.launch"):
        code = f"import {module}; import textual.constants as c; print(c.DISABLE_KITTY_KEY)"
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PATH": ""}
        )
        assert result.stdout.strip() == "True", (module, result.stdout, result.stderr)


def test_a_six_character_ime_commit_reaches_the_app_intact() -> None:
    """With the kitty protocol off, the terminal sends the commit as UTF-8 and Textual's parser yields the keys."""
    code = (
        "import inspector.cli\n"
        "from inspector.tui.textual_private import xterm_parser\n"
        "from textual import events\n"
        f"keys = [e for e in xterm_parser()().feed({SIX!r}) if isinstance(e, events.Key)]\n"
        "print(''.join(k.character or '' for k in keys))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, encoding="utf-8")
    assert result.stdout.strip() == SIX


def test_the_kitty_encoding_of_the_same_commit_is_what_we_avoid() -> None:
    """Why the safeguard exists: the parser gives up on a long kitty sequence and emits junk keys instead."""
    kitty = "\x1b[32;;" + ":".join(str(ord(c)) for c in SIX) + "u"
    code = (
        "import os; os.environ['TEXTUAL_DISABLE_KITTY_KEY'] = ''\n"
        "from inspector.tui.textual_private import xterm_parser\n"
        "from textual import events\n"
        f"keys = [e for e in xterm_parser()().feed({kitty!r}) if isinstance(e, events.Key)]\n"
        "print(''.join(k.character or '' for k in keys))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, encoding="utf-8")
    assert result.stdout.strip() != SIX


async def test_help_opens_on_question_mark_fullwidth_and_f1(store: Store) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for key in ("question_mark", "fullwidth_question_mark", "f1"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen), key
            text = screen_text(app)
            assert "退出" in text and "检查" in text and "筛选" in text
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, SitesScreen)


async def test_help_on_the_walk_lists_the_verdict_keys(store: Store) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, WalkScreen)
        await pilot.press("f1")
        await pilot.pause()
        text = screen_text(app)
        for words in ("符合", "不符合", "不适用", "完成", "下个未判"):
            assert words in text, words


async def test_full_width_slash_opens_the_filter(store: Store) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ideographic_comma")
        await pilot.pause()
        assert app.focused is app.screen.query_one("#site-filter")


async def test_keymap_file_remaps_a_binding_by_id(store: Store) -> None:
    (store.data_dir / "keymap.json").write_text(json.dumps({"pass": "y", "finish": "f9"}), encoding="utf-8")
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WalkScreen)
        first = screen.walk.item.code
        await pilot.press("y")
        assert screen.walk.result(first) is not None
        assert screen.walk.position == 1
        await pilot.press("f9")
        await pilot.pause()
        assert type(app.screen).__name__ == "SummaryScreen"


async def test_broken_keymap_is_reported_not_fatal(store: Store) -> None:
    (store.data_dir / "keymap.json").write_text("{not json", encoding="utf-8")
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SitesScreen)
        assert any("keymap.json" in str(n.message) for n in notifications(app))


async def test_command_palette_offers_the_main_actions(store: Store) -> None:
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("立即同步", "问题台账", "按键帮助", "退出"):
            assert wanted in titles
        assert any(t.startswith("检查：") for t in titles)  # the selected site's own commands
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert "CommandPalette" in type(app.screen).__name__
        assert "搜索命令" in screen_text(app)  # Textual's search box, in the user's language


async def test_the_site_list_reads_the_store_again_only_after_a_write(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspector.tui.screens import sites

    reads: list[object] = []
    real = sites.site_summaries

    def counting(store: Store) -> object:
        reads.append(store)
        return real(store)

    monkeypatch.setattr(sites, "site_summaries", counting)
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert len(reads) == 1
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SitesScreen)
        assert len(reads) == 1, "closing the help changed nothing: no need to read every inspection again"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("1", "escape")
        await pilot.pause()
        assert len(reads) == 2  # a verdict was saved: the list shows the draft's progress
        assert "草稿 1/" in screen_text(app)
