"""Finding sites as inspectors type: Chinese, full pinyin or pinyin initials (`lmxq`, `limin` → 利民小区).

pypinyin loads a large dictionary, so keys are built on first use, never at start-up.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def search_keys(text: str) -> tuple[str, str, str]:
    """The text itself (lowercased), its full pinyin run together, and its pinyin initials."""
    from pypinyin import lazy_pinyin

    syllables = [s.lower() for s in lazy_pinyin(text, errors="default")]
    initials = "".join(s[0] for s in syllables if s)
    return text.lower(), "".join(syllables).replace(" ", ""), initials


def matches(query: str, *texts: str) -> bool:
    """True when every word of the query is found in one of the texts, by characters or by pinyin."""
    words = query.lower().split()
    if not words:
        return True
    keys = [search_keys(t) for t in texts if t]
    return all(any(word in key for entry in keys for key in entry) for word in words)
