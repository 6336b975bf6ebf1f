"""Chinese first, English complete: every message has both, and every key the code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from inspector.i18n import MESSAGES, tr

ROOT = Path(__file__).resolve().parent.parent


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_both_languages_with_the_same_placeholders() -> None:
    for key, (zh, en) in MESSAGES.items():
        if key == "ledger.col.mark":
            continue  # the selection column has no heading in either language
        assert zh.strip() and en.strip(), key
        assert fields(zh) == fields(en), key


def test_english_messages_contain_no_chinese() -> None:
    han = re.compile(r"[\u4e00-\u9fff]")
    assert [k for k, (_, en) in MESSAGES.items() if han.search(en)] == []


def test_every_key_the_tui_uses_is_in_the_catalogue() -> None:
    used: set[str] = set()
    pattern = re.compile(r"""\b(?:t|tr)\(\s*(?:f?)["']([a-z_]+\.[a-z_.]+|sep)["']""")
    binding = re.compile(r"""["'](key\.[a-z_]+)["']""")
    for path in [*(ROOT / "inspector").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        used |= set(pattern.findall(text)) | set(binding.findall(text))
    assert used, "the scan found no keys: the pattern is broken"
    assert sorted(used - set(MESSAGES)) == []


def test_unknown_key_shows_itself_and_values_fill_in() -> None:
    assert tr("no.such.key", "zh") == "no.such.key"
    assert tr("walk.position", "en", n=3, total=31) == "Item 3/31"
    assert tr("walk.position", "zh", n=3, total=31) == "第 3/31 项"


def test_every_message_in_the_catalogue_is_used() -> None:
    """The other way round: a key nothing asks for is a translation nobody maintains. Keys the code builds at run
    time (`f"severity.{value}"`, `"verdict." + value`) are matched by their literal prefix."""
    catalogue = ROOT / "inspector" / "i18n.py"
    files = [p for p in (ROOT / "inspector").rglob("*.py") if p != catalogue]
    sources = "\n".join(p.read_text(encoding="utf-8") for p in files)
    literal = set(re.findall(r"""["']([a-z_]+\.[a-z_.]+|sep)["']""", sources))
    prefixes = set(re.findall(r"""f["']([a-z_]+\.(?:[a-z_]+\.)*)\{""", sources))
    prefixes |= set(re.findall(r"""["']([a-z_]+\.(?:[a-z_]+\.)*)["']\s*\+""", sources))  # 'verdict.' + value
    unused = [k for k in MESSAGES if k not in literal and not any(k.startswith(p) for p in prefixes)]
    assert unused == []
