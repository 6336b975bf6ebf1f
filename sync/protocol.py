"""The wire between a laptop and HQ: one set of pydantic models both ends import.

Every request carries `X-Inspector-Protocol: PROTOCOL_VERSION`; a mismatch gets 426 with a clear message instead of
a half-understood exchange. Every response carries `server_time` (body and `X-Server-Time` header) so a device can
notice that its clock is wrong.

Records travel whole. A push item names its record by (kind, id, rev); `data` is the record without its local
sync state (a problem also without its events, which are pushed as their own append-only items; an event without
the fields HQ sets). HQ validates each record, hashes the exact bytes of its `data` for the idempotency check and
stores those bytes as sent: a retried push is recognised byte for byte, never through a re-encoding that could
change with a library upgrade, and HQ does not pay for encoding every record a second time.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from checklists.schema import Checklist
from inspector.core.images import IMAGE_TYPES
from inspector.core.records import Assignment, Inspection, ItemResult, Problem, ProblemEvent, Site, SyncMeta
from sync.roles import Role

__all__ = [
    "ATTACHMENT_SHA_HEADER",
    "ATTACHMENT_TYPES",
    "ERROR_CODE_HEADER",
    "ITEM_MODELS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_BATCH_ITEMS",
    "MAX_PUSH_BYTES",
    "NO_NUL",
    "PROTOCOL_HEADER",
    "PROTOCOL_VERSION",
    "RECORD_MODELS",
    "SERVER_FIELDS",
    "SERVER_TIME_HEADER",
    "AssignmentIn",
    "AssignmentsUpload",
    "AttachmentResult",
    "ChecklistsUpload",
    "EnrollRequest",
    "EnrollResponse",
    "ErrorResponse",
    "EventItem",
    "InspectionItem",
    "ItemStatus",
    "ProblemItem",
    "PullResponse",
    "PushItem",
    "PushRequest",
    "PushResponse",
    "PushResult",
    "ReferenceResult",
    "Role",
    "SitesUpload",
    "Text",
    "WireChecklist",
    "WireSite",
]

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-Inspector-Protocol"
SERVER_TIME_HEADER = "X-Server-Time"
# On an answer about a photo: the sha256 HQ holds the bytes of. A HEAD or PUT answer counts as "HQ has it" only
# with this header and the protocol header, so a captive portal's blanket 200 is never taken for HQ's word.
ATTACHMENT_SHA_HEADER = "X-Inspector-Sha256"
# On every error answer: the error code of the body, for answers that have no body (HEAD).
ERROR_CODE_HEADER = "X-Inspector-Error"

MAX_BATCH_ITEMS = 500
MAX_PUSH_BYTES = 8 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ATTACHMENT_TYPES = tuple(IMAGE_TYPES)  # the photo types HQ accepts: the ones the laptop does

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]

# Text HQ can store: PostgreSQL's text columns cannot hold NUL (U+0000), so a field that may reach a column or a
# query refuses it with a 422 (or, inside a pushed record, that item's rejection) naming the field, on both
# databases alike. A pattern rather than a validator: it shows in /openapi.json and the push fast check (msgspec)
# applies it too. Free text that HQ only keeps inside a record's JSON (a note) stays plain `str`: a NUL there is
# stored escaped, and syncs.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, Field(pattern=NO_NUL)]


def _nul_path(value: object, path: str) -> str | None:
    """Where the first NUL is in a validated value (`sections.0.items.2.title`), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, BaseModel):
        items: Any = ((name, getattr(value, name)) for name in type(value).model_fields)
    elif isinstance(value, dict):
        items = ((k, v) for pair in value.items() for k, v in (("(key)", pair[0]), pair))
    elif isinstance(value, list | tuple | set | frozenset):
        items = enumerate(value)
    else:
        return None
    for name, inner in items:
        found = _nul_path(inner, f"{path}.{name}" if path else str(name))
        if found is not None:
            return found
    return None


def _refuse_nul(value: Any) -> Any:
    found = _nul_path(value, "")
    if found is not None:
        raise PydanticCustomError("nul_character", "text cannot contain a NUL character (at {at})", {"at": found})
    return value


# The same rule for a whole nested model (a checklist): every string in it, wherever it sits.
NulFree = AfterValidator(_refuse_nul)


class Wire(BaseModel):
    """Unknown fields are refused: a typo in a request is answered, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ItemStatus(StrEnum):
    APPLIED = "applied"  # stored now
    DUPLICATE = "duplicate"  # this exact (id, rev) was stored before: nothing changed
    CONFLICT = "conflict"  # kept, but flagged for a reviewer (message says why)
    REJECTED = "rejected"  # refused for good (message says why); resending will not help


# --- enrollment -------------------------------------------------------------------------------------------------


class EnrollRequest(Wire):
    code: Text = Field(min_length=1, max_length=64)
    device_name: Text = Field(default="", max_length=200)
    app_version: Text = Field(default="", max_length=50)


class EnrollResponse(Wire):
    server_time: datetime
    device_id: str
    token: str  # shown once; HQ keeps only its sha256
    user: str
    role: Role


# --- push -------------------------------------------------------------------------------------------------------


class _ItemBase(Wire):
    id: Id
    rev: Id
    base_rev: Id | None = None


# Pushed records: the fields HQ keeps in columns or queries on (ids, sites, codes, people) are `Id` / `Text`; a
# NUL there rejects the item, naming the field. Free text (notes, descriptions) is kept inside the record's JSON.


class WireItemResult(ItemResult):
    code: Text


class WireInspection(Inspection):
    """An Inspection as it travels in a push. Its local sync state is the device's business: HQ neither needs nor
    invents one (the record's default would mint a fresh UUID for every record validated)."""

    id: Id
    site_id: Text
    checklist_id: Text
    checklist_version: Text
    inspector: Text = ""
    device_id: Text = ""
    results: dict[Text, WireItemResult] = Field(default_factory=dict)  # type: ignore[assignment]
    current_code: Text | None = None
    supersedes: Text | None = None
    batch: Text = ""
    sync: SyncMeta | None = None  # type: ignore[assignment]


class WireProblem(Problem):
    """A Problem as it travels in a push: without its events (pushed as their own items) and sync state."""

    id: Id
    inspection_id: Text
    site_id: Text
    item_code: Text
    responsible_unit: Text = ""
    found_by: Text = ""
    cg_code: Text | None = None
    sync: SyncMeta | None = None  # type: ignore[assignment]


class WireProblemEvent(ProblemEvent):
    """A ProblemEvent as it travels in a push: HQ sets `server_order` and `conflict` itself."""

    id: Id
    problem_id: Text
    actor: Text = ""
    device_id: Text = ""
    responsible_unit: Text | None = None
    sync: SyncMeta | None = None  # type: ignore[assignment]


class InspectionItem(_ItemBase):
    kind: Literal["inspection"]
    data: WireInspection


class ProblemItem(_ItemBase):
    kind: Literal["problem"]
    data: WireProblem


class EventItem(_ItemBase):
    kind: Literal["event"]
    data: WireProblemEvent


ITEM_MODELS: dict[str, type[InspectionItem] | type[ProblemItem] | type[EventItem]] = {
    "inspection": InspectionItem,
    "problem": ProblemItem,
    "event": EventItem,
}
RECORD_MODELS: dict[str, type[Inspection] | type[Problem] | type[ProblemEvent]] = {
    "inspection": WireInspection,
    "problem": WireProblem,
    "event": WireProblemEvent,
}
# Fields a pushed record leaves out: local sync state, and what HQ itself sets or sends separately.
SERVER_FIELDS: dict[str, frozenset[str]] = {
    "inspection": frozenset({"sync"}),
    "problem": frozenset({"sync", "events"}),
    "event": frozenset({"sync", "server_order", "conflict"}),
}


PushItem = Annotated[InspectionItem | ProblemItem | EventItem, Field(discriminator="kind")]


class PushRequest(Wire):
    batch_id: Id
    items: list[PushItem] = Field(max_length=MAX_BATCH_ITEMS)


class PushResult(Wire):
    kind: str
    id: str
    rev: str
    status: ItemStatus
    state: Literal["synced", "conflict", "rejected"]  # where the record now stands at HQ (also for a duplicate)
    server_version: int | None = None
    message: str | None = None


class PushResponse(Wire):
    server_time: datetime
    results: list[PushResult]
    missing_attachments: list[str] = Field(default_factory=list)  # photos named by stored records, not yet at HQ


# --- pull -------------------------------------------------------------------------------------------------------


class PullResponse(Wire):
    server_time: datetime
    cursor: str  # give it back on the next pull; opaque to the device
    has_more: bool
    reset_required: bool = False  # the cursor is not from this server's history: pull again from the start
    sites: list[Site] = Field(default_factory=list)
    checklists: list[Checklist] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)  # with all their events in server order
    photo_gps: bool = False  # upload copies keep where a photo was taken (HQ's setting photos_keep_gps)


# --- attachments ------------------------------------------------------------------------------------------------


class AttachmentResult(Wire):
    server_time: datetime
    sha256: str
    status: Literal["stored", "exists"]


# --- reference data (admin) -------------------------------------------------------------------------------------


SiteId = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]  # named by people: generous, no NUL


class WireSite(Site):
    """A Site as an admin uploads it: every text field storable."""

    id: SiteId
    name: Text = Field(min_length=1)
    site_type: Text = Field(min_length=1)
    district: Text = ""
    street: Text = ""
    community: Text = ""
    grid: Text = ""
    address: Text = ""
    responsible_unit: Text = ""
    checklist_id: Text | None = None


# A checklist is deep (sections, items, modules): one check over every string in it, naming where the NUL is.
WireChecklist = Annotated[Checklist, NulFree]


class SitesUpload(Wire):
    sites: list[WireSite] = Field(max_length=10_000)


class ChecklistsUpload(Wire):
    checklists: list[WireChecklist] = Field(max_length=100)


class AssignmentIn(Wire):
    user: Text = Field(min_length=1, max_length=200)
    site_id: SiteId
    batch: Text = Field(default="", max_length=200)
    active: bool = True


class AssignmentsUpload(Wire):
    assignments: list[AssignmentIn] = Field(max_length=10_000)


class ReferenceResult(Wire):
    server_time: datetime
    changed: int
    unchanged: int


# --- errors -----------------------------------------------------------------------------------------------------


class ErrorResponse(Wire):
    """Every 4xx and 5xx body: a stable code for programs and a sentence for people."""

    server_time: datetime
    error: str
    message: str
    details: list[dict[str, Any]] = Field(default_factory=list)
