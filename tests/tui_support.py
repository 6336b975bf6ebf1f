"""Helpers for driving the TUI in tests: a store with the demo sites, an app, and the screen as text."""

from __future__ import annotations

import io
import os
from pathlib import Path

os.environ.setdefault("TEXTUAL_DISABLE_KITTY_KEY", "1")

from rich.cells import cell_len
from rich.console import Console
from textual.app import App
from textual.widget import Widget

from inspector.core.demo import demo_sites
from inspector.core.store import Store
from inspector.tui.textual_private import frame


def open_demo_store(data_dir: Path) -> Store:
    store = Store.open(data_dir)
    if not store.sites():
        store.put_sites(demo_sites())
    return store


def screen_lines(app: App[object]) -> list[str]:
    """What the terminal would show now, one string per row (wide characters are single string characters)."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, color_system=None, legacy_windows=False
    )
    console.print(frame(app))
    lines = console.export_text(styles=False).split("\n")
    return lines[:height]


def screen_text(app: App[object]) -> str:
    return "\n".join(screen_lines(app))


def crop_cells(line: str, x: int, width: int) -> str:
    """The characters of `line` that sit in terminal columns x .. x+width-1."""
    out, column = [], 0
    for char in line:
        size = cell_len(char)
        if column >= x and column + size <= x + width:
            out.append(char)
        column += size
    return "".join(out)


def widget_text(app: App[object], widget: Widget) -> str:
    """The visible text of one widget's region, rows joined without line breaks (wrapped text reads as one run)."""
    region = widget.region
    lines = screen_lines(app)[region.y : region.y + region.height]
    return "".join(crop_cells(line, region.x, region.width).rstrip() for line in lines)


def squash(text: str) -> str:
    return "".join(text.split())
