"""Key bindings: ids for every binding, descriptions in the user's language, and the user's own keymap.

Bindings are declared with a message id as their description (`key.pass`); `localize_bindings` swaps in the
words of the chosen language per node, so one class serves both languages. The keymap file maps binding ids to
keys, as Posting does, and is applied with `App.set_keymap`.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode

from inspector.i18n import tr
from inspector.tui.textual_private import binding_table

KEYMAP_FILE = "keymap.json"


def localize_bindings(node: DOMNode, lang: str) -> None:
    """Give this node's bindings their descriptions in `lang` (descriptions are message ids until then)."""
    table = binding_table(node)
    for key, bindings in table.items():
        if len(bindings) > 1 and bindings[-1].id:
            bindings = bindings[-1:]  # our subclass re-binds a key of Textual's widget: ours replaces it
        table[key] = [_localized(binding, lang) for binding in bindings]


def _localized(binding: Binding, lang: str) -> Binding:
    description = binding.description
    if description.startswith("key."):
        description = tr(description, lang)
    key_display = binding.key_display
    if key_display is None and re.fullmatch(r"f\d{1,2}", binding.key):
        key_display = binding.key.upper()  # F5, as printed on the keyboard
    return replace(binding, description=description, key_display=key_display)


def load_keymap(data_dir: Path) -> tuple[dict[str, str], str | None]:
    """The user's keymap (binding id → keys) and, if the file is unusable, a message saying why."""
    path = data_dir / KEYMAP_FILE
    if not path.exists():
        return {}, None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, f"{path}: {exc}"
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        return {}, f'{path}: expected an object of binding id → keys, e.g. {{"pass": "1,y"}}'
    return dict(raw), None
