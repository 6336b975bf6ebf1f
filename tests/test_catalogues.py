"""Every catalogue of every package, checked the same way: both languages, the same placeholders, no dead keys.

The modules are imported first, so each `Catalogue` registers itself in `CATALOGUES`; a catalogue added anywhere
later is checked without this file naming it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from checklists.i18n import CATALOGUES, Catalogue, Plural, placeholders

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("checklists", "inspector", "sync")

# (catalogue, key) pairs whose text is empty on purpose in both languages.
MAY_BE_EMPTY = {("ui", "ledger.col.mark")}  # the ledger's selection column has no heading

# (catalogue, key) pairs whose English quotes Chinese on purpose: the words a user must type or will see as such.
MAY_QUOTE_CHINESE = {
    ("checklists.loader", "bad_severity"),  # the accepted severity words in a checklist file are 一般 / 严重
    ("cli.help", "description"),  # the campaigns' own names, 创文/创城/创卫
    ("cli.help", "bulletin"),  # 督查通报 is the document's name, as HQ staff know it
    ("hq.console", "lang.switch"),  # the switch to Chinese is labelled in Chinese, as language switches are
}

# Chinese characters. Not CJK punctuation: the English help names the full-width keys a Chinese IME types (？、).
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@cache
def all_catalogues() -> tuple[Catalogue, ...]:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if info.name.rsplit(".", 1)[-1] != "__main__":
                importlib.import_module(info.name)
    return tuple(CATALOGUES)


@cache
def sources() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for package in PACKAGES
        for pattern in ("*.py", "*.html")  # the console's templates ask for their words with t('key')
        for path in sorted((ROOT / package).rglob(pattern))
    )


def quoted(key: str) -> int:
    """How often the key appears as a string literal in the sources."""
    text = sources()
    return text.count(f'"{key}"') + text.count(f"'{key}'")


def catalogue_ids() -> list[str]:
    return [catalogue.name for catalogue in all_catalogues()]


def test_every_package_registers_catalogues_with_distinct_names() -> None:
    names = catalogue_ids()
    assert len(names) >= 5, names  # the scan imported the packages
    assert sorted(name for name, n in Counter(names).items() if n > 1) == []


@pytest.mark.parametrize("catalogue", all_catalogues(), ids=catalogue_ids())
def test_every_message_has_both_languages_with_the_same_placeholders(catalogue: Catalogue) -> None:
    for key in catalogue:
        zh, *english = catalogue.texts(key)
        if (catalogue.name, key) in MAY_BE_EMPTY:
            assert not zh.strip() and not any(e.strip() for e in english), (catalogue.name, key)
            continue
        assert zh.strip() and all(e.strip() for e in english), (catalogue.name, key)
        for en in english:
            assert placeholders(en) == placeholders(zh), (catalogue.name, key, en)
        en_entry = catalogue.entry(key)[1]
        if isinstance(en_entry, Plural):
            assert en_entry.count in placeholders(zh), (catalogue.name, key, "the plural counts no placeholder")


@pytest.mark.parametrize("catalogue", all_catalogues(), ids=catalogue_ids())
def test_english_messages_contain_no_chinese(catalogue: Catalogue) -> None:
    quoting = [key for key in catalogue if any(HAN.search(en) for en in catalogue.texts(key)[1:])]
    assert [key for key in quoting if (catalogue.name, key) not in MAY_QUOTE_CHINESE] == []


@pytest.mark.parametrize("catalogue", all_catalogues(), ids=catalogue_ids())
def test_every_message_in_the_catalogue_is_used(catalogue: Catalogue) -> None:
    """A key nothing asks for is a translation nobody maintains. A key is used when its quoted literal appears in
    the sources beyond its definitions (one per catalogue that defines it), or when it falls under a prefix the code
    completes at run time (`f"verdict.{value}"`), declared by the catalogue."""
    defined = Counter(key for c in all_catalogues() for key in c)
    unused = [
        key
        for key in catalogue
        if quoted(key) <= defined[key] and not any(key.startswith(p) for p in catalogue.dynamic_prefixes)
    ]
    assert unused == [], catalogue.name


@pytest.mark.parametrize("catalogue", all_catalogues(), ids=catalogue_ids())
def test_every_dynamic_prefix_is_built_by_the_code_and_covers_a_key(catalogue: Catalogue) -> None:
    """A declared prefix that nothing completes would hide dead keys from the check above."""
    text = sources()
    for prefix in catalogue.dynamic_prefixes:
        built = re.search(rf"""f["']{re.escape(prefix)}\{{|["']{re.escape(prefix)}["']\s*[+~]""", text)  # ~: Jinja
        assert built, (catalogue.name, prefix, "no f-string or concatenation builds keys under this prefix")
        assert any(key.startswith(prefix) for key in catalogue), (catalogue.name, prefix, "no key under it")
