"""The private parts of Textual that Inspector relies on still exist in the installed Textual.

Everything private is reached through inspector.tui.textual_private; its INTERNALS names each attribute or module.
When a Textual upgrade removes or renames one, this test fails naming it, rather than a screen quietly taking a
slow path (the walk's item list falls back to Textual's full repaint) or a test failing somewhere far away.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

from inspector.tui import textual_private
from inspector.tui.textual_private import INTERNALS, missing_internals

ROOT = Path(__file__).resolve().parent.parent
TEXTUAL = version("textual")


@pytest.mark.parametrize("name", list(INTERNALS))
def test_each_private_attribute_relied_on_still_exists(name: str) -> None:
    assert INTERNALS[name](), f"Textual {TEXTUAL} no longer has {name}: update inspector/tui/textual_private.py"


def test_a_missing_attribute_is_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets.option_list import Option

    assert missing_internals() == []
    monkeypatch.delattr(Option, "_set_prompt")
    assert missing_internals() == ["Option._set_prompt"]


def test_nothing_else_reaches_into_textual_privates() -> None:
    """Outside textual_private.py, no code names a private attribute the module wraps or a private Textual module."""
    private = sorted({token for name in INTERNALS for token in re.findall(r"(?<![\w])_\w+", name)})
    assert "_compositor" in private and "_set_prompt" in private
    own = Path(textual_private.__file__).resolve()
    paths = [*ROOT.glob("inspector/**/*.py"), *ROOT.glob("tests/*.py"), *ROOT.glob("bench/*.py")]
    found = []
    for path in paths:
        if path.resolve() in (own, Path(__file__).resolve()):
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {n}" for n in private if re.search(rf"\.{n}\b|\bdef {n}\b", text)]
        found += [f"{path.relative_to(ROOT)}: textual._…" for _ in re.findall(r"\btextual\._\w+", text)]
    assert found == []
