"""The walk's detail pane: the current item, wrapped once per item and width, scrolled without a layout pass.

A Static inside a VerticalScroll grows and shrinks with every item, and each change of height costs Textual a full
layout and a repaint of every widget on the screen: that was half of a verdict's frame. This widget keeps the
pane's size and scrolls by its own offset (the Line API), so showing another item repaints only the rows that
differ. Wrapped lines are kept for a few recent items, and the walk screen wraps the likely next one while the
inspector is still looking at the current one, so a verdict usually finds the next item ready.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget

CacheKey = tuple[str, tuple[object, ...], int]


class ItemDetail(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"item-detail--more"}

    DEFAULT_CSS = """
    ItemDetail {
        height: 1fr;
        overflow: hidden hidden;
    }
    ItemDetail > .item-detail--more {
        color: $text-muted;
        background: $boost;
        text-style: italic;
    }
    """

    def __init__(self, *, more_below: str = "▼ {n}", more_above: str = "▲ {n}", id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()
        self._lines: list[Strip] | None = None  # the current text's, at the current width
        self._blank: Strip | None = None
        self._offset = 0
        self._wrapped: LRUCache[CacheKey, list[Strip]] = LRUCache(16)
        self._more_below = more_below
        self._more_above = more_above

    # what the screen calls ----------------------------------------------------------------------------------
    def show(self, text: Text) -> None:
        """Show another text from its top, repainting only the rows that differ from what is on screen."""
        before = self._visible_rows()
        self._text = text
        self._lines = None
        self._offset = 0
        after = self._visible_rows()
        if before is None or after is None:
            self.refresh()
            return
        width = self.size.width
        changed = [Region(0, y, width, 1) for y, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
        if changed:
            self.refresh(*changed)

    def prepare(self, text: Text) -> None:
        """Wrap a text that is likely to be shown next, so showing it later costs no wrapping."""
        if self.size.width:
            self._lines_of(text)

    def scroll_lines(self, delta: int) -> None:
        offset = max(0, min(self._offset + delta, self.max_offset))
        if offset != self._offset:
            self._offset = offset
            self.refresh()

    @property
    def offset_y(self) -> int:
        return self._offset

    @property
    def max_offset(self) -> int:
        return max(0, len(self._current_lines()) - self.size.height)

    @property
    def plain_lines(self) -> list[str]:
        """Every wrapped line of the current text, including those scrolled out of view."""
        return [strip.text.rstrip() for strip in self._current_lines()]

    # rendering ----------------------------------------------------------------------------------------------
    def _current_lines(self) -> list[Strip]:
        if self._lines is None:
            self._lines = self._lines_of(self._text)
        return self._lines

    def _lines_of(self, text: Text) -> list[Strip]:
        width = self.size.width
        key: CacheKey = (text.plain, tuple(text.spans), width)
        lines = self._wrapped.get(key)
        if lines is None:
            lines = Visual.to_strips(self, visualize(self, text), width, None, self.visual_style, pad=True)
            self._wrapped[key] = lines
        return lines

    def _visible_rows(self) -> list[Strip] | None:
        size = self.size
        if not size:
            return None  # not laid out yet: there is nothing on screen to compare with
        lines = self._current_lines()
        return [self._row(y, lines, size.width, size.height) for y in range(size.height)]

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        return self._row(y, self._current_lines(), width, height)

    def _row(self, y: int, lines: list[Strip], width: int, height: int) -> Strip:
        below = len(lines) - (self._offset + height)
        if below > 0 and y == height - 1 and height > 1:
            return self._hint(self._more_below, below + 1, width)  # the hint covers the last line, so +1
        if self._offset > 0 and y == 0 and height > 1:
            return self._hint(self._more_above, self._offset + 1, width)
        index = self._offset + y
        if index < len(lines):
            return lines[index]
        if self._blank is None or self._blank.cell_length != width:
            self._blank = Strip.blank(width, self.visual_style.rich_style)
        return self._blank

    def _hint(self, template: str, n: int, width: int) -> Strip:
        style = self.get_component_rich_style("item-detail--more")
        return Strip([Segment(template.format(n=n), style)]).adjust_cell_length(width, style)

    # keeping it right ---------------------------------------------------------------------------------------
    def on_resize(self) -> None:
        self._lines = None
        self._offset = min(self._offset, self.max_offset)
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._wrapped.clear()  # a theme change restyles the wrapped lines
        self._lines = self._blank = None

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.scroll_lines(3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.scroll_lines(-3)
