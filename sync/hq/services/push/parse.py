"""Parsing a push: the request body into items, each record checked against its model.

The envelope is decoded with msgspec when it can (fast; fastcheck.py mirrors the pydantic models), else by
pydantic, which names the fields at fault. A bad envelope refuses the whole request; a bad record is only its
item's rejection.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inspector.core.records import Inspection, InspectionStatus, Problem, ProblemEvent
from sync.hq.db import sha256_text
from sync.hq.services.errors import HqError, Kind, summarize, validation_details
from sync.hq.services.messages import REASONS
from sync.hq.services.push import fastcheck
from sync.protocol import MAX_BATCH_ITEMS, RECORD_MODELS, SERVER_FIELDS, Id, WireInspection

RecordKind = Literal["inspection", "problem", "event"]


@dataclass
class ParsedItem:
    kind: RecordKind
    id: str
    rev: str
    base_rev: str | None
    text: str  # the record's JSON as HQ stores it: as sent, unless it carried fields HQ sets itself
    sha: str  # sha256 of the text as sent: the idempotency check compares exactly what the device sent
    record: InspectionFacts | Problem | ProblemEvent | None = None  # None until validated, or `error` says why
    error: str | None = None


@dataclass(frozen=True)
class InspectionFacts:
    """What HQ needs to decide on an inspection; the record itself is stored as the text that was sent."""

    id: str
    status: InspectionStatus
    site_id: str
    supersedes: str | None
    photos: tuple[str, ...]
    demo: bool = False  # walked at a demo site: refused

    @classmethod
    def of(cls, inspection: Inspection) -> InspectionFacts:
        photos = tuple(p for r in inspection.results.values() for p in r.photos)
        return cls(inspection.id, inspection.status, inspection.site_id, inspection.supersedes, photos, inspection.demo)

    @classmethod
    def of_fast(cls, decoded: Any) -> InspectionFacts:
        def field(name: str) -> Any:
            return fastcheck.value(decoded, Inspection, name)

        photos: list[str] = []
        for result in field("results").values():
            if result.photos is not msgspec.UNSET:
                photos.extend(result.photos)
        demo = field("demo")
        return cls(field("id"), field("status"), field("site_id"), field("supersedes"), tuple(photos), demo is True)


# Inspections are the bulk of every push (10,000 item results in a big one): they get msgspec's fast check first.
# The wire model, not the record: its key fields refuse what HQ cannot store (a NUL), and so does the mirror.
_FAST_INSPECTION = fastcheck.mirror(WireInspection, SERVER_FIELDS["inspection"])


class FlatItem(BaseModel):
    """A push item as HQ reads it: the three item models with `kind` as a plain choice and `data` left unchecked
    (they differ in nothing else; a test checks). Each record is checked afterwards, alone: a bad record is that
    item's rejection, not the batch's. msgspec mirrors this model and keeps `data` as its raw bytes."""

    model_config = ConfigDict(extra="forbid")
    kind: RecordKind
    id: Id
    rev: Id
    base_rev: Id | None = None
    data: Any


class FlatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    batch_id: Id
    items: list[FlatItem] = Field(max_length=MAX_BATCH_ITEMS)


_FAST_ENVELOPE = fastcheck.mirror(FlatRequest)


def parse_push(body: bytes) -> tuple[str, list[ParsedItem]]:
    """The batch id and its items, records not yet validated. A faulty envelope is an INVALID HqError naming fields."""
    if _FAST_ENVELOPE is not None:
        try:
            fast = _FAST_ENVELOPE.decode(body)
        except msgspec.MsgspecError:
            pass  # pydantic decides, and names the fields at fault
        else:
            items = []
            for i in fast.items:
                raw = bytes(i.data)  # the record exactly as the device encoded it
                base_rev = fastcheck.value(i, FlatItem, "base_rev")
                items.append(ParsedItem(i.kind, i.id, i.rev, base_rev, raw.decode("utf-8"), _sha_bytes(raw)))
            return fast.batch_id, items
    try:
        request = FlatRequest.model_validate_json(body)
    except ValidationError as exc:
        details = validation_details(exc.errors())
        raise HqError(
            Kind.INVALID, "invalid_request", key="push_invalid", details=details, summary=summarize(details)
        ) from None
    parsed = []
    for item in request.items:  # (only when msgspec refused what pydantic accepts: re-encoded, then hashed)
        text = json.dumps(item.data, ensure_ascii=False, separators=(",", ":"))
        parsed.append(ParsedItem(item.kind, item.id, item.rev, item.base_rev, text, sha256_text(text)))
    return request.batch_id, parsed


def validate_item(item: ParsedItem, lang: str) -> None:
    """Check the record text against its model; a bad record is this item's fault alone (rejected with the paths)."""
    if item.kind == "inspection" and _FAST_INSPECTION is not None:
        try:
            item.record = InspectionFacts.of_fast(_FAST_INSPECTION.decode(item.text))
            return
        except msgspec.MsgspecError:
            pass  # not necessarily invalid: pydantic is more lenient in places, and it words the reason
    try:
        record = RECORD_MODELS[item.kind].model_validate_json(item.text)
    except ValidationError as exc:
        detail = summarize(validation_details([{**e, "loc": ("data", *e["loc"])} for e in exc.errors()]))
        item.error = REASONS("invalid_record", lang, detail=detail)
        return
    if SERVER_FIELDS[item.kind] & record.model_fields_set:  # sent what HQ sets: store it without those
        item.text = record.model_dump_json(exclude=set(SERVER_FIELDS[item.kind]))
    item.record = InspectionFacts.of(record) if isinstance(record, Inspection) else record


def _sha_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
