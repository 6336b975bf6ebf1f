"""Finishing a walk: 得分率, failures, unanswered items and missing evidence; submit when nothing is missing."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from inspector.core.records import Site, Verdict
from inspector.core.walk import Walk
from inspector.tui.screens.base import BaseScreen, guarded
from inspector.tui.widgets.top_bar import TopBar


class SummaryScreen(BaseScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "key.submit", id="submit"),
        Binding("enter", "goto", "key.goto", id="goto"),
        Binding("escape", "back", "key.back", id="back_summary"),
    ]

    def __init__(self, site: Site, walk: Walk) -> None:
        super().__init__()
        self.site = site
        self.walk = walk
        # The walk cannot change while this screen is over it: worked out once, not on every binding check.
        self._score = walk.score()
        self._gaps = walk.evidence_gaps()
        self._ready = walk.can_submit()
        self._first_gap = (
            self._score.unanswered[0] if self._score.unanswered else self._gaps[0].code if self._gaps else None
        )

    def compose(self) -> ComposeResult:
        yield TopBar(self.t("summary.title", site=self.site.name))
        with VerticalScroll(id="summary"):
            yield Static(self._body(), id="summary-body")
        yield Footer(compact=True)

    def _body(self) -> Text:
        current = self._score
        text = Text()
        text.append(
            self.t(
                "summary.rate",
                rate=current.rate_text(),
                passed=current.passed,
                failed=current.failed,
                na=current.not_applicable,
            )
            + "\n\n",
            style="bold",
        )
        if current.unanswered:
            codes = self.t("list.sep").join(current.unanswered[:12]) + ("…" if len(current.unanswered) > 12 else "")
            text.append(self.t("summary.unanswered", n=len(current.unanswered), codes=codes) + "\n\n", style="yellow")
        failures = [item for item in self.walk.items if self.walk.verdict(item.code) is Verdict.FAIL]
        if failures:
            text.append(self.t("summary.failures", n=len(failures)) + "\n", style="bold red")
            for item in failures:
                result = self.walk.result(item.code)
                description = result.description if result else ""
                text.append(f"  ✗ {item.code} {item.title}{self.t('sep')}{description or '—'}\n")
            text.append("\n")
        for gap in self._gaps:
            what = []
            if gap.missing_description:
                what.append(self.t("summary.gap_description"))
            if gap.photos_needed:
                what.append(self.t("summary.gap_photos", n=gap.photos_needed))
            text.append(self.t("summary.gap", code=gap.code, what=self.t("list.sep").join(what)) + "\n", style="yellow")
        ready = self._ready
        text.append(
            "\n" + self.t("summary.ready" if ready else "summary.blocked"), style="green" if ready else "yellow"
        )
        return text

    @guarded
    def action_submit(self) -> None:
        if not self.walk.can_submit():
            gaps = self.walk.evidence_gaps()  # the first item short of evidence, by name (photos asked, had)
            text = gaps[0].message(self.inspector_app.lang) if gaps else self.t("summary.blocked")
            self.notify(text, severity="warning")
            return
        problems = self.walk.submit(self.site, actor=self.walk.inspection.inspector or self.inspector_app.user_name())
        self.notify(self.t("summary.submitted", n=len(problems)))
        self.dismiss("submitted")  # back on the site list, which redraws with the sync badge

    def action_goto(self) -> None:
        if self._first_gap is not None:
            self.dismiss(self._first_gap)

    def action_back(self) -> None:
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            return True if self._ready else None
        if action == "goto":
            return True if self._first_gap else None
        return True
