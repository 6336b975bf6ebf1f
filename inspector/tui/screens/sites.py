"""The first screen: every site with its type, area, last inspection and 得分率; type to filter, Enter to walk."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Input, Static

from inspector.core.overview import SiteSummary, site_summaries
from inspector.core.records import Site
from inspector.core.search import matches
from inspector.tui.messages import DataChanged
from inspector.tui.screens.base import BaseScreen, guarded
from inspector.tui.widgets.localized_table import LocalizedTable
from inspector.tui.widgets.top_bar import TopBar

SITE_TYPE_ORDER = {"楼院": 0, "背街小巷": 1, "公共广场": 2}


def site_order(site: Site) -> tuple[int, str, str, str]:
    """Residential compounds first (most of the work), then back streets, squares and the rest; then by area."""
    return (SITE_TYPE_ORDER.get(site.site_type, len(SITE_TYPE_ORDER)), site.street, site.community, site.name)


class SiteTable(LocalizedTable[str]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "key.open", id="open"),
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
        Binding("g,home", "scroll_top", show=False),
        Binding("G,end", "scroll_bottom", show=False),
    ]


class SitesScreen(BaseScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash,ideographic_comma", "filter", "key.filter", id="filter", key_display="/"),
        Binding("f2,h", "history", "key.history", id="history", key_display="F2"),
        Binding("f3,l", "ledger", "key.ledger", id="ledger", key_display="F3"),
        Binding("f6,r", "recheck", "key.recheck", id="recheck", key_display="F6"),
        Binding("escape", "clear_filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._sites: list[Site] = []
        self._summaries: dict[str, SiteSummary] = {}
        self._shown: list[Site] = []
        self._assigned: set[str] = set()

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("sites.title"))
        yield Input(placeholder=self.t("sites.filter_placeholder"), id="site-filter")
        table: SiteTable = SiteTable(id="sites", cursor_type="row", zebra_stripes=True)
        for key in ("name", "type", "state", "last", "rate", "area"):  # what needs doing before where it is
            table.add_column(self.t(f"sites.col.{key}"), key=key)
        yield table
        yield Static("", id="sites-count")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(SiteTable).focus()  # rows come in on_screen_resume (BaseScreen), also on first show

    def reload(self) -> None:
        store = self.inspector_app.store
        # My sites of this round (assignments pulled from HQ) come first and say so.
        user = self.inspector_app.user_name()
        self._assigned = store.assigned_site_ids(user) if user else set()
        self._sites = sorted(store.sites(), key=lambda s: (s.id not in self._assigned, *site_order(s)))
        self._summaries = site_summaries(store)
        self._fill(self.query_one("#site-filter", Input).value)

    def on_data_changed(self, _: DataChanged) -> None:
        self.redraw()

    def _fill(self, query: str) -> None:
        table = self.query_one(SiteTable)
        selected = self.selected_site_id()
        shown = [s for s in self._sites if matches(query, s.name, s.community, s.street)] if query else self._sites
        table.clear()
        table.add_rows(self._row(site) for site in shown)
        for index, site in enumerate(shown):
            if site.id == selected:
                table.move_cursor(row=index)
        self._shown = shown
        count = self.t("sites.count", shown=len(shown), total=len(self._sites))
        self.query_one("#sites-count", Static).update(count if shown else self.t("sites.none"))

    def _row(self, site: Site) -> tuple[str, ...]:
        summary = self._summaries.get(site.id, SiteSummary())
        last = summary.last_submitted.astimezone().strftime("%Y-%m-%d") if summary.last_submitted else "—"
        rate = summary.last_score.rate_text() if summary.last_score else "—"
        states = []
        if site.id in self._assigned:
            states.append(self.t("sites.state.assigned"))
        if summary.draft_answered is not None:
            states.append(self.t("sites.state.draft", done=summary.draft_answered, total=summary.draft_total))
        if summary.open_problems:
            states.append(self.t("sites.state.open_problems", n=summary.open_problems))
        area = " / ".join(p for p in (site.street, site.community) if p)
        return (site.name, site.site_type, " ".join(states), last, rate, area)

    def selected_site_id(self) -> str | None:
        table = self.query_one(SiteTable)
        shown = self._shown
        if not shown or table.cursor_row < 0 or table.cursor_row >= len(shown):
            return None
        return shown[table.cursor_row].id

    def selected_site(self) -> Site | None:
        site_id = self.selected_site_id()
        return next((s for s in self._sites if s.id == site_id), None)

    # filtering ----------------------------------------------------------------------------------------------
    @on(Input.Changed, "#site-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#site-filter")
    def _filter_submitted(self) -> None:
        self.query_one(SiteTable).focus()

    def on_key(self, event: object) -> None:
        from textual.events import Key

        if isinstance(event, Key) and event.key == "down" and self.focused is self.query_one("#site-filter"):
            self.query_one(SiteTable).focus()
            event.stop()

    def action_filter(self) -> None:
        self.query_one("#site-filter", Input).focus()

    def action_clear_filter(self) -> None:
        """Esc clears the filter and goes back to the list; it never quits."""
        box = self.query_one("#site-filter", Input)
        if box.value:
            box.value = ""
        self.query_one(SiteTable).focus()

    # actions ------------------------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#sites")
    def _row_selected(self) -> None:
        self.action_open()

    @guarded
    def action_open(self) -> None:
        from inspector.core.walk import start_or_resume
        from inspector.tui.screens.walk import WalkScreen

        site = self.selected_site()
        if site is None:
            return
        started = start_or_resume(self.inspector_app.store, site, inspector=self.inspector_app.user_name())
        if started is None:
            self.notify(self.t("sites.no_checklist", site_type=site.site_type), severity="error")
            return
        inspection, checklist = started
        self.app.push_screen(WalkScreen(site, inspection, checklist))

    def action_history(self) -> None:
        from inspector.tui.screens.history import HistoryScreen

        site = self.selected_site()
        if site is not None:
            self.app.push_screen(HistoryScreen(site))

    def action_ledger(self) -> None:
        self.inspector_app.action_ledger()

    def action_recheck(self) -> None:
        from inspector.tui.screens.recheck import RecheckScreen

        site = self.selected_site()
        if site is not None:
            self.app.push_screen(RecheckScreen(site))

    def palette_commands(self) -> Iterable[SystemCommand]:
        site = self.selected_site()
        if site is not None:
            yield SystemCommand(
                f"{self.t('key.open')}{self.t('sep')}{site.name}", site.address or site.name, self.action_open
            )
            yield SystemCommand(f"{self.t('key.history')}{self.t('sep')}{site.name}", site.name, self.action_history)
            yield SystemCommand(f"{self.t('key.recheck')}{self.t('sep')}{site.name}", site.name, self.action_recheck)
