"""A photo shown in the terminal, decoded off the UI thread.

Two ways to draw it. Everywhere: coloured half-block cells (▀ with the upper pixel as its colour and the lower as
its background), which every terminal shows, tmux and Windows Terminal included, drawn here with nothing to ask the
terminal. On a terminal that can show real images (kitty's graphics protocol, sixel: kitty, WezTerm, iTerm2,
foot, Konsole, Windows Terminal 1.22+), `textual-image` draws the photo itself. It learns what the terminal supports
by asking it, which works only before Textual owns the terminal's input and costs up to ~0.3 s where nothing
answers, so `detect_terminal()` (called by the launcher before the app starts) asks only a terminal that says by
its environment that it may answer, and never inside tmux or screen, which would keep the images to themselves.

A 12-megapixel photo takes a few hundred milliseconds to decode, so a thread worker opens it at a reduced size
(JPEG's DCT scaling) and shrinks it to the pixels the panel can show; only that small image reaches the UI thread,
where drawing it costs less than a keystroke.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.color import Color
from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.style import Style
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from checklists.i18n import Catalogue
from inspector.core.store import Store, StoreError

if TYPE_CHECKING:
    from PIL import Image as PILImage
    from textual.app import ComposeResult

WORDS = Catalogue(
    "photo_preview",
    {
        "preview.loading": ("正在读取 {name} …", "Reading {name} …"),
        "preview.failed": ("无法预览 {name}：{reason}", "Cannot preview {name}: {reason}"),
        "preview.none": ("（无照片）", "(no photo)"),
    },
)

_graphics = False  # textual-image was loaded before the app started: the terminal's own image protocol is used
# Pixels per cell asked of the decode for textual-image (a typical cell; it scales what it gets to its cells).
_CELL_PX = (10, 20)
_GRAPHICS_TERMINALS = ("WezTerm", "iTerm.app", "ghostty", "mlterm", "contour")


def may_show_images(env: Mapping[str, str]) -> bool:
    """Whether this terminal says, by its environment, that it may show real images; a multiplexer never does."""
    if env.get("INSPECTOR_PREVIEW") == "halfblock" or env.get("TMUX") or env.get("STY"):
        return False
    term = env.get("TERM", "")
    return bool(
        "kitty" in term
        or env.get("KITTY_WINDOW_ID")
        or env.get("TERM_PROGRAM") in _GRAPHICS_TERMINALS
        or env.get("KONSOLE_VERSION")
        or env.get("WT_SESSION")
        or term.startswith(("foot", "mlterm"))
    )


def detect_terminal(env: Mapping[str, str] | None = None) -> bool:
    """Before Textual starts reading the terminal's input: ask a terminal that may show images which protocol it
    speaks (textual-image asks as it loads). Returns whether images will be drawn by the terminal itself."""
    global _graphics
    if not may_show_images(os.environ if env is None else env):
        return False
    try:
        import textual_image.widget  # noqa: F401  (importing it queries the terminal and caches the answer)
    except Exception:  # a terminal that answers oddly must not stop the app: half-blocks are drawn instead
        return False
    _graphics = True
    return True


def small_image(path: Path, width_px: int, height_px: int) -> PILImage.Image:
    """The photo upright and shrunk to fit (width_px, height_px): the worker's part, never the UI thread's."""
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        opened.draft("RGB", (width_px, height_px))
        image = ImageOps.exif_transpose(opened)
        image.thumbnail((width_px, height_px))
        return image.convert("RGB")


class HalfBlocks:
    """A Rich renderable of an RGB image already at (columns, 2 × rows) pixels: one ▀ cell per two pixels."""

    def __init__(self, image: PILImage.Image) -> None:
        width, height = image.size
        pixels = image.tobytes()  # RGB, row after row
        rows = []
        for y in range(0, height - 1, 2):
            top, bottom = y * width * 3, (y + 1) * width * 3
            rows.append(
                [
                    Style(
                        color=Color.from_rgb(*pixels[top + 3 * x : top + 3 * x + 3]),
                        bgcolor=Color.from_rgb(*pixels[bottom + 3 * x : bottom + 3 * x + 3]),
                    )
                    for x in range(width)
                ]
            )
        self.rows = rows  # styles made in the worker: the UI thread only lays out segments

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        for row in self.rows:
            for style in row:
                yield Segment("▀", style)
            yield Segment.line()


class PhotoPreview(Vertical):
    """Shows one photo at a time; `show(path)` replaces it, and a decode overtaken by a newer one is dropped."""

    DEFAULT_CSS = """
    PhotoPreview { height: 1fr; width: 1fr; }
    PhotoPreview > Static { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, lang: str = "zh", *, title: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self.lang = lang
        self.title = f"{title}\n" if title else ""  # e.g. 整改前照片, on its own line above the photo's name
        self.wanted: Path | None = None
        self.shown: Path | None = None  # the photo whose pixels are on screen (tests wait on it)
        self._image: Any = None
        self._label = ""

    def compose(self) -> ComposeResult:
        yield Static(self.title + WORDS("preview.none", self.lang), id="preview-caption")

    def show(self, path: Path | None, name: str | None = None) -> None:
        """Show the photo at `path` (None: none); `name` is what to call it when the file's name is a hash."""
        if path is not None and path == self.wanted:
            return  # already shown or on its way
        self.wanted = path
        self._label = name or (path.name if path else "")
        caption = self.query_one("#preview-caption", Static)
        if path is None:
            caption.update(self.title + WORDS("preview.none", self.lang))
            self._clear()
            return
        caption.update(self.title + WORDS("preview.loading", self.lang, name=self._label))
        cols = max(4, self.size.width or 30)
        rows = max(2, (self.size.height or 12) - 1)
        self.run_worker(lambda: self._decode(path, cols, rows), thread=True, exclusive=True, group="preview")

    def _decode(self, path: Path, cols: int, rows: int) -> None:
        cell_w, cell_h = _CELL_PX if _graphics else (1, 2)
        try:
            image = small_image(path, cols * cell_w, rows * cell_h)
            drawn: Any = image if _graphics else HalfBlocks(image)
        except Exception as error:  # Pillow raises many types; the file is named, no traceback
            reason = str(error) or type(error).__name__
            self.app.call_from_thread(self._failed, path, reason)
            return
        self.app.call_from_thread(self._decoded, path, drawn)

    def _failed(self, path: Path, reason: str) -> None:
        if path == self.wanted:
            self.query_one("#preview-caption", Static).update(
                self.title + WORDS("preview.failed", self.lang, name=self._label, reason=reason)
            )
            self._clear()

    def _decoded(self, path: Path, drawn: Any) -> None:
        if path != self.wanted:
            return
        self.query_one("#preview-caption", Static).update(self.title + self._label)
        if isinstance(drawn, HalfBlocks):
            if self._image is None:
                self._image = Static(drawn, id="preview-image")
                self.mount(self._image)
            else:
                self._image.update(drawn)
            self.shown = path
            return
        from textual_image.widget import Image as ImageWidget

        # The image's size in cells is fixed from its pixels (decoded to fit the panel, aspect kept): textual-image
        # then never sizes it from a container that has no height yet, which it cannot draw.
        cell_w, cell_h = _CELL_PX
        cols = max(1, min(self.size.width or 1_000, -(-drawn.width // cell_w)))
        rows = max(1, min(max(1, (self.size.height or 1_000) - 1), -(-drawn.height // cell_h)))
        if self._image is None:
            self._image = ImageWidget(drawn, id="preview-image")
            self._image.styles.width, self._image.styles.height = cols, rows
            self.mount(self._image)
        else:
            self._image.styles.width, self._image.styles.height = cols, rows
            self._image.image = drawn
        self.shown = path

    def _clear(self) -> None:
        self.shown = None
        if self._image is not None:
            self._image.remove()
            self._image = None


class BeforeAfter(Horizontal):
    """A problem's before-photo and after-photo side by side (前后对比), each decoded in its own worker."""

    DEFAULT_CSS = """
    BeforeAfter { height: 1fr; }
    BeforeAfter > PhotoPreview { width: 1fr; padding: 0 0 0 1; }
    """

    def __init__(self, lang: str, before: str, after: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lang = lang
        self.titles = (before, after)

    def compose(self) -> ComposeResult:
        yield PhotoPreview(self.lang, title=self.titles[0], id="photo-before")
        yield PhotoPreview(self.lang, title=self.titles[1], id="photo-after")

    def show(self, before: tuple[Path, str] | None, after: tuple[Path, str] | None) -> None:
        """Each side as (path, the name to show), or None."""
        self.query_one("#photo-before", PhotoPreview).show(*(before or (None,)))
        self.query_one("#photo-after", PhotoPreview).show(*(after or (None,)))


def held_photo(store: Store, shas: Sequence[str]) -> tuple[Path, str] | None:
    """The first of these photos this laptop holds, as (its file, the name it had when attached: a photo pulled
    from HQ without one is shown by its hash's start), for a BeforeAfter side."""
    for sha in shas:
        path = store.attachment_path(sha)
        if path.is_file():
            try:
                name = store.attachment(sha).filename or sha[:12]
            except StoreError:
                name = sha[:12]
            return path, name
    return None
