"""Opening the TUI: the store first, so a locked or unusable data dir is a message, not a crash."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import TextIO

# Before Textual is imported (it reads the variable once): with the kitty keyboard protocol on, a Chinese IME's
# commit arrives as one long escape sequence that Textual's parser gives up on and re-issues as junk keys
# (tests/test_tui_keys.py shows both), and some terminals (iTerm2) drop IME text in that mode altogether.
os.environ.setdefault("TEXTUAL_DISABLE_KITTY_KEY", "1")
# We use no pydantic plugins; looking for them scans every installed package's metadata on the first model built.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def open_store_with_demo(data_dir: Path, lang: str = "zh") -> object:
    """Open (or create) the store; a store without sites gets the demo sites so the first run needs nothing."""
    from inspector.core.demo import demo_sites
    from inspector.core.store import Store

    store = Store.open(data_dir, lang=lang)
    if not store.sites():
        store.put_sites(demo_sites())
    return store


def run_tui(data_dir: Path, *, lang: str = "zh", err: TextIO) -> int:
    # Start-up makes only objects that live as long as the app (modules, styles, widgets): collecting meanwhile
    # is wasted time (~20 ms). The app's first settle_heap, once the site list is up, turns the collector back on.
    gc.disable()
    try:
        from inspector.core.store import Store, StoreError

        try:
            store = open_store_with_demo(data_dir, lang)
        except StoreError as exc:
            err.write(f"{exc}\n")
            return 1
        assert isinstance(store, Store)
        try:
            from inspector.tui.app import InspectorApp
            from inspector.tui.widgets.photo_preview import detect_terminal

            detect_terminal()  # what images the terminal shows: asked now, as Textual will own its input
            app = InspectorApp(store, lang=lang)
            app.run()
        finally:
            store.close()
        return app.return_code or 0
    finally:
        gc.enable()
