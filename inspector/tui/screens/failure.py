"""The 不符合 panel: quick-pick problems by number, severity, a note, photos, or an exemption; F4 marks it 当场整改
(立行立改 on the spot) with its after-photo, so the problem is born 待销号 on submit.

Each change is saved as it is made. The panel cannot be left with a failure that has no description: the first
Esc says so, a second Esc abandons the failure and puts back what was there before.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Input, OptionList, SelectionList, Static
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from checklists.schema import Severity
from inspector.core.records import Attachment, ItemResult
from inspector.core.walk import Walk
from inspector.tui.screens.base import BaseModal, guarded
from inspector.tui.screens.photo_picker import WORDS, PhotoContext, attach_paths, attach_photos, elsewhere_map
from inspector.tui.widgets.message_line import MessageLine


class FailureScreen(BaseModal):
    BINDINGS: ClassVar[list[BindingType]] = [
        *[Binding(str(n), f"pick({n})", show=False) for n in range(1, 10)],
        Binding("f2", "severity", "key.severity", id="severity", key_display="F2"),
        Binding("f3", "photos", "key.photos", id="pick_photos", key_display="F3"),
        Binding("f4", "onspot", "key.onspot", id="onspot", key_display="F4"),
        Binding("ctrl+s", "done", "key.done", id="done"),
        Binding("escape", "leave", "key.back", id="leave"),
    ]

    def __init__(self, walk: Walk) -> None:
        super().__init__()
        self.walk = walk
        self.item = walk.item
        self._warned = False

    @property
    def result(self) -> ItemResult:
        result = self.walk.result(self.item.code)
        assert result is not None
        return result

    def compose(self) -> ComposeResult:
        result = self.result
        with Vertical(id="failure"):
            yield Static(self.t("fail.title", code=self.item.code, title=self.item.title), id="failure-title")
            if self.item.quick_picks:
                yield Static(self.t("fail.picks_hint"), classes="hint")
                yield SelectionList[str](
                    *[
                        Selection(f"{n}. {phrase}", phrase, phrase in result.quick_picks)
                        for n, phrase in enumerate(self.item.quick_picks, 1)
                    ],
                    id="picks",
                )
            yield Static(id="severity-line")
            yield Input(result.note, placeholder=self.t("fail.note_placeholder"), id="note")
            yield Input(placeholder=self.t("fail.photo_placeholder"), id="photo")
            yield Static(id="photos-line")
            yield Static(id="onspot-line")
            yield Input(placeholder=self.t("fail.after_photo_placeholder"), id="after-photo")
            if self.item.exemptions:
                yield Static(self.t("fail.exemption_hint"), classes="hint")
                yield OptionList(*[Option(e, id=f"ex{i}") for i, e in enumerate(self.item.exemptions)], id="exemptions")
            yield MessageLine(id="failure-message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show_state()
        (self.query_one("#picks") if self.item.quick_picks else self.query_one("#note")).focus()

    def _show_state(self) -> None:
        result = self.result
        severity = result.severity or self.item.severity
        self.query_one("#severity-line", Static).update(
            f"{self.t('walk.severity')}{self.t('sep')}{self.t('severity.' + severity.value)}   (F2)"
        )
        needed = self.item.evidence.min_photos
        photos = self.t("fail.photos_count", n=len(result.photos))
        self.query_one("#photos-line", Static).update(
            photos + (self.t("fail.photos_min", min=needed) if needed else "")
        )
        onspot = result.fixed_on_spot
        self.query_one("#onspot-line", Static).update(
            self.t("fail.onspot_on", n=len(result.after_photos)) if onspot else self.t("fail.onspot_off")
        )
        self.query_one("#after-photo", Input).display = onspot

    # editing ------------------------------------------------------------------------------------------------
    def action_pick(self, number: int) -> None:
        if number <= len(self.item.quick_picks):
            self.query_one("#picks", SelectionList).toggle(self.item.quick_picks[number - 1])

    @on(SelectionList.SelectedChanged, "#picks")
    @guarded
    def _picks_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        self.walk.update_failure(quick_picks=list(event.selection_list.selected))
        self._warned = False

    @on(Input.Changed, "#note")
    @guarded
    def _note_changed(self, event: Input.Changed) -> None:
        if event.value != self.result.note:
            self.walk.update_failure(note=event.value)
            self._warned = False

    @guarded
    def action_severity(self) -> None:
        current = self.result.severity or self.item.severity
        self.walk.update_failure(severity=Severity.MINOR if current is Severity.MAJOR else Severity.MAJOR)
        self._show_state()

    @on(Input.Submitted, "#note")
    def _note_submitted(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#photo")
    def _photo_submitted(self, event: Input.Submitted) -> None:
        """A typed path is attached like a picked one (checked, copied for upload); an empty box opens the picker."""
        raw = event.input.value.strip().strip("\"'")
        if not raw:
            self.action_photos()
            return
        event.input.value = ""
        code = self.item.code
        attach_paths(
            self, [Path(raw).expanduser()], self._photo_context, partial(self._attached, code), message=self._message
        )

    def action_photos(self) -> None:
        code = self.item.code
        walk_photos = [sha for r in self.walk.inspection.results.values() for sha in r.photos]
        attach_photos(
            self, self._photo_context, partial(self._attached, code), marked=walk_photos, message=self._message
        )

    @property
    def _message(self) -> MessageLine:
        return self.query_one(MessageLine)

    def _photo_context(self) -> PhotoContext:
        """Run in the photo worker: the walk's start, and every photo already evidence elsewhere."""
        results = dict(self.walk.inspection.results)
        elsewhere = elsewhere_map(self.inspector_app)
        for code, result in results.items():
            if code != self.item.code:
                where = WORDS("picker.where_item", self.inspector_app.lang, code=code)
                for sha in [*result.photos, *result.photo_originals.values()]:
                    elsewhere.setdefault(sha, where)
        mine = results.get(self.item.code)
        here = {*mine.photos, *mine.photo_originals.values()} if mine is not None else set()
        return PhotoContext(self.walk.inspection.started_at, here, elsewhere)

    @guarded
    def _attached(self, code: str, attachments: list[Attachment]) -> None:
        self.walk.attach_photos(code, attachments)
        if self.is_attached:
            self._show_state()

    @guarded
    def action_onspot(self) -> None:
        on_spot = not self.result.fixed_on_spot
        self.walk.update_failure(fixed_on_spot=on_spot)
        self._show_state()
        if on_spot:
            self.query_one("#after-photo", Input).focus()

    @on(Input.Submitted, "#after-photo")
    def _after_photo_submitted(self, event: Input.Submitted) -> None:
        """The 当场整改's after-photo, checked and copied like the before-photos: typed, or picked (empty box)."""
        raw = event.input.value.strip().strip("\"'")
        event.input.value = ""
        if raw:
            attach_paths(
                self, [Path(raw).expanduser()], self._photo_context, self._after_attached, message=self._message
            )
        else:
            attach_photos(self, self._photo_context, self._after_attached, message=self._message)

    @guarded
    def _after_attached(self, attachments: list[Attachment]) -> None:
        shas = [a.sha256 for a in attachments if a.sha256 not in self.result.after_photos]
        self.walk.update_failure(after_photos=[*self.result.after_photos, *shas])
        if self.is_attached:
            self._show_state()

    @on(OptionList.OptionSelected, "#exemptions")
    @guarded
    def _exempted(self, event: OptionList.OptionSelected) -> None:
        self.walk.apply_exemption(str(event.option.prompt))
        self.dismiss("exempt")

    # leaving ------------------------------------------------------------------------------------------------
    def action_done(self) -> None:
        if self.result.fixed_on_spot and not self.result.after_photos:
            self.query_one(MessageLine).say(self.t("fail.onspot_needs_photo"), error=True)
            self.query_one("#after-photo", Input).focus()
            return
        if self.item.evidence.note_required and not self.result.description:
            self.query_one(MessageLine).say(self.t("fail.need_description"), error=True)
            self._warned = True
            return
        self.dismiss("done")

    def action_leave(self) -> None:
        if self.result.fixed_on_spot and not self.result.after_photos:
            self.action_done()  # says why; F3 undoes the mark
        elif not self.item.evidence.note_required or self.result.description:
            self.dismiss("done")
        elif self._warned:
            self.notify(self.t("fail.abandoned"))
            self.dismiss("abandon")
        else:
            self.action_done()
