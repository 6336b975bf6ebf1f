"""Help on ? / ？ / F1: every key that works right now, what it does, and how to remap it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from inspector.tui.screens.base import BaseModal


class HelpScreen(BaseModal):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,question_mark,fullwidth_question_mark", "close", "key.back", id="close_help"),
    ]

    def __init__(self, bindings: Mapping[str, ActiveBinding]) -> None:
        super().__init__()
        self._bindings_seen = bindings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(self._table(), id="help-table")
            yield Static(self.t("help.ime"), classes="hint")
            yield Static(self.t("help.remap", path=self.inspector_app.keymap_path), classes="hint")
        yield Footer(compact=True)

    def _table(self) -> Table:
        table = Table(title=self.t("help.title"), expand=True, show_edge=False)
        table.add_column("", no_wrap=True)
        table.add_column("")
        table.add_column("id", style="dim", no_wrap=True)
        seen: set[tuple[str, str]] = set()
        rows: list[tuple[str, str, str]] = []
        for active in self._bindings_seen.values():
            binding = active.binding
            # Only our own bindings: they have ids (remappable) and descriptions in the user's language.
            if not binding.id or not binding.description or (binding.action, binding.description) in seen:
                continue
            seen.add((binding.action, binding.description))
            keys = self._keys_for(binding.action, binding.description)
            rows.append((keys or self.app.get_key_display(binding), binding.description, binding.id or ""))
        for keys, description, binding_id in rows:
            table.add_row(Text(keys, style="bold"), description, binding_id)
        return table

    def _keys_for(self, action: str, description: str) -> str:
        keys = [
            self.app.get_key_display(active.binding)
            for active in self._bindings_seen.values()
            if active.binding.action == action and active.binding.description == description
        ]
        return " / ".join(dict.fromkeys(keys))

    def action_close(self) -> None:
        self.dismiss(None)
