"""Walking a checklist: one item at a time, digits for verdicts, auto-advance, every verdict saved at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from checklists.provenance import provenance
from checklists.schema import Checklist, Item
from inspector.core.records import Inspection, ItemResult, Site, Verdict
from inspector.core.search import matches
from inspector.core.walk import ItemHistory, Walk, site_history
from inspector.tui.screens.base import BaseScreen, guarded
from inspector.tui.textual_private import option_line, option_lines, set_option_prompt
from inspector.tui.widgets.item_detail import ItemDetail
from inspector.tui.widgets.top_bar import TopBar

# Items kept in sight above and below the highlight in the item list.
SCROLL_MARGIN = 2

# An item shown this long is being read: time to wrap the next one.
PREPARE_AFTER_S = 0.05

# Narrow, unambiguous-width marks: ○ ● √ × are "ambiguous width" in Unicode, one cell in some terminals and fonts
# and two in CJK ones, which shifts every column after them; these are one cell everywhere.
MARKS = {Verdict.PASS: ("✓", "green"), Verdict.FAIL: ("✗", "red"), Verdict.NA: ("-", "dim"), None: (" ", "")}


class ItemList(OptionList):
    """The checklist's items with their verdict marks.

    A verdict changes one line and moves the highlight by one. OptionList repaints itself whole for either (and its
    prompt replacement drops the render cache of every option): re-rendering every visible CJK line was most of a
    verdict's frame. Here only the lines that changed are repainted. Options are single-line (no wrap), so the
    line map never changes.
    """

    highlighted: reactive[int | None] = reactive(None, repaint=False)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
        Binding("g", "first", show=False),
        Binding("G", "last", show=False),
    ]

    def set_mark(self, index: int, prompt: Text) -> None:
        if not set_option_prompt(self, index, prompt):  # Textual's internals moved: the safe, slow way
            self.replace_option_prompt_at_index(index, prompt)
            return
        self._repaint_option(index)

    def watch_highlighted(self, old: int | None, new: int | None) -> None:  # type: ignore[override]
        super().watch_highlighted(new)
        for index in (old, new):
            if index is not None:
                self._repaint_option(index)

    def scroll_to_highlight(self, top: bool = False) -> None:
        """Near an edge, bring the highlight to the middle rather than creep one line per step: the inspector sees
        what comes next, and the list scrolls (a repaint of every line) once per half page, not on every verdict."""
        highlighted = self.highlighted
        if top or highlighted is None or not self.is_mounted:
            super().scroll_to_highlight(top)
            return
        y = option_line(self, highlighted)
        height = self.scrollable_content_region.height
        if y is None or height < 2 * SCROLL_MARGIN + 1:
            super().scroll_to_highlight(top)
            return
        first, last = round(self.scroll_y), round(self.scroll_y) + height - 1
        if first + SCROLL_MARGIN <= y <= last - SCROLL_MARGIN:
            return
        target = max(0, min(y - height // 2, self.max_scroll_y))
        if target != first:
            self.scroll_to(y=target, animate=False, immediate=True)

    def _repaint_option(self, index: int) -> None:
        lines = option_lines(self, index, update=False)  # single-line options: the line map never changes
        if lines is None:
            self.refresh()
        else:
            self.refresh_lines(*lines)


class WalkScreen(BaseScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "verdict('pass')", "key.pass", id="pass"),
        Binding("2", "verdict('fail')", "key.fail", id="fail"),
        Binding("3", "verdict('na')", "key.na", id="na"),
        Binding("0", "verdict('clear')", "key.clear", id="clear", show=False),
        Binding("f7,n", "next_unanswered", "key.next_unanswered", id="next_unanswered", key_display="F7"),
        Binding("f8,x", "next_failed", "key.next_failed", id="next_failed", key_display="F8", show=False),
        Binding("e", "details", "key.details", id="details", show=False),
        Binding("slash,ideographic_comma", "filter", "key.filter", id="filter_items", key_display="/", show=False),
        Binding("u,ctrl+z", "undo", "key.undo", id="undo", show=False),
        Binding("f4", "finish", "key.finish", id="finish", key_display="F4"),
        Binding("shift+down,ctrl+down", "scroll_detail(3)", "key.detail_down", id="detail_down", show=False),
        Binding("shift+up,ctrl+up", "scroll_detail(-3)", "key.detail_up", id="detail_up", show=False),
        Binding("escape", "back", "key.back", id="back"),
    ]

    def __init__(self, site: Site, inspection: Inspection, checklist: Checklist) -> None:
        super().__init__()
        self.site = site
        self.walk = Walk(self.inspector_app.store, inspection, checklist)
        self.read_only = inspection.is_submitted
        self._visible: list[int] = list(range(len(self.walk.items)))  # option index → item index
        self._undo: list[tuple[str, ItemResult | None]] = []
        # The site's history, once per walk: folding problems and reading inspections must not cost a verdict.
        self._history = site_history(self.inspector_app.store, site.id, current_id=inspection.id)
        self._history_text: dict[str, Text] = {}

    # layout -------------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield TopBar(self._title(), id="walk-top")
        with Horizontal(id="walk-body"):
            yield ItemList(*self._options(), id="items")
            yield ItemDetail(more_below=self.t("walk.more_below"), more_above=self.t("walk.more_above"), id="detail")
        yield Input(placeholder=self.t("walk.filter_placeholder"), id="item-filter", classes="-hidden")
        yield Static(id="walk-progress")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._prepare_timer = self.set_interval(PREPARE_AFTER_S, self._prepare_next, pause=True)
        items = self.query_one(ItemList)
        items.highlighted = self.walk.position
        items.focus()
        self._show_item()
        self._show_progress()
        if self.read_only:
            self.notify(self.t("walk.submitted"))
        self.call_after_refresh(self.inspector_app.settle_heap)

    def on_unmount(self) -> None:
        self.inspector_app.release_heap()

    def on_resize(self) -> None:
        self.set_class(self.size.width >= 120, "-wide")

    def _title(self) -> str:
        """Fixed for the walk: the position is under the item's title in the detail pane, so a verdict repaints no
        top bar."""
        return f"{self.site.name} · {self.walk.checklist.title}"

    def _prompt(self, item: Item) -> Text:
        mark, style = MARKS[self.walk.verdict(item.code)]
        prompt = Text()
        prompt.append(mark, style=style)
        prompt.append(f" {item.code} ", style="bold" if style != "dim" else "dim")
        prompt.append(item.title, style="dim" if style == "dim" else "")
        return prompt

    def _options(self) -> list[Option]:
        return [Option(self._prompt(self.walk.items[i]), id=self.walk.items[i].code) for i in self._visible]

    def _refresh_mark(self, code: str) -> None:
        index = self.walk.index_of(code)
        if index in self._visible:
            self.query_one(ItemList).set_mark(self._visible.index(index), self._prompt(self.walk.items[index]))

    def _show_item(self) -> None:
        self.query_one(ItemDetail).show(self._detail_text(self.walk.item))
        self._prepare_timer.reset()

    def _prepare_next(self) -> None:
        """While the inspector reads this item, wrap the ones that a verdict or a step down would show next.

        On a timer rather than right after the frame: a held-down key or a fast typist never waits for it."""
        self._prepare_timer.pause()
        if not self.is_current:
            return
        detail = self.query_one(ItemDetail)
        candidates = (self.walk.next_matching([None]), min(self.walk.position + 1, len(self.walk.items) - 1))
        for index in {i for i in candidates if i is not None and i != self.walk.position}:
            detail.prepare(self._detail_text(self.walk.items[index]))
        # What the last verdicts left alive (saved records, wrapped lines, Textual's caches) goes to the permanent
        # generation too, while the inspector reads. Python 3.11 runs a full collection once the objects that
        # survived since the last one outnumber a quarter of the long-lived ones, and after a freeze that is almost
        # none: a full pass every few verdicts, each rescanning everything kept since the walk opened (a 63 ms gen-2
        # pass inside one verdict in bench/tui_bench.py). Frozen, they cost it nothing; the walk's screen unfreezes
        # them when it closes.
        self.inspector_app.settle_heap()

    def _detail_text(self, item: Item) -> Text:
        """Everything about one item: code and title, the official wording, the verdict, what to check, the
        exemptions and the common problems, in that order, so the wording is always on screen first."""
        result = self.walk.result(item.code)
        severity = self.t(f"severity.{item.severity.value}")
        position = self.t("walk.position", n=self.walk.index_of(item.code) + 1, total=len(self.walk.items))
        head = Text()
        head.append(f"{item.code}  ", style="bold")
        head.append(item.title, style="bold")
        head.append(f"\n{position} · ", style="dim")  # a line of its own: never wrapped mid-way
        head.append(severity, style="red" if item.severity.value == "major" else "dim")
        wording = provenance(item.source or self.walk.checklist.source)
        if wording is not None:
            head.append(f" · {wording.label(self.inspector_app.lang)}", style="dim")
        picks = [f"{n}. {p}" for n, p in enumerate(item.quick_picks, 1)]
        parts = [
            head,
            Text(item.text),
            self._verdict_text(result, item),
            self._history_of(item.code),
            self._section("walk.look_for", [item.look_for]),
            self._section("walk.exemptions", item.exemptions),
            self._section("walk.quick_picks", picks),
        ]
        return Text("\n\n").join(p for p in parts if p)

    def _history_of(self, code: str) -> Text:
        """What the site's earlier inspections say about this item, built once per item (the history is fixed for
        the walk)."""
        text = self._history_text.get(code)
        if text is None:
            history = self._history.get(code)
            text = self._history_lines(history) if history is not None else Text()
            self._history_text[code] = text
        return text

    def _history_lines(self, history: ItemHistory) -> Text:
        lang = self.inspector_app.lang
        text = Text()
        text.append(self.t("walk.history"), style="bold cyan")
        if history.last is not None:
            mark, _ = MARKS[history.last.verdict]
            verdict = f"{mark} {self.t('verdict.' + history.last.verdict.value)}"
            text.append("\n" + self.t("walk.history_last", verdict=verdict, day=history.last.day.isoformat()))
        for problem in history.open_problems:
            line = self.t(
                "walk.history_problem",
                description=problem.description,
                day=problem.found_on.isoformat(),
                status=problem.status.label(lang),
                due=problem.due.isoformat(),
                unit=problem.unit or self.t("walk.history_no_unit"),
            )
            text.append("\n")
            if problem.reopened:
                text.append(self.t("walk.history_reopened", n=problem.reopened) + " ", style="bold red")
            text.append(line, style="yellow")
            if problem.overdue:
                text.append(" " + self.t("walk.history_overdue"), style="bold red")
        if history.closed_on is not None:
            text.append("\n" + self.t("walk.history_closed", day=history.closed_on.isoformat()), style="dim")
        return text

    def _section(self, label_key: str, lines: list[str]) -> Text:
        lines = [line for line in lines if line]
        if not lines:
            return Text()
        text = Text()
        text.append(self.t(label_key), style="bold cyan")
        for line in lines:
            text.append(f"\n{line}")
        return text

    def _verdict_text(self, result: ItemResult | None, item: Item) -> Text:
        text = Text()
        text.append(f"{self.t('walk.verdict')}{self.t('sep')}", style="bold")
        if result is None or result.verdict is None:
            text.append(self.t("walk.none"), style="dim")
            return text
        mark, style = MARKS[result.verdict]
        text.append(f"{mark} {self.t('verdict.' + result.verdict.value)}", style=f"bold {style}")
        if result.exemption:
            text.append("\n" + self.t("walk.exemption_applied", exemption=result.exemption), style="dim")
        if result.verdict is Verdict.FAIL:
            severity = self.t(f"severity.{(result.severity or item.severity).value}")
            text.append(f"  ({severity})")
            description = result.description
            if description:
                text.append(f"\n{description}")
            else:
                text.append(f"\n{self.t('walk.needs_evidence')}", style="bold red")
            if result.photos:
                text.append(f"\n{self.t('walk.photos')}{self.t('sep')}{len(result.photos)}", style="dim")
        return text

    def _show_progress(self) -> None:
        current = self.walk.score()
        total = len(self.walk.items)
        self.query_one("#walk-progress", Static).update(  # one fixed line: no layout pass needed
            self.t(
                "walk.progress", answered=current.answered, total=total, failed=current.failed, rate=current.rate_text()
            ),
            layout=False,
        )

    # moving -------------------------------------------------------------------------------------------------
    @on(OptionList.OptionHighlighted, "#items")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index < len(self._visible) and self._visible[event.option_index] != self.walk.position:
            self.walk.move_to(self._visible[event.option_index])
            self._show_item()

    @on(OptionList.OptionSelected, "#items")
    def _selected(self) -> None:
        self.action_details()

    def _go(self, item_index: int) -> None:
        if item_index not in self._visible:
            self._set_filter("")
        self.walk.move_to(item_index)
        self.query_one(ItemList).highlighted = self._visible.index(item_index)
        self._show_item()

    def action_next_unanswered(self) -> None:
        target = self.walk.next_matching([None])
        if target is None:
            self.notify(self.t("walk.no_unanswered"))
        else:
            self._go(target)

    def action_next_failed(self) -> None:
        target = self.walk.next_matching([Verdict.FAIL])
        if target is None:
            self.notify(self.t("walk.no_failed"))
        else:
            self._go(target)

    def action_scroll_detail(self, lines: int) -> None:
        """A long item at 80x24 reads on in the detail pane while the list keeps the focus."""
        self.query_one(ItemDetail).scroll_lines(lines)

    # verdicts -----------------------------------------------------------------------------------------------
    @guarded
    def action_verdict(self, name: str) -> None:
        if not self._visible:
            return  # the filter shows no item: a verdict would land on one the inspector cannot see
        verdict = None if name == "clear" else Verdict(name)
        code = self.walk.item.code
        self._undo.append((code, self.walk.result(code)))
        with self.app.batch_update():
            self.walk.set_verdict(verdict)
            self._refresh_mark(code)
            self._show_progress()
            if verdict is Verdict.FAIL:
                self._show_item()
                self._open_failure(previous=self._undo[-1][1], advance=True)
            else:
                self._go(self.walk.position)

    def _open_failure(self, previous: ItemResult | None, *, advance: bool = False) -> None:
        from inspector.tui.screens.failure import FailureScreen

        code = self.walk.item.code
        self.app.push_screen(
            FailureScreen(self.walk), lambda outcome: self._failure_closed(outcome, previous, code, advance)
        )

    @guarded
    def _failure_closed(self, outcome: str | None, previous: ItemResult | None, code: str, advance: bool) -> None:
        if outcome == "abandon":
            self.walk.restore(previous, code)
        self._refresh_mark(code)
        self._show_progress()
        if outcome == "done" and advance:
            following = self.walk.next_matching([None])
            if following is not None:
                self._go(following)
                return
        self._show_item()

    def action_details(self) -> None:
        result = self.walk.result(self.walk.item.code)
        if result is not None and result.verdict is Verdict.FAIL and not self.read_only:
            self._open_failure(previous=result)

    @guarded
    def action_undo(self) -> None:
        if not self._undo:
            return
        code, previous = self._undo.pop()
        self.walk.move_to(self.walk.index_of(code))
        self.walk.restore(previous, code)
        self._refresh_mark(code)
        self._go(self.walk.position)  # shows the item once, with its restored result
        self._show_progress()

    # filter -------------------------------------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#item-filter", Input)
        box.remove_class("-hidden")
        box.focus()

    @on(Input.Changed, "#item-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._apply_filter(event.value)

    @on(Input.Submitted, "#item-filter")
    def _filter_submitted(self) -> None:
        self.query_one(ItemList).focus()

    def _set_filter(self, query: str) -> None:
        box = self.query_one("#item-filter", Input)
        with box.prevent(Input.Changed):
            box.value = query
        self._apply_filter(query)
        if not query:
            box.add_class("-hidden")

    def _apply_filter(self, query: str) -> None:
        self._visible = [
            i
            for i, item in enumerate(self.walk.items)
            if matches(query, item.code, item.title, item.text, *item.quick_picks)
        ]
        option_list = self.query_one(ItemList)
        option_list.set_options(self._options())
        if self.walk.position in self._visible:
            option_list.highlighted = self._visible.index(self.walk.position)
        elif self._visible:
            option_list.highlighted = 0

    # leaving ------------------------------------------------------------------------------------------------
    @guarded
    def action_back(self) -> None:
        """Esc: first clears an item filter, then leaves the walk (the draft stays, exactly where it is)."""
        box = self.query_one("#item-filter", Input)
        if box.value or self.focused is box:
            self._set_filter("")
            self.query_one(ItemList).focus()
            return
        if not self.read_only:
            self.walk.remember_position()
        self.app.pop_screen()

    @guarded
    def action_finish(self) -> None:
        from inspector.tui.screens.summary import SummaryScreen

        def closed(outcome: str | None) -> None:
            if outcome == "submitted":
                self.app.pop_screen()
            elif outcome:
                self._go(self.walk.index_of(outcome))

        self.walk.remember_position()
        self.app.push_screen(SummaryScreen(self.site, self.walk), closed)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # On a submitted inspection these keys are gone, not just greyed.
        return not (self.read_only and action in {"verdict", "undo", "finish", "details"})

    def palette_commands(self) -> Iterable[SystemCommand]:
        if not self.read_only:
            yield SystemCommand(self.t("key.finish"), self.t("summary.ready"), self.action_finish)
            yield SystemCommand(self.t("key.next_unanswered"), "F7", self.action_next_unanswered)
        yield SystemCommand(self.t("key.next_failed"), "F8", self.action_next_failed)
