"""The records the field app creates and syncs with HQ: sites, inspections, problems and their events.

Every record carries its own sync state (`SyncMeta`), so a change can never be saved without also being marked
as unsynced: the two live in one document, written in one atomic save.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from checklists.schema import Severity
from inspector.core.ids import new_id, utcnow

__all__ = [
    "Assignment",
    "Attachment",
    "DeadlineKind",
    "DeadlineRule",
    "EventKind",
    "Inspection",
    "InspectionStatus",
    "ItemResult",
    "Problem",
    "ProblemEvent",
    "Severity",
    "Site",
    "SyncMeta",
    "SyncState",
    "Verdict",
]

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Record(BaseModel):
    """Base for stored records: unknown fields are refused, so a typo in a file is reported, not ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, defer_build=True)


class Verdict(StrEnum):
    PASS = "pass"  # 符合
    FAIL = "fail"  # 不符合
    NA = "na"  # 不适用


class SyncState(StrEnum):
    DIRTY = "dirty"  # changed on this device, not yet accepted by HQ
    SYNCED = "synced"  # HQ holds exactly this rev
    CONFLICT = "conflict"  # HQ kept it but flagged it for a reviewer
    REJECTED = "rejected"  # HQ refused it for good; shown to the user with the reason, never retried


class SyncMeta(Record):
    """Where a record stands with HQ. `rev` changes on every local save; (id, rev) is the idempotency key."""

    state: SyncState = SyncState.DIRTY
    rev: str = Field(default_factory=new_id)
    base_rev: str | None = None
    server_version: int | None = None
    message: str | None = None  # the server's reason for a conflict or a rejection

    def touch(self) -> None:
        """Mark a new local version: a fresh rev based on the last one HQ acknowledged."""
        if self.state is SyncState.SYNCED:
            self.base_rev = self.rev
        self.rev = new_id()
        self.state = SyncState.DIRTY
        self.message = None


class Site(Record):
    """A 测评点位. Reference data: owned by HQ, pulled by devices; the demo sites ship with the app."""

    id: str
    name: str = Field(min_length=1)
    site_type: str = Field(min_length=1)  # 楼院, 背街小巷, 公共广场 ... (matches a checklist's site_type)
    district: str = ""  # 区/县
    street: str = ""  # 街道/镇
    community: str = ""  # 社区
    grid: str = ""  # 网格
    address: str = ""
    responsible_unit: str = ""  # 责任单位
    checklist_id: str | None = None  # the checklist to walk; None means the one for site_type
    server_version: int | None = None
    demo: bool = False  # one of the app's demo sites (core/demo.py): what is recorded there never goes to HQ


class ItemResult(Record):
    """The answer to one checklist item. A failure carries its evidence."""

    code: str
    verdict: Verdict | None = None
    severity: Severity | None = None
    quick_picks: list[str] = Field(default_factory=list)  # the chosen common-problem phrases, verbatim
    note: str = ""
    photos: list[Sha256] = Field(default_factory=list)  # what HQ holds and shows: each photo's upload copy
    photo_originals: dict[Sha256, Sha256] = Field(default_factory=dict)  # upload copy → the original it was made from
    exemption: str | None = None  # an exemption that applied: recorded, and the item counts as 符合
    answered_at: datetime | None = None
    fixed_on_spot: bool = False  # 当场整改 (立行立改 on the spot): the problem goes straight to 待销号 on submit
    after_photos: list[Sha256] = Field(default_factory=list)  # 整改后照片 of a 当场整改

    @property
    def description(self) -> str:
        """The failure's wording for the ledger: picked phrases, then the inspector's own note."""
        parts = [*self.quick_picks, self.note.strip()]
        return "；".join(p for p in parts if p)


class InspectionStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Inspection(Record):
    """One walk of one checklist at one site. Immutable once submitted; a correction supersedes it."""

    id: str = Field(default_factory=new_id)
    site_id: str
    checklist_id: str
    checklist_version: str
    inspector: str = ""
    device_id: str = ""
    status: InspectionStatus = InspectionStatus.DRAFT
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    submitted_at: datetime | None = None
    results: dict[str, ItemResult] = Field(default_factory=dict)  # by item code
    current_code: str | None = None  # where the walk stands, so a draft resumes exactly there
    supersedes: str | None = None
    batch: str = ""  # 检查批次, e.g. "2026 第 9 期督查"
    demo: bool = False  # walked at a demo site: HQ refuses it, the device sends it no more
    sync: SyncMeta = Field(default_factory=SyncMeta)

    @property
    def is_submitted(self) -> bool:
        return self.status is InspectionStatus.SUBMITTED


class DeadlineKind(StrEnum):
    IMMEDIATE = "immediate"  # 立行立改: due the day it is assigned
    DAYS = "days"  # N 天 (calendar days)
    WORKDAYS = "workdays"  # N 个工作日 (China's official calendar: holidays and 调休 counted, see workdays.py)


class DeadlineRule(Record):
    kind: DeadlineKind = DeadlineKind.DAYS
    n: int = Field(default=3, ge=0, le=365)


class EventKind(StrEnum):
    REGISTER = "register"  # 登记
    ASSIGN = "assign"  # 交办 (unit and deadline)
    START = "start"  # 整改中
    SUBMIT_FIX = "submit_fix"  # 提交整改 → 待复查
    REVIEW_PASS = "review_pass"  # 复查通过 → 待销号
    REVIEW_FAIL = "review_fail"  # 复查不通过 → 整改中
    CLOSE = "close"  # 销号
    VOID = "void"  # 作废
    SHELVE = "shelve"  # 挂账
    REOPEN = "reopen"  # 反弹
    NOTE = "note"  # 跟进记录 (no state change)


class ProblemEvent(Record):
    """One append-only step in a problem's life. Events never conflict; the state is their fold."""

    id: str = Field(default_factory=new_id)
    problem_id: str
    kind: EventKind
    actor: str = ""
    device_id: str = ""
    device_time: datetime = Field(default_factory=utcnow)
    server_order: int | None = None  # HQ's sequence: the fold follows it, never device clocks
    note: str = ""
    photos: list[Sha256] = Field(default_factory=list)  # upload copies, as on ItemResult
    photo_originals: dict[Sha256, Sha256] = Field(default_factory=dict)  # upload copy → its original (kept here)
    responsible_unit: str | None = None  # set by 交办
    deadline: DeadlineRule | None = None  # set by 交办
    conflict: str | None = None  # set by HQ when this event arrived after it had become illegal
    sync: SyncMeta = Field(default_factory=SyncMeta)


class Problem(Record):
    """A failure that must be fixed: born from a 不符合 on submit, followed until 销号."""

    id: str = Field(default_factory=new_id)
    inspection_id: str
    site_id: str
    item_code: str
    item_text: str
    description: str = Field(min_length=1)
    severity: Severity = Severity.MINOR
    photos: list[Sha256] = Field(default_factory=list)  # before-photos (整改前)
    responsible_unit: str = ""
    deadline: DeadlineRule = Field(default_factory=DeadlineRule)
    found_at: datetime = Field(default_factory=utcnow)
    found_by: str = ""
    cg_code: str | None = None  # 数字城管 event code, from the checklist item
    events: list[ProblemEvent] = Field(default_factory=list)
    demo: bool = False  # found at a demo site (its inspection's marker): HQ refuses it
    sync: SyncMeta = Field(default_factory=SyncMeta)

    @field_validator("description")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a problem needs a description")
        return value


class Attachment(Record):
    """A photo stored once by its sha256 under the data dir; records refer to the hash.

    A photo the inspector attaches is kept twice: the original (`upload_copy` names its copy; it stays on the
    laptop) and the copy HQ gets (`original` names where it came from; records name the copy)."""

    sha256: Sha256
    size: int = Field(ge=0)
    mime: str
    filename: str = ""  # the name it had when attached, for people
    added_at: datetime = Field(default_factory=utcnow)
    uploaded: bool = False
    rejected: str | None = None  # HQ's reason for refusing the photo for good: it is not sent again
    original: Sha256 | None = None  # on an upload copy: the original photo it was made from
    upload_copy: Sha256 | None = None  # on an original: the copy that goes to HQ in its place (it is not sent)


class Assignment(Record):
    """Which inspector covers which site in which round (检查批次). Reference data: owned by HQ, pulled by devices.

    It travels as is in a pull; the store keeps only the active ones (HQ ends one by sending `active: false`).
    """

    id: str
    user: str
    site_id: str
    batch: str = ""  # 检查批次, e.g. "2026 第 9 期督查"; "" when HQ gave none
    active: bool = True
    server_version: int | None = None
