"""Where an item's 条文 comes from, told by the tags its `source` field carries (see checklists/builtin/*.yaml):
[原文] national wording verbatim (还原: restored from a quotation), [地方] a local table's, [推断] / [实例] worded
here from what the sources imply or show. An inspector reading 条文 to a unit should know which it is."""

from __future__ import annotations

import re
from enum import StrEnum

from checklists.i18n import Catalogue

__all__ = ["PROVENANCE", "Provenance", "provenance"]


class Provenance(StrEnum):
    NATIONAL = "national"  # every tag is 原文
    MIXED = "mixed"  # 原文 with local additions
    LOCAL = "local"  # a local table's wording
    DERIVED = "derived"  # 推断 / 实例: no source gives this wording

    def label(self, lang: str = "zh") -> str:
        return PROVENANCE(f"provenance.{self.value}", lang)


PROVENANCE = Catalogue(
    "provenance",
    {
        "provenance.national": ("条文：国家测评原文", "wording: national, verbatim"),
        "provenance.mixed": ("条文：国家原文＋地方要求", "wording: national, with local additions"),
        "provenance.local": ("条文：地方标准", "wording: local standard"),
        "provenance.derived": ("条文：据资料归纳", "wording: derived from the sources"),
    },
    prefixes=("provenance.",),
)

_TAG = re.compile(r"\[([^\]]*)\]")


def provenance(source: str) -> Provenance | None:
    """The kind of wording a `source` field records; None when it records none (an HQ table without tags)."""
    tags = [tag.split("，")[0].split(",")[0].strip() for tag in _TAG.findall(source)]
    if not tags:
        return None
    if any(tag in ("推断", "实例") for tag in tags):
        return Provenance.DERIVED
    national = any(tag == "原文" for tag in tags)
    local = any(tag.startswith("地方") for tag in tags)
    if national and local:
        return Provenance.MIXED
    if national:
        return Provenance.NATIONAL
    if local:
        return Provenance.LOCAL
    return None
