"""A photo shown in the terminal, decoded off the UI thread.

`textual-image` draws it with the best protocol the terminal answers to (kitty's graphics protocol, sixel), else
with coloured half-block cells, which every terminal shows (tmux and Windows Terminal included). It learns what the
terminal supports by asking it, which works only before Textual owns the terminal's input: `detect_terminal()` is
called by the launcher before the app starts. Where it was not (an app started some other way on a terminal), the
preview shows the photo's facts in words instead of asking the terminal mid-session, which would put the answer
into the inspector's typing.

A 12-megapixel photo takes a few hundred milliseconds to decode, so a thread worker opens it at a reduced size
(JPEG's DCT scaling) and shrinks it to the pixels the panel can show; only that small image reaches the UI thread,
where drawing it costs less than a keystroke.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from checklists.i18n import Catalogue

if TYPE_CHECKING:
    from PIL import Image as PILImage
    from textual.app import ComposeResult

WORDS = Catalogue(
    "photo_preview",
    {
        "preview.loading": ("正在读取 {name} …", "Reading {name} …"),
        "preview.failed": ("无法预览 {name}：{reason}", "Cannot preview {name}: {reason}"),
        "preview.facts": ("{name}\n{width}×{height}", "{name}\n{width}×{height}"),
        "preview.none": ("（无照片）", "(no photo)"),
    },
)

_detected = False
# Pixels per cell asked of the decode: a typical terminal cell (half-blocks need only 1 x 2; sixel and kitty use
# more, and textual-image scales what it gets to the cells it draws).
_CELL_PX = (10, 20)


def detect_terminal() -> None:
    """Ask the terminal what images it can show, once, before Textual starts reading its input."""
    global _detected
    try:
        import textual_image.widget  # noqa: F401  (importing it queries the terminal and caches the answer)
    except Exception:  # a terminal that answers oddly must not stop the app: words are shown instead
        return
    _detected = True


def graphics_ready() -> bool:
    """Whether drawing an image is safe now: the terminal was asked before the app started, or output is no
    terminal at all (tests, a pipe), where textual-image asks nothing and draws text cells."""
    stdout = sys.__stdout__
    return _detected or stdout is None or not stdout.isatty()


def small_image(path: Path, width_px: int, height_px: int) -> PILImage.Image:
    """The photo upright and shrunk to fit (width_px, height_px): the worker's part, never the UI thread's."""
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        opened.draft("RGB", (width_px, height_px))
        image = ImageOps.exif_transpose(opened)
        image.thumbnail((width_px, height_px))
        return image.convert("RGB")


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
        cell_w, cell_h = _CELL_PX
        try:
            image = small_image(path, cols * cell_w, rows * cell_h)
        except Exception as error:  # Pillow raises many types; the file is named, no traceback
            reason = str(error) or type(error).__name__
            self.app.call_from_thread(self._failed, path, reason)
            return
        self.app.call_from_thread(self._decoded, path, image)

    def _failed(self, path: Path, reason: str) -> None:
        if path == self.wanted:
            self.query_one("#preview-caption", Static).update(
                self.title + WORDS("preview.failed", self.lang, name=self._label, reason=reason)
            )
            self._clear()

    def _decoded(self, path: Path, image: PILImage.Image) -> None:
        if path != self.wanted:
            return
        caption = self.query_one("#preview-caption", Static)
        caption.update(self.title + self._label)
        if not graphics_ready():
            facts = WORDS("preview.facts", self.lang, name=self._label, width=image.width, height=image.height)
            caption.update(self.title + facts)
            self.shown = path
            return
        from textual_image.widget import Image as ImageWidget

        # The image's size in cells is fixed from its pixels (decoded to fit the panel, aspect kept): textual-image
        # then never sizes it from a container that has no height yet, which it cannot draw.
        cell_w, cell_h = _CELL_PX
        cols = max(1, min(self.size.width or 1_000, -(-image.width // cell_w)))
        rows = max(1, min(max(1, (self.size.height or 1_000) - 1), -(-image.height // cell_h)))
        if self._image is None:
            self._image = ImageWidget(image, id="preview-image")
            self._image.styles.width, self._image.styles.height = cols, rows
            self.mount(self._image)
        else:
            self._image.styles.width, self._image.styles.height = cols, rows
            self._image.image = image
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
