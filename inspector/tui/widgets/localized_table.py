"""A DataTable whose own bindings (ours: j/k, Enter, g/G) describe themselves in the user's language.

Screens get this from BaseScreen; a table subclass brings bindings of its own, which otherwise each screen had to
remember to localize."""

from __future__ import annotations

from typing import Any, TypeVar

from textual.widgets import DataTable

from inspector.tui.keys import localize_bindings

CellT = TypeVar("CellT")


class LocalizedTable(DataTable[CellT]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        localize_bindings(self, getattr(self.app, "lang", "zh"))  # made in compose, so the app is known
