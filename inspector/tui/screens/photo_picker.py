"""The photo picker: the images of the inspector's photo folders, newest taken first, picked by number or space.

Used wherever evidence is attached (the 不符合 panel, 复查; the 当场整改 step can call `attach_photos` the same way).
The screen only picks: `attach_photos` runs the rest off the UI thread (checking each file, keeping the original,
making the upload copy: `Store.add_photo`), asks the inspector to confirm what looks like the wrong photo (taken
hours away from the walk, already another problem's evidence), and hands the attachments to the caller. Typing a
path in the picker's box attaches that file; typing a folder adds it to the photo folders.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from checklists.i18n import Catalogue, Plural
from inspector.core import photo_files
from inspector.core.photo_files import PhotoFile, PhotoFileError
from inspector.core.records import Attachment
from inspector.tui.screens.base import BaseModal
from inspector.tui.widgets.message_line import MessageLine
from inspector.tui.widgets.photo_preview import PhotoPreview

if TYPE_CHECKING:
    from inspector.tui.app import InspectorApp

WORDS = Catalogue(
    "photo_picker",
    {
        "picker.title": (
            "选择照片：数字键或空格选中，Enter 添加（✓ 已在本次检查中添加）",
            "Pick photos: digits or space pick, Enter attaches (✓ attached in this walk)",
        ),
        "picker.folders": ("文件夹：{folders}", "Folders: {folders}"),
        "picker.reading": ("正在读取照片文件夹…", "Reading the photo folders…"),
        "picker.empty": (
            "文件夹中没有照片。把照片放入 {folder}，或在下方输入照片所在的文件夹。",
            "No photos in the folders. Put photos in {folder}, or type their folder below.",
        ),
        "picker.path_placeholder": (
            "输入照片路径（添加该照片）或文件夹（加入照片文件夹），Enter 确认",
            "Type a photo's path (attaches it) or a folder (adds it to the photo folders); Enter",
        ),
        "picker.folder_added": ("已加入照片文件夹：{folder}", "Photo folder added: {folder}"),
        "picker.nothing_picked": ("未选中照片：数字键或空格选中。", "No photo picked: digits or space pick one."),
        "picker.row": ("{n:>2} {mark} {time} {size:>7} {name}", "{n:>2} {mark} {time} {size:>7} {name}"),
        "picker.preparing": ("正在处理 {n} 张照片…", Plural("Preparing {n} photo…", "Preparing {n} photos…")),
        "picker.added": ("已添加照片：{names}", "Photos attached: {names}"),
        "picker.confirm": (
            "{warnings}\n\nEnter 仍然添加，Esc 不添加这些照片。",
            "{warnings}\n\nEnter attaches anyway, Esc leaves them out.",
        ),
        "picker.where_item": ("本次检查 {code}", "this inspection, {code}"),
        "picker.where_problem": ("{code} {description}", "{code} {description}"),
    },
)


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    return f"{max(1, n >> 10)} KB"


class PhotoPickerScreen(BaseModal):
    """Returns the picked paths (newest first as listed), or None when left with Esc."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *[Binding(str(n), f"pick({n})", show=False) for n in range(1, 10)],
        Binding("enter", "attach", "key.attach", id="attach_photos", priority=True),
        Binding("escape", "leave", "key.back", id="leave_picker"),
    ]

    def __init__(self, folders: Sequence[Path], marked: Collection[tuple[str, int]] = ()) -> None:
        super().__init__()
        self.folders = list(folders)
        self.marked = set(marked)  # (file name, size) of originals already attached in this walk
        self.photos: list[PhotoFile] = []
        self.listed = False  # the folders have been read (tests wait on it)

    def w(self, key: str, /, **values: object) -> str:
        return WORDS(key, self.inspector_app.lang, **values)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(self.w("picker.title"), classes="dialog-title")
            yield Static(self._folders_text(), id="picker-folders")
            with Horizontal(id="picker-body"):
                yield SelectionList[int](id="picker-list")
                yield PhotoPreview(self.inspector_app.lang, id="picker-preview")
            yield Input(placeholder=self.w("picker.path_placeholder"), id="picker-path")
            yield MessageLine(id="picker-message")
        yield Footer(compact=True)

    def _folders_text(self) -> str:
        return self.w("picker.folders", folders=self.inspector_app.t("list.sep").join(str(f) for f in self.folders))

    def on_mount(self) -> None:
        self.query_one("#picker-list").focus()
        self._relist()

    def _relist(self) -> None:
        self.query_one(MessageLine).say(self.w("picker.reading"))
        folders = list(self.folders)
        self.run_worker(lambda: self._read(folders), thread=True, exclusive=True, group="picker-list")

    def _read(self, folders: list[Path]) -> None:
        photos = photo_files.list_photos(folders)
        self.app.call_from_thread(self._listed, photos)

    def _listed(self, photos: list[PhotoFile]) -> None:
        self.photos = photos
        box = self.query_one("#picker-list", SelectionList)
        box.clear_options()
        rows = []
        for n, photo in enumerate(photos, 1):
            line = self.w(
                "picker.row",
                n=n,
                mark="✓" if (photo.name, photo.size) in self.marked else " ",
                time=photo.taken_at.astimezone().strftime("%m-%d %H:%M"),
                size=_size(photo.size),
                name=photo.name,
            )
            rows.append(Selection(line, n - 1))
        box.add_options(rows)
        message = self.query_one(MessageLine)
        if photos:
            message.say("")
            box.highlighted = 0
            self.query_one(PhotoPreview).show(photos[0].path)
        else:
            message.say(self.w("picker.empty", folder=self.folders[0] if self.folders else ""))
            self.query_one(PhotoPreview).show(None)
        self.listed = True

    @on(SelectionList.SelectionHighlighted, "#picker-list")
    def _highlighted(self, event: SelectionList.SelectionHighlighted[int]) -> None:
        index = event.selection.value
        if 0 <= index < len(self.photos):
            self.query_one(PhotoPreview).show(self.photos[index].path)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Digits typed in the path box are the path's.
        return not (action == "pick" and isinstance(self.focused, Input))

    def action_pick(self, number: int) -> None:
        if number <= len(self.photos):
            box = self.query_one("#picker-list", SelectionList)
            box.toggle(number - 1)
            box.highlighted = number - 1

    def action_attach(self) -> None:
        if isinstance(self.focused, Input):
            self._typed(self.focused)
            return
        box = self.query_one("#picker-list", SelectionList)
        picked = sorted(int(i) for i in box.selected)
        if not picked:
            self.query_one(MessageLine).say(self.w("picker.nothing_picked"), error=True)
            return
        self.dismiss([self.photos[i].path for i in picked])

    def _typed(self, box: Input) -> None:
        raw = box.value.strip().strip("\"'")
        if not raw:
            self.query_one("#picker-list").focus()
            return
        path = Path(raw).expanduser()
        if path.is_dir():
            settings = photo_files.add_folder(self.inspector_app.store.data_dir, path)
            self.folders = settings.folders
            box.value = ""
            self.query_one("#picker-folders", Static).update(self._folders_text())
            self._relist()
            self.query_one(MessageLine).say(self.w("picker.folder_added", folder=path))
            return
        self.dismiss([path])

    def action_leave(self) -> None:
        self.dismiss(None)


# --- attaching --------------------------------------------------------------------------------------------------


@dataclass
class PhotoContext:
    """What the checks compare a photo with: when the walk (or the 复查) began, and the photos already in use."""

    started_at: datetime
    here: set[str] = field(default_factory=set)  # originals (and copies) attached to this item / form: no warning
    elsewhere: dict[str, str] = field(default_factory=dict)  # original (or copy) → the problem it is evidence of


@dataclass
class _Checked:
    paths: list[Path] = field(default_factory=list)  # readable photos, in the order picked
    warnings: dict[Path, list[str]] = field(default_factory=dict)  # what the inspector must confirm, per photo
    refusals: list[str] = field(default_factory=list)


def photo_folders(app: InspectorApp) -> tuple[list[Path], bool]:
    settings = photo_files.load_settings(app.store.data_dir, app.lang)
    if settings.problem:
        app.notify(settings.problem, severity="warning")
    photo_files.ensure_inbox(app.store.data_dir)
    return settings.folders, settings.keep_gps


def originals_of(app: InspectorApp, photos: Collection[str]) -> set[tuple[str, int]]:
    """(name, size) of the originals of these attached photos, so the picker can mark their files."""
    marks: set[tuple[str, int]] = set()
    for sha in photos:
        try:
            attachment = app.store.attachment(sha)
            source = app.store.attachment(attachment.original) if attachment.original else attachment
        except Exception:  # a photo HQ sent without its metadata here simply has no mark
            continue
        if source.filename:
            marks.add((source.filename, source.size))
    return marks


def elsewhere_map(app: InspectorApp, exclude_problem: str | None = None) -> dict[str, str]:
    """Every photo that is already some problem's evidence (its copy and original), with the problem's words."""
    from inspector.core.store import StoreError

    store = app.store
    lang = app.lang
    found: dict[str, str] = {}
    for problem in store.problems():
        if problem.id == exclude_problem:
            continue
        where = WORDS("picker.where_problem", lang, code=problem.item_code, description=problem.description[:24])
        shas = [*problem.photos, *(p for e in problem.events for p in e.photos)]
        for sha in shas:
            found.setdefault(sha, where)
            try:
                original = store.attachment(sha).original
            except StoreError:
                original = None
            if original:
                found.setdefault(original, where)
    return found


def attach_photos(
    screen: Screen[object],
    context: Callable[[], PhotoContext],
    on_attached: Callable[[list[Attachment]], None],
    *,
    marked: Collection[str] = (),
    message: MessageLine | None = None,
) -> None:
    """Open the picker, then `attach_paths` what was picked."""
    from inspector.tui.app import InspectorApp

    app = screen.app
    assert isinstance(app, InspectorApp)
    folders, _ = photo_folders(app)

    def picked(paths: list[Path] | None) -> None:
        if paths:
            attach_paths(screen, paths, context, on_attached, message=message)

    app.push_screen(PhotoPickerScreen(folders, originals_of(app, marked)), picked)


def attach_paths(
    screen: Screen[object],
    paths: Sequence[Path],
    context: Callable[[], PhotoContext],
    on_attached: Callable[[list[Attachment]], None],
    *,
    message: MessageLine | None = None,
) -> None:
    """Check these photos in a worker; confirm the warnings; then keep the ones still wanted (original and upload
    copy, `Store.add_photo`) in a second worker and call `on_attached` with their upload copies.

    A photo is judged before it is stored: one the inspector declines is never copied in, so sync never sends it.
    `context` is called in the worker (it may read the store at length); `on_attached` runs on the UI thread with
    the copies to put in the record (each names its original). Refusals are said by file name and reason."""
    from inspector.tui.app import InspectorApp
    from inspector.tui.screens.ledger import ConfirmScreen

    app = screen.app
    assert isinstance(app, InspectorApp)
    keep_gps = photo_files.load_settings(app.store.data_dir, app.lang).keep_gps
    lang = app.lang

    def say(text: str, error: bool = False) -> None:
        if message is not None and message.is_attached:
            message.say(text, error=error)
        elif text:
            app.notify(text, severity="error" if error else "information")

    def check(paths: Sequence[Path]) -> None:
        checked = _Checked()
        where = context()
        now = datetime.now().astimezone()
        for path in paths:
            try:
                photo = photo_files.check_photo(path)
                sha = photo_files.file_sha256(path)
            except PhotoFileError as error:
                checked.refusals.append(error.message(lang))
                continue
            checked.paths.append(path)
            if sha in where.here:
                continue  # attached here already: adding it again changes nothing
            warnings = [
                w
                for w in (
                    photo_files.time_warning(photo, where.started_at, now, lang),
                    photo_files.duplicate_warning(path.name, where.elsewhere.get(sha), lang),
                )
                if w
            ]
            if warnings:
                checked.warnings[path] = warnings
        app.call_from_thread(confirm, checked)

    def confirm(checked: _Checked) -> None:
        doubtful = [p for p in checked.paths if p in checked.warnings]
        if not doubtful:
            keep(checked.paths, checked.refusals)
            return
        text = "\n".join(w for p in doubtful for w in checked.warnings[p])

        def answered(yes: bool | None) -> None:
            keep([p for p in checked.paths if yes or p not in checked.warnings], checked.refusals)

        app.push_screen(ConfirmScreen(WORDS("picker.confirm", lang, warnings=text)), answered)

    def keep(paths: list[Path], refusals: list[str]) -> None:
        if not paths:
            say("；".join(refusals), error=bool(refusals))
            return
        screen.run_worker(lambda: store(paths, refusals), thread=True, group="photo-prepare")

    def store(paths: list[Path], refusals: list[str]) -> None:
        from inspector.core.store import StoreError

        kept: list[Attachment] = []
        for path in paths:
            try:
                kept.append(app.store.add_photo(path, keep_gps=keep_gps))
            except StoreError as error:
                refusals.append(str(error))
        app.call_from_thread(give, kept, refusals)

    def give(attachments: list[Attachment], refusals: list[str]) -> None:
        if attachments:
            on_attached(attachments)
        if refusals:
            say("；".join(refusals), error=True)
        else:
            names = [a.filename or a.sha256[:8] for a in attachments]
            say(WORDS("picker.added", lang, names=app.t("list.sep").join(names)))

    say(WORDS("picker.preparing", lang, n=len(paths)))
    chosen = list(paths)
    screen.run_worker(lambda: check(chosen), thread=True, group="photo-check")
