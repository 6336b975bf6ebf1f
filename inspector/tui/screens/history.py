"""Past inspections of one site, newest first; Enter opens one read-only."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from inspector.core.overview import checklist_for_inspection
from inspector.core.records import Inspection, Site
from inspector.core.scoring import score
from inspector.tui.screens.base import BaseScreen, guarded
from inspector.tui.widgets.localized_table import LocalizedTable
from inspector.tui.widgets.top_bar import TopBar


class HistoryTable(LocalizedTable[str]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "key.open", id="open_past")]


class HistoryScreen(BaseScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back", id="back_history"),
    ]

    def __init__(self, site: Site) -> None:
        super().__init__()
        self.site = site
        self._inspections: list[Inspection] = []

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("history.title", site=self.site.name))
        table = HistoryTable(id="history", cursor_type="row", zebra_stripes=True)
        for key in ("date", "status", "rate", "failed", "inspector"):
            table.add_column(self.t(f"history.col.{key}"), key=key)
        yield table
        yield Static(id="history-empty")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(HistoryTable).focus()  # rows come in on_screen_resume (BaseScreen), also on first show

    def reload(self) -> None:
        store = self.inspector_app.store
        self._inspections = list(reversed(store.inspections(self.site.id)))
        table = self.query_one(HistoryTable)
        cursor = table.cursor_row
        table.clear()
        for inspection in self._inspections:
            checklist = checklist_for_inspection(store, inspection)
            result = score(inspection, checklist) if checklist else None
            when = inspection.submitted_at or inspection.started_at
            table.add_row(
                when.astimezone().strftime("%Y-%m-%d %H:%M"),
                self.t(f"status.{inspection.status.value}"),
                result.rate_text() if result else "—",
                str(result.failed) if result else "—",
                inspection.inspector or "—",
            )
        self.query_one("#history-empty", Static).update("" if self._inspections else self.t("history.none"))
        if self._inspections:
            table.move_cursor(row=min(max(cursor, 0), len(self._inspections) - 1))

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    @guarded
    def action_open(self) -> None:
        from inspector.tui.screens.walk import WalkScreen

        row = self.query_one(DataTable).cursor_row
        if not 0 <= row < len(self._inspections):
            return
        store = self.inspector_app.store
        inspection = store.inspection(self._inspections[row].id)  # as it is now, not as the list was read
        checklist = checklist_for_inspection(store, inspection)
        if checklist is not None:
            self.app.push_screen(WalkScreen(self.site, inspection, checklist))

    def action_back(self) -> None:
        self.app.pop_screen()
