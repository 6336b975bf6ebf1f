"""The checklist schema: what a checklist file may say, checked by pydantic.

A checklist is the official evaluation table for one kind of site (楼院, 背街小巷 ...): sections of items, each
item with its stable code, the official wording (条文), what to look at (查什么), exemptions that do not count as
failures, quick-pick problem phrases, a default severity, an evidence rule and an optional 数字城管 code.
Shared modules (the 公共场所 general items) are written once and included by several checklists.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ITEM_CODE_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"


class Severity(StrEnum):
    MINOR = "minor"  # 一般
    MAJOR = "major"  # 严重

    @classmethod
    def _missing_(cls, value: object) -> Severity | None:
        # Checklists are written in Chinese: accept the words inspectors use.
        return {"一般": cls.MINOR, "严重": cls.MAJOR}.get(str(value))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class EvidenceRule(Strict):
    """What a 不符合 must carry before the inspection can be submitted."""

    note_required: bool = True
    min_photos: int = Field(default=0, ge=0, le=10)


class Item(Strict):
    code: str = Field(pattern=ITEM_CODE_PATTERN)
    title: str = Field(min_length=1)  # a short name for lists
    text: str = Field(min_length=1)  # 条文: the official wording, verbatim where the source gives it
    look_for: str = ""  # 查什么
    exemptions: list[str] = Field(default_factory=list)  # 不算问题的情形
    quick_picks: list[str] = Field(default_factory=list)  # 常见问题, picked by number
    severity: Severity = Severity.MINOR
    evidence: EvidenceRule = Field(default_factory=EvidenceRule)
    cg_code: str | None = Field(default=None, pattern=r"^\d{2,8}$")  # 数字城管 event code
    source: str = ""

    @field_validator("quick_picks", "exemptions")
    @classmethod
    def _no_blank_phrases(cls, phrases: list[str]) -> list[str]:
        if any(not p.strip() for p in phrases):
            raise ValueError("phrases must not be empty")
        return phrases


class Section(Strict):
    """A group of items; `include` pulls in a shared module's items instead of (or after) listing them."""

    title: str = Field(min_length=1)
    title_en: str = ""
    include: str | None = None
    items: list[Item] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Section:
        if not self.items and not self.include:
            raise ValueError(f"section {self.title!r} has no items and includes no module")
        return self


class Module(Strict):
    """A block of items shared by several checklists, such as the 公共场所 general items."""

    module: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    source: str = ""
    items: list[Item] = Field(min_length=1)


class Checklist(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    title_en: str = ""
    site_type: str = Field(min_length=1)
    source: str = ""
    sections: list[Section] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # `version: 2026.1` in YAML is a float; a version is a label, never a number.
        return str(value) if isinstance(value, int | float) else value

    @property
    def items(self) -> list[Item]:
        """Every item in walk order. Only meaningful once includes are resolved (see loader)."""
        return [item for section in self.sections for item in section.items]

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    @property
    def key(self) -> str:
        """The pinned identity an inspection records: id and version together."""
        return f"{self.id}@{self.version}"
