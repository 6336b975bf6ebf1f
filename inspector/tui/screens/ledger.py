"""The problem ledger (问题台账): every problem, filtered and sorted by deadline; reviewers act on many at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from checklists.schema import Severity
from inspector.core.problems import (
    OPEN_STATUSES,
    ProblemStatus,
    ProblemView,
    deadline_text,
    event_label,
    fold,
    is_overdue,
)
from inspector.core.records import DeadlineKind, DeadlineRule, Problem, Site
from inspector.core.search import matches
from inspector.core.submission import ActionResult, assign_events, close_events, void_events
from inspector.tui.messages import DataChanged
from inspector.tui.screens.base import BaseModal, BaseScreen, guarded
from inspector.tui.widgets.localized_table import LocalizedTable
from inspector.tui.widgets.photo_preview import BeforeAfter, held_photo
from inspector.tui.widgets.top_bar import TopBar

STATUS_CYCLE: list[ProblemStatus | str | None] = [None, "open", *ProblemStatus]
SEVERITY_CYCLE: list[Severity | None] = [None, Severity.MAJOR, Severity.MINOR]


def _clip(text: str, chars: int) -> str:
    """Short cells so the ledger fits 80 columns; the detail view (Enter) shows everything."""
    return text if len(text) <= chars else text[: chars - 1] + "…"


class LedgerTable(LocalizedTable[str | Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "key.problem_detail", id="problem_detail"),
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
    ]


class LedgerScreen(BaseScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "mark", "key.mark", id="mark"),
        Binding("slash,ideographic_comma", "filter", "key.filter", id="filter_ledger", key_display="/"),
        Binding("f2", "cycle_status", "key.status_filter", id="status_filter"),
        Binding("f3", "toggle_overdue", "key.overdue_filter", id="overdue_filter"),
        Binding("f4", "cycle_severity", "key.severity_filter", id="severity_filter", show=False),
        Binding("f6", "assign", "key.assign", id="assign"),
        Binding("f7", "close_problems", "key.close", id="close_problems"),
        Binding("f8", "void", "key.void", id="void"),
        Binding("escape", "back", "key.back", id="back_ledger"),
    ]

    def __init__(self, *, today: date | None = None) -> None:
        super().__init__()
        self.today = today or date.today()
        self._status: ProblemStatus | str | None = "open"
        self._overdue_only = False
        self._severity: Severity | None = None
        self._selected: set[str] = set()
        self._rows: list[tuple[Problem, ProblemView]] = []
        self._all: list[tuple[Problem, ProblemView]] = []
        self._sites: dict[str, Site] = {}

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("ledger.title"))
        yield Input(placeholder=self.t("ledger.filter_placeholder"), id="ledger-filter")
        table = LedgerTable(id="ledger", cursor_type="row", zebra_stripes=True)
        for key in ("mark", "site", "item", "problem", "unit", "due", "status"):
            table.add_column(self.t(f"ledger.col.{key}"), key=key)
        yield table
        yield Static(id="ledger-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(LedgerTable).focus()  # the rows come in on_screen_resume (BaseScreen), also on first show

    def on_data_changed(self, _: DataChanged) -> None:
        self.redraw()

    @property
    def is_reviewer(self) -> bool:
        return self.inspector_app.role() in ("reviewer", "admin")

    def reload(self) -> None:
        store = self.inspector_app.store
        self._sites = {s.id: s for s in store.sites()}
        self._all = [(p, fold(p)) for p in store.problems()]
        self._fill()

    def _visible(self, problem: Problem, view: ProblemView, query: str) -> bool:
        if self._status == "open" and view.status not in OPEN_STATUSES:
            return False
        if isinstance(self._status, ProblemStatus) and view.status is not self._status:
            return False
        if self._overdue_only and not is_overdue(view, self.today):
            return False
        if self._severity is not None and problem.severity is not self._severity:
            return False
        if query:
            site = self._sites.get(problem.site_id)
            texts = [problem.description, view.responsible_unit, problem.item_code]
            if site is not None:
                texts += [site.name, site.street, site.community]
            return matches(query, *texts)
        return True

    def _fill(self) -> None:
        table = self.query_one(LedgerTable)
        query = self.query_one("#ledger-filter", Input).value
        rows = [(p, v) for p, v in self._all if self._visible(p, v, query)]
        rows.sort(key=lambda pv: (pv[1].status not in OPEN_STATUSES, pv[1].due, pv[0].found_at))
        self._rows = rows
        cursor = table.cursor_row
        table.clear()
        for problem, view in rows:
            table.add_row(*self._cells(problem, view), key=problem.id)
        if rows:
            table.move_cursor(row=min(max(cursor, 0), len(rows) - 1))
        self._show_status()

    def _cells(self, problem: Problem, view: ProblemView) -> list[str | Text]:
        site = self._sites.get(problem.site_id)
        due = Text(view.due.strftime("%m-%d") if view.due.year == self.today.year else view.due.isoformat())
        if is_overdue(view, self.today):
            due.append(f" {self.t('ledger.overdue')}", style="bold red")
        status = Text(view.status.label(self.inspector_app.lang))
        if view.conflicts:
            status.append(f" {self.t('ledger.conflict')}", style="bold yellow")
        mark = "✓" if problem.id in self._selected else " "
        return [
            mark,
            _clip(site.name if site else problem.site_id, 8),
            problem.item_code,
            _clip(problem.description, 12),
            _clip(view.responsible_unit, 8),
            due,
            status,
        ]

    def _show_status(self) -> None:
        lang = self.inspector_app.lang
        if self._status is None:
            status = self.t("ledger.any")
        elif self._status == "open":
            status = self.t("ledger.open")
        else:
            status = ProblemStatus(self._status).label(lang)
        text = self.t(
            "ledger.filters",
            status=status,
            overdue=self.t("ledger.only") if self._overdue_only else self.t("ledger.any"),
            severity=self.t(f"severity.{self._severity.value}") if self._severity else self.t("ledger.any"),
            selected=len(self._selected),
            shown=len(self._rows),
            total=len(self._all),
        )
        if not self._rows:
            text += "  " + self.t("ledger.empty")
        self.query_one("#ledger-status", Static).update(text)

    def current(self) -> tuple[Problem, ProblemView] | None:
        row = self.query_one(LedgerTable).cursor_row
        return self._rows[row] if 0 <= row < len(self._rows) else None

    # filters ------------------------------------------------------------------------------------------------
    @on(Input.Changed, "#ledger-filter")
    def _filter_changed(self) -> None:
        self._fill()

    @on(Input.Submitted, "#ledger-filter")
    def _filter_done(self) -> None:
        self.query_one(LedgerTable).focus()

    def action_filter(self) -> None:
        self.query_one("#ledger-filter", Input).focus()

    def action_cycle_status(self) -> None:
        self._status = STATUS_CYCLE[(STATUS_CYCLE.index(self._status) + 1) % len(STATUS_CYCLE)]
        self._fill()

    def action_toggle_overdue(self) -> None:
        self._overdue_only = not self._overdue_only
        self._fill()

    def action_cycle_severity(self) -> None:
        self._severity = SEVERITY_CYCLE[(SEVERITY_CYCLE.index(self._severity) + 1) % len(SEVERITY_CYCLE)]
        self._fill()

    # selection and details ----------------------------------------------------------------------------------
    def action_mark(self) -> None:
        found = self.current()
        if found is None:
            return
        problem_id = found[0].id
        self._selected.symmetric_difference_update({problem_id})
        table = self.query_one(LedgerTable)
        table.update_cell(problem_id, "mark", "✓" if problem_id in self._selected else " ")
        table.action_cursor_down()
        self._show_status()

    @on(DataTable.RowSelected, "#ledger")
    def _row_selected(self) -> None:
        self.action_detail()

    def action_detail(self) -> None:
        found = self.current()
        if found is not None:
            self.app.push_screen(ProblemDetailScreen(found[0], self._sites.get(found[0].site_id)))

    # reviewer actions ---------------------------------------------------------------------------------------
    def _targets(self) -> list[Problem]:
        """The marked problems the filter shows (never hidden ones), else the one under the cursor."""
        if self._selected:
            ids = [p.id for p, _ in self._rows if p.id in self._selected]
        else:
            found = self.current()
            ids = [found[0].id] if found else []
        return self._fresh(ids)

    def _fresh(self, ids: list[str]) -> list[Problem]:
        store = self.inspector_app.store  # as stored now: a sync may have added HQ's events since the list was read
        return [store.problem(problem_id) for problem_id in ids]

    def _allowed(self) -> bool:
        if not self.is_reviewer:
            self.notify(self.t("ledger.reviewer_only"), severity="warning")
            return False
        return True

    @guarded
    def _apply(self, results: list[ActionResult]) -> None:
        store = self.inspector_app.store
        lang = self.inspector_app.lang
        for result in results:
            if result.ok:
                store.save_problem(result.problem)
            else:
                self.notify(
                    f"{result.problem.item_code} {result.problem.description[:16]}{self.t('sep')}{result.reason(lang)}",
                    severity="error",
                )
        ok = sum(1 for r in results if r.ok)
        self.notify(self.t("ledger.done", ok=ok, failed=len(results) - ok))
        self._selected.clear()
        self.redraw()
        self.inspector_app.refresh_sync_badge()

    def _actor(self) -> tuple[str, str]:
        return self.inspector_app.user_name(), self.inspector_app.store.device_id

    @guarded
    def action_assign(self) -> None:
        if not self._allowed() or not (targets := self._targets()):
            return

        def chosen(answer: tuple[str, DeadlineRule, str] | None) -> None:
            if answer is not None:
                unit, rule, note = answer
                actor, device = self._actor()
                fresh = self._fresh([p.id for p in targets])
                self._apply(assign_events(fresh, unit or None, rule, actor, device, note=note))

        self.app.push_screen(AssignScreen(len(targets)), chosen)

    @guarded
    def action_close_problems(self) -> None:
        if self._allowed() and (targets := self._targets()):
            self._confirm("ledger.confirm_close", targets, lambda fresh: close_events(fresh, *self._actor()))

    @guarded
    def action_void(self) -> None:
        if self._allowed() and (targets := self._targets()):
            self._confirm("ledger.confirm_void", targets, lambda fresh: void_events(fresh, *self._actor()))

    def _confirm(self, key: str, targets: list[Problem], act: Callable[[list[Problem]], list[ActionResult]]) -> None:
        """销号 and 作废 are final: one more key, with the count, before they happen."""

        def answered(yes: bool | None) -> None:
            if yes:
                self._apply(act(self._fresh([p.id for p in targets])))

        self.app.push_screen(ConfirmScreen(self.t(key, n=len(targets))), answered)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"assign", "close_problems", "void"} and not self.is_reviewer:
            return False  # hidden from inspectors: the server would refuse them anyway
        return not (action == "mark" and isinstance(self.focused, Input))

    def action_back(self) -> None:
        box = self.query_one("#ledger-filter", Input)
        if box.value:
            box.value = ""
            self.query_one(LedgerTable).focus()
        else:
            self.app.pop_screen()


class ProblemDetailScreen(BaseModal):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "close", "key.back", id="close_detail")]

    def __init__(self, problem: Problem, site: Site | None) -> None:
        super().__init__()
        self.problem = problem
        self.site = site

    def compose(self) -> ComposeResult:
        with Vertical(id="problem-detail"):
            with VerticalScroll(id="problem-detail-text"):
                yield Static(self._body())
            if self.problem.photos or fold(self.problem).after_photos:
                before, after = (self.t(k) for k in ("detail.before", "detail.after"))
                yield BeforeAfter(self.inspector_app.lang, before, after, id="problem-detail-photos")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """The first before-photo and the last after-photo side by side (前后对比), each decoded in a worker."""
        for shown in self.query(BeforeAfter):
            store = self.inspector_app.store
            after = fold(self.problem).after_photos
            shown.show(held_photo(store, self.problem.photos[:1]), held_photo(store, after[-1:]))

    def _body(self) -> Text:
        lang = self.inspector_app.lang
        store = self.inspector_app.store
        problem, view = self.problem, fold(self.problem)
        text = Text()

        def line(label_key: str, value: str) -> None:
            text.append(f"{self.t(label_key)}{self.t('sep')}", style="bold")
            text.append(f"{value}\n")

        text.append(self.t("detail.title") + "\n", style="bold underline")
        line("detail.site", self.site.name if self.site else problem.site_id)
        line("detail.item", f"{problem.item_code} {problem.item_text}")
        line("detail.description", problem.description)
        line(
            "detail.status",
            view.status.label(lang) + (f"（{self.t('ledger.overdue')}）" if is_overdue(view, date.today()) else ""),
        )
        line("detail.unit", view.responsible_unit or "—")
        due = f"{deadline_text(view.deadline, lang)} → {view.due.isoformat()}"
        if not view.due_exact:
            due += self.t("detail.due_estimated", years=view.due.year)
        line("detail.deadline", due)
        line("detail.found", f"{problem.found_at.astimezone():%Y-%m-%d %H:%M} {problem.found_by}")
        if view.rectification_note:
            line("detail.rectification", view.rectification_note)
        if view.review is not None:
            line("detail.review", f"{view.review.label(lang)} {view.review_note}")
        for key, photos in (("detail.before", problem.photos), ("detail.after", view.after_photos)):
            if photos:
                text.append(f"{self.t(key)}{self.t('sep')}\n", style="bold")
                for sha in photos:
                    text.append(f"  {store.attachment_path(sha)}\n")
        text.append(f"\n{self.t('detail.timeline')}\n", style="bold")
        conflicted = {c.event.id: c for c in view.conflicts}
        for event in view.events:
            order = f"#{event.server_order}" if event.server_order is not None else "  ·"
            text.append(f"{order} {event.device_time.astimezone():%Y-%m-%d %H:%M} {event_label(event.kind, lang)}")
            if event.responsible_unit or event.deadline:
                rule = deadline_text(event.deadline, lang) if event.deadline else ""
                text.append(f" → {event.responsible_unit or ''} {rule}")
            if event.actor:
                text.append(f"  {event.actor}", style="dim")
            if event.note:
                text.append(f"  {event.note}")
            if event.id in conflicted:
                text.append(
                    "\n   " + self.t("detail.conflict", reason=conflicted[event.id].reason(lang)), style="bold yellow"
                )
            elif event.sync.state.value == "rejected":
                reason = event.sync.message or ""
                text.append("\n   " + self.t("detail.refused", reason=reason), style="bold red")
            elif event.conflict:
                text.append("\n   " + self.t("detail.conflict", reason=event.conflict), style="bold yellow")
            text.append("\n")
        return text

    def action_close(self) -> None:
        self.dismiss(None)


class ConfirmScreen(BaseModal):
    """Enter or ctrl+s confirms, Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,ctrl+s", "answer(True)", "key.confirm", id="confirm_yes"),
        Binding("escape", "answer(False)", "key.back", id="confirm_no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(self.question, classes="dialog-title")
        yield Footer(compact=True)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


RULES = [
    DeadlineRule(kind=DeadlineKind.IMMEDIATE, n=0),
    DeadlineRule(kind=DeadlineKind.DAYS, n=3),
    DeadlineRule(kind=DeadlineKind.DAYS, n=5),
    DeadlineRule(kind=DeadlineKind.WORKDAYS, n=3),
    DeadlineRule(kind=DeadlineKind.WORKDAYS, n=5),
    DeadlineRule(kind=DeadlineKind.DAYS, n=15),
]


class AssignScreen(BaseModal):
    """交办: a unit (blank keeps the current one), a deadline rule picked from the usual ones, a note."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "confirm", "key.confirm", id="confirm_assign"),
        Binding("escape", "cancel", "key.back", id="cancel_assign"),
    ]

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        lang = self.inspector_app.lang
        with Vertical(id="assign"):
            yield Static(self.t("assign.title", n=self.count), classes="dialog-title")
            yield Input(placeholder=self.t("assign.unit"), id="assign-unit")
            yield Static(self.t("assign.rule"), classes="hint")
            yield OptionList(
                *[Option(deadline_text(r, lang), id=str(i)) for i, r in enumerate(RULES)], id="assign-rule"
            )
            yield Input(placeholder=self.t("assign.note"), id="assign-note")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        rules = self.query_one("#assign-rule", OptionList)
        rules.highlighted = 1
        self.query_one("#assign-unit").focus()

    @on(Input.Submitted)
    def _next(self) -> None:
        self.focus_next()

    @on(OptionList.OptionSelected, "#assign-rule")
    def _rule_chosen(self) -> None:
        self.query_one("#assign-note").focus()

    def action_confirm(self) -> None:
        index = self.query_one("#assign-rule", OptionList).highlighted or 0
        unit = self.query_one("#assign-unit", Input).value.strip()
        note = self.query_one("#assign-note", Input).value.strip()
        self.dismiss((unit, RULES[index], note))

    def action_cancel(self) -> None:
        self.dismiss(None)
