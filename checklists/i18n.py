"""The one way Inspector says things in two languages: a `Catalogue` of (中文, English) messages.

Every module with user-facing text (checklist errors, the store's notices, the sync messages, HQ's refusals, the
TUI, the reports, the command help) keeps its words in a `Catalogue`, called the same way everywhere:
`catalogue(key, lang, **values)`. Chinese is the default language; English is asked for with `lang="en"`.

It lives here, at the bottom of the layering, because every layer above uses it and `checklists` imports nothing
of the app. Each catalogue registers itself in `CATALOGUES`, so one test can check all of them: each key in both
languages, the same placeholders in both, no key that nothing asks for.

English counts are worded by `Plural` ("1 problem", "3 problems"); Chinese needs no plural.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

LANGS = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Plural:
    """English wording that depends on a count: `one` when `values[count] == 1`, `other` otherwise."""

    one: str
    other: str
    count: str = "n"

    def choose(self, values: Mapping[str, object]) -> str:
        return self.one if values.get(self.count) == 1 else self.other


English = str | Plural
Entry = tuple[str, English]


def pick(pair: tuple[str, str], lang: str) -> str:
    """The (Chinese, English) pair's text in `lang`: English only when asked for, Chinese otherwise.

    For pairs that are data rather than messages (a checklist item's title in both languages, a state's label)."""
    return pair[1] if lang == "en" else pair[0]


def placeholders(text: str) -> set[str]:
    """The `{names}` a message fills in."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Catalogue:
    """A named set of messages, each in Chinese and English.

    Calling it gives the message in a language with its `{names}` filled in. An unknown key shows itself, so a
    slip is easy to spot on screen; the catalogue test makes sure none ships.
    """

    def __init__(self, name: str, messages: Mapping[str, Entry], *, prefixes: tuple[str, ...] = ()) -> None:
        self.name = name
        self._messages: dict[str, Entry] = dict(messages)
        # Key prefixes the code completes at run time (`f"verdict.{value}"`): the unused-key check counts every key
        # under them as used.
        self.dynamic_prefixes = prefixes
        CATALOGUES.append(self)

    def __call__(self, key: str, lang: str = "zh", /, **values: object) -> str:
        entry = self._messages.get(key)
        if entry is None:
            return key
        zh, en = entry
        english = en.choose(values) if isinstance(en, Plural) else en
        text = english if lang == "en" else zh
        return text.format(**values) if values else text

    def update(self, messages: Mapping[str, Entry]) -> None:
        self._messages.update(messages)

    def __contains__(self, key: object) -> bool:
        return key in self._messages

    def __iter__(self) -> Iterator[str]:
        return iter(self._messages)

    def __len__(self) -> int:
        return len(self._messages)

    def entry(self, key: str) -> Entry:
        return self._messages[key]

    def texts(self, key: str) -> tuple[str, ...]:
        """Every wording of a key: the Chinese, then the English (both forms of a plural)."""
        zh, en = self._messages[key]
        return (zh, en.one, en.other) if isinstance(en, Plural) else (zh, en)

    def __repr__(self) -> str:
        return f"Catalogue({self.name!r}, {len(self)} messages)"


CATALOGUES: list[Catalogue] = []
