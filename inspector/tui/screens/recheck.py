"""复查 / 回头看: walk a site's open problems one by one against their before-photos.

已整改 needs an after-photo (前后对比); 未整改 and 部分整改 send the problem back with a note. Each answer is
saved as events on the problem the moment it is recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from inspector.core.ids import utcnow
from inspector.core.problems import ProblemActionError, fold
from inspector.core.records import Attachment, Problem, Site
from inspector.core.store import StoreError
from inspector.core.submission import RecheckOutcome, recheck_events
from inspector.tui.messages import DataChanged
from inspector.tui.screens.base import BaseScreen, guarded
from inspector.tui.screens.photo_picker import PhotoContext, attach_paths, attach_photos, elsewhere_map
from inspector.tui.widgets.message_line import MessageLine
from inspector.tui.widgets.photo_preview import BeforeAfter, held_photo
from inspector.tui.widgets.top_bar import TopBar

OUTCOMES = [RecheckOutcome.FIXED, RecheckOutcome.NOT_FIXED, RecheckOutcome.PARTLY]


class RecheckScreen(BaseScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "outcome(0)", show=False),
        Binding("2", "outcome(1)", show=False),
        Binding("3", "outcome(2)", show=False),
        Binding("f3", "photos", "key.photos", id="pick_recheck_photos", key_display="F3"),
        Binding("f7", "skip", "key.skip", id="skip_problem"),
        Binding("escape", "back", "key.back", id="back_recheck"),
    ]

    def __init__(self, site: Site) -> None:
        super().__init__()
        self.site = site
        store = self.inspector_app.store
        self.problems: list[Problem] = sorted(
            (p for p in store.problems() if p.site_id == site.id and fold(p).is_open),
            key=lambda p: (p.item_code, p.found_at),
        )
        self.index = 0
        self.photos: list[str] = []
        self.originals: dict[str, str] = {}  # upload copy → original, for the events' photo_originals
        self.counts = dict.fromkeys(OUTCOMES, 0)

    def compose(self) -> ComposeResult:
        yield TopBar("", id="recheck-top")
        with Horizontal(id="recheck-main"):
            with VerticalScroll(id="recheck-body"):
                yield Static(id="recheck-problem")
            before, after = (self.t(k) for k in ("detail.before", "detail.after"))
            yield BeforeAfter(self.inspector_app.lang, before, after, id="recheck-photos")
        yield Input(placeholder=self.t("recheck.note_placeholder"), id="recheck-note")
        yield Input(placeholder=self.t("recheck.photo_placeholder"), id="recheck-photo")
        yield MessageLine(id="recheck-message")
        yield OptionList(
            *[Option(o.label(self.inspector_app.lang), id=o.value) for o in OUTCOMES], id="recheck-outcomes"
        )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if not self.problems:
            self.query_one("#recheck-problem", Static).update(self.t("recheck.none"))
            self.query_one("#recheck-top", TopBar).set_title(self.t("recheck.title", site=self.site.name, n=0, total=0))
            return
        self._show()
        self.query_one("#recheck-outcomes", OptionList).focus()

    def on_data_changed(self, _: DataChanged) -> None:
        if self.index < len(self.problems):
            self.problems[self.index] = self.inspector_app.store.problem(self.problems[self.index].id)
            self._show()

    def _show(self) -> None:
        problem = self.problems[self.index]
        view = fold(problem)
        lang = self.inspector_app.lang
        title = self.t("recheck.title", site=self.site.name, n=self.index + 1, total=len(self.problems))
        self.query_one("#recheck-top", TopBar).set_title(title)
        text = Text()
        text.append(f"{problem.item_code} ", style="bold")
        text.append(f"{problem.item_text}\n\n")
        text.append(f"{self.t('detail.description')}{self.t('sep')}", style="bold")
        text.append(f"{problem.description}\n")
        text.append(f"{self.t('detail.status')}{self.t('sep')}", style="bold")
        text.append(
            f"{view.status.label(lang)}    {self.t('detail.unit')}{self.t('sep')}{view.responsible_unit or '—'}    "
        )
        text.append(f"{self.t('ledger.col.due')}{self.t('sep')}{view.due.isoformat()}\n")
        if view.rectification_note:
            text.append(f"{self.t('detail.rectification')}{self.t('sep')}", style="bold")
            text.append(f"{view.rectification_note}\n")
        if problem.photos:
            text.append(f"{self.t('detail.before')}{self.t('sep')}\n", style="bold")
            for sha in problem.photos:  # by the names they had: the photos themselves are shown beside
                text.append(f"  {self._photo_name(sha)}\n")
        if self.photos:
            text.append(f"{self.t('detail.after')}{self.t('sep')}{len(self.photos)}\n", style="green")
        text.append("\n" + self.t("recheck.outcomes"), style="dim")
        self.query_one("#recheck-problem", Static).update(text)
        store = self.inspector_app.store
        self.query_one(BeforeAfter).show(held_photo(store, problem.photos[:1]), held_photo(store, self.photos[-1:]))

    def _photo_name(self, sha: str) -> str:
        """The name a photo had when attached; a photo pulled from HQ without one is shown by its hash's start."""
        try:
            return self.inspector_app.store.attachment(sha).filename or sha[:12]
        except StoreError:
            return sha[:12]

    @on(Input.Submitted, "#recheck-photo")
    def _photo(self, event: Input.Submitted) -> None:
        """A typed path is attached like a picked one (checked, copied for upload); an empty box opens the picker."""
        raw = event.input.value.strip().strip("\"'")
        if not raw:
            self.action_photos()
            return
        event.input.value = ""
        attach_paths(self, [Path(raw).expanduser()], self._photo_context, self._attached, message=self._message)

    def action_photos(self) -> None:
        if self.index < len(self.problems):
            attach_photos(self, self._photo_context, self._attached, marked=self.photos, message=self._message)

    @property
    def _message(self) -> MessageLine:
        return self.query_one(MessageLine)

    def _photo_context(self) -> PhotoContext:
        """Run in the photo worker: a 复查 happens now; the problem's own before-photos are no duplicate of it."""
        problem = self.problems[self.index].id if self.index < len(self.problems) else None
        here = {*self.photos, *self.originals.values()}
        return PhotoContext(utcnow(), here, elsewhere_map(self.inspector_app, exclude_problem=problem))

    def _attached(self, attachments: list[Attachment]) -> None:
        for attachment in attachments:
            if attachment.sha256 not in self.photos:
                self.photos.append(attachment.sha256)
                if attachment.original is not None:
                    self.originals[attachment.sha256] = attachment.original
        if self.is_attached and self.index < len(self.problems):
            self._show()
            self.query_one("#recheck-outcomes", OptionList).focus()

    @on(Input.Submitted, "#recheck-note")
    def _note_done(self) -> None:
        self.query_one("#recheck-outcomes", OptionList).focus()

    def action_outcome(self, index: int) -> None:
        outcomes = self.query_one("#recheck-outcomes", OptionList)
        outcomes.highlighted = index
        self._record(OUTCOMES[index])

    @on(OptionList.OptionSelected, "#recheck-outcomes")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self._record(RecheckOutcome(str(event.option.id)))

    @guarded
    def _record(self, outcome: RecheckOutcome) -> None:
        if not self.problems or self.index >= len(self.problems):
            return
        store = self.inspector_app.store
        problem = store.problem(self.problems[self.index].id)  # a sync may have added HQ's events meanwhile
        note = self.query_one("#recheck-note", Input).value
        actor = self.inspector_app.user_name()
        self.problems[self.index] = problem
        try:
            events = recheck_events(problem, outcome, note, self.photos, actor, store.device_id)
        except ProblemActionError as error:
            self.query_one(MessageLine).say(error.reason(self.inspector_app.lang), error=True)
            if outcome is RecheckOutcome.FIXED and not self.photos:
                self.query_one("#recheck-photo", Input).focus()
            return
        originals = {sha: self.originals[sha] for sha in self.photos if sha in self.originals}
        events = [e.model_copy(update={"photo_originals": originals}) if e.photos else e for e in events]
        saved = problem.model_copy(update={"events": [*problem.events, *events]})
        store.save_problem(saved)
        self.counts[outcome] += 1
        lang = self.inspector_app.lang
        # 已整改 leaves it 待销号 (the office closes it): say so, the inspector may expect 已销号
        status = fold(saved).status.label(lang)
        self.notify(self.t("recheck.recorded", outcome=outcome.label(lang), status=status))
        self._advance()

    def action_skip(self) -> None:
        self._advance()

    def _advance(self) -> None:
        self.photos = []
        self.originals = {}
        self.query_one("#recheck-note", Input).value = ""
        self.query_one(MessageLine).say("")
        self.index += 1
        if self.index >= len(self.problems):
            self.notify(
                self.t(
                    "recheck.finished",
                    fixed=self.counts[RecheckOutcome.FIXED],
                    not_fixed=self.counts[RecheckOutcome.NOT_FIXED],
                    partly=self.counts[RecheckOutcome.PARTLY],
                ),
                timeout=8,
            )
            self.app.pop_screen()  # the screen below redraws, sync badge included, as the store has changed
            return
        self._show()
        self.query_one("#recheck-outcomes", OptionList).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "outcome" and isinstance(self.focused, Input))

    def action_back(self) -> None:
        self.app.pop_screen()
