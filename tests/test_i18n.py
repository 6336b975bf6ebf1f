"""The field app's catalogue: every key the TUI asks for exists, unknown keys show themselves, counts are worded.

The checks every catalogue shares (both languages, same placeholders, no unused key) are in test_catalogues.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from checklists.i18n import Catalogue
from inspector.i18n import UI, pick, tr

ROOT = Path(__file__).resolve().parent.parent


def test_the_ui_catalogue_is_one_catalogue_and_tr_is_it() -> None:
    assert isinstance(UI, Catalogue)
    assert tr is UI
    assert pick(("中", "en"), "en") == "en" and pick(("中", "en"), "zh") == "中"


def test_every_key_the_tui_uses_is_in_the_catalogue() -> None:
    used: set[str] = set()
    pattern = re.compile(r"""\b(?:t|tr)\(\s*(?:f?)["']([a-z_]+\.[a-z_.]+|sep)["']""")
    binding = re.compile(r"""["'](key\.[a-z_]+)["']""")
    for path in [*(ROOT / "inspector").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        used |= set(pattern.findall(text)) | set(binding.findall(text))
    assert used, "the scan found no keys: the pattern is broken"
    assert sorted(key for key in used if key not in UI) == []


def test_unknown_key_shows_itself_and_values_fill_in() -> None:
    assert tr("no.such.key", "zh") == "no.such.key"
    assert tr("walk.position", "en", n=3, total=31) == "Item 3/31"
    assert tr("walk.position", "zh", n=3, total=31) == "第 3/31 项"


def test_english_counts_are_worded_for_one_and_for_many() -> None:
    assert tr("assign.title", "en", n=1) == "Assign 1 problem"
    assert tr("assign.title", "en", n=4) == "Assign 4 problems"
    assert tr("ledger.confirm_close", "en", n=1).startswith("Close 1 problem?")
    assert tr("ledger.confirm_void", "en", n=2).startswith("Void 2 problems?")
    assert tr("fail.photos_count", "en", n=1) == "1 photo"
    assert tr("sites.count", "en", shown=1, total=1) == "1 of 1 site"
    assert tr("assign.title", "zh", n=1) == "交办 1 条问题"
