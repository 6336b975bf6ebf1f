"""The one-line bar at the top of every screen: where you are, and the sync badge."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static


class SyncBadge(Static):
    """Pending count, last success, last error in words; updated by the app, never by polling."""

    level: reactive[str] = reactive("idle")

    def watch_level(self, old: str, new: str) -> None:
        self.remove_class(f"-{old}")
        self.add_class(f"-{new}")


class TopBar(Horizontal):
    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._title = title

    def compose(self) -> ComposeResult:
        yield Static(self._title, id="top-title")
        yield SyncBadge(id="sync-badge")

    def set_title(self, title: str) -> None:
        self._title = title
        self.query_one("#top-title", Static).update(title, layout=False)  # a fixed one-line bar

    def on_mount(self) -> None:
        from inspector.tui.app import InspectorApp

        app = self.app
        if isinstance(app, InspectorApp):
            self.show_sync(app.sync_text, app.sync_level)

    def show_sync(self, text: str, level: str) -> None:
        badge = self.query_one(SyncBadge)
        badge.update(text)
        badge.level = level
