"""The record file format: TinyDB's tables one document per line, a CRC-32 line first, and how a file is parsed
and found damaged.

`dumps_tinydb` writes a file, `verified_body` checks its checksum, the `parse_*` functions validate a whole file
of each kind and raise `Damage` (with a reason for the recovery note) when it does not hold what its name
promises. `index_inspection` is the fast path of opening: an intact inspection file's header without the rest.
"""

from __future__ import annotations

import functools
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NotRequired

from pydantic import BaseModel, ConfigDict, StrictInt, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from checklists.schema import Checklist
from inspector.core.records import Assignment, Attachment, Inspection, ItemResult, Problem, ProblemEvent, Site
from inspector.core.store.errors import MESSAGES
from inspector.core.sync_state import SyncStatus

FORMAT_VERSION = 2
CHECKSUM_KEY = "crc32"
HEADER = 1  # the doc id of the one-document tables (meta, inspection, problem, sync)

_CHECKSUM_LINE = re.compile(rb'\{"crc32": "([0-9a-f]{8})",')


# --- writing ----------------------------------------------------------------------------------------------------

# One encoder for every document: `json.dumps` with options builds a new encoder per call, which cost as much as the
# encoding itself for these small documents.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def dumps_tinydb(data: Mapping[str, Mapping[str, Any]]) -> bytes:
    """TinyDB's layout, one document per line: readable in an editor, and fast (the C encoder, no `indent`).

    The first line carries a CRC-32 of everything after it, so opening can tell an intact file from a truncated
    or garbled one by checksum instead of by parsing it (`verified_body`):

        {"crc32": "1c291ca3",
         "meta": {
          "1": {"format_version": 2, "kind": "inspection"}
         },
         "results": {}
        }
    """
    tables = []
    for name, docs in data.items():
        lines = [f"  {json.dumps(str(doc_id))}: {_dumps(doc)}" for doc_id, doc in docs.items()]
        body = "{\n" + ",\n".join(lines) + "\n }" if lines else "{}"
        tables.append(f" {json.dumps(name, ensure_ascii=False)}: {body}")
    rest = ("\n" + ",\n".join(tables) + "\n}\n").encode("utf-8")
    return b'{"%s": "%08x",' % (CHECKSUM_KEY.encode(), zlib.crc32(rest)) + rest


def verified_body(payload: bytes) -> bytes | None:
    """What follows the checksum line (from its newline on) when the checksum matches, else None: damaged, or
    edited by hand."""
    end = payload.find(b"\n")
    match = _CHECKSUM_LINE.fullmatch(payload, 0, end) if end > 0 else None
    if match is None:
        return None
    rest = payload[end:]
    return rest if int(match[1], 16) == zlib.crc32(rest) else None


def resealed(payload: bytes) -> bytes:
    """A file that parses (its checksum failed, but its content was accepted) written again in the store's layout
    with a checksum that matches, so the next open takes it without a second note."""
    data = json.loads(payload)
    data.pop(CHECKSUM_KEY, None)
    return dumps_tinydb(data)


_SUBMITTED = re.compile(rb'"status"\s*:\s*"submitted"')


def says_submitted(payload: bytes) -> bool:
    """Whether a (perhaps damaged) inspection file still says it was submitted: its header comes before its
    results, so a truncated or garbled file usually keeps it. Used to word the note when only a draft backup
    is left."""
    return _SUBMITTED.search(payload) is not None


def meta_doc(kind: str) -> dict[str, Any]:
    """The meta table's document of a file of `kind`."""
    return {"format_version": FORMAT_VERSION, "kind": kind}


_META_LINES = {kind: json.dumps(meta_doc(kind), separators=(", ", ": ")).encode() for kind in ("inspection", "problem")}


# --- the file kinds ---------------------------------------------------------------------------------------------


class FileMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    format_version: StrictInt
    kind: str


class StoreMeta(FileMeta):
    device_id: str
    created_at: datetime


class _InspectionFile(TypedDict):
    meta: dict[str, FileMeta]
    inspection: dict[str, Inspection]
    results: dict[str, ItemResult]


class _ProblemFile(TypedDict):
    meta: dict[str, FileMeta]
    problem: dict[str, Problem]
    events: dict[str, ProblemEvent]


class _ReferenceFile(TypedDict):
    meta: dict[str, FileMeta]
    sites: dict[str, Site]
    assignments: NotRequired[dict[str, Assignment]]  # absent in files written before assignments were kept
    sync: dict[str, SyncStatus]


class _ChecklistFile(TypedDict):
    meta: dict[str, FileMeta]
    checklist: dict[str, Checklist]


class _AttachmentFile(TypedDict):
    meta: dict[str, FileMeta]
    attachment: dict[str, Attachment]


class _StoreFile(TypedDict):
    meta: dict[str, StoreMeta]


@functools.cache
def adapter(kind: Any) -> TypeAdapter[Any]:
    """A file layout's validator, built on first use: building them all at import cost every start-up ~50 ms."""
    return TypeAdapter(kind)


# --- damage -----------------------------------------------------------------------------------------------------


class Damage(Exception):
    """A file that does not hold what its name promises; `reason` says what is wrong, for the recovery note."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def validation_reason(error: ValidationError) -> str:
    """The first thing pydantic found wrong, as `where: what`."""
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def peek_format_version(payload: bytes) -> int | None:
    """store.json's format version when it is a plain integer, else None (damage, handled by the full parse)."""
    try:
        data = json.loads(payload)
        version = data["meta"]["1"]["format_version"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    return version if type(version) is int else None


def _checked(data: dict[str, Any], kind: str, tables: Iterable[str], lang: str) -> None:
    meta = data["meta"].get("1")
    if meta is None:
        raise Damage(MESSAGES("shape", lang, table="meta"))
    if meta.format_version != FORMAT_VERSION:
        raise Damage(MESSAGES("version", lang, found=meta.format_version, known=FORMAT_VERSION))
    if meta.kind != kind:
        raise Damage(MESSAGES("kind", lang, found=meta.kind, kind=kind))
    for table in tables:
        if "1" not in data[table]:
            raise Damage(MESSAGES("shape", lang, table=table))


def _validated(kind: Any, payload: bytes, lang: str) -> Any:
    if not payload.strip():
        raise Damage(MESSAGES("empty", lang))
    try:
        return adapter(kind).validate_json(payload)
    except ValidationError as error:
        raise Damage(validation_reason(error)) from None


# --- parsing whole files ----------------------------------------------------------------------------------------


def parse_store_meta(payload: bytes, lang: str) -> StoreMeta:
    data = _validated(_StoreFile, payload, lang)
    _checked(data, "store", (), lang)
    meta: StoreMeta = data["meta"]["1"]
    return meta


def parse_reference(payload: bytes, lang: str) -> tuple[dict[str, Site], dict[str, Assignment], SyncStatus]:
    data = _validated(_ReferenceFile, payload, lang)
    _checked(data, "reference", (), lang)
    sites = {site.id: site for site in data["sites"].values()}
    assignments = {a.id: a for a in data.get("assignments", {}).values()}
    return sites, assignments, data["sync"].get("1") or SyncStatus()


def parse_checklist(payload: bytes, lang: str) -> Checklist:
    data = _validated(_ChecklistFile, payload, lang)
    _checked(data, "checklist", ("checklist",), lang)
    checklist: Checklist = data["checklist"]["1"]
    return checklist


def parse_attachment(payload: bytes, lang: str) -> Attachment:
    data = _validated(_AttachmentFile, payload, lang)
    _checked(data, "attachment", ("attachment",), lang)
    attachment: Attachment = data["attachment"]["1"]
    return attachment


def parse_inspection(payload: bytes, lang: str) -> Inspection:
    """The whole file in one Rust-side parse-and-validate: header, every item result, format version."""
    data = _validated(_InspectionFile, payload, lang)
    _checked(data, "inspection", ("inspection",), lang)
    inspection: Inspection = data["inspection"]["1"]
    # The header was validated with no results and the results on their own; join them without validating twice.
    inspection.__dict__["results"] = {r.code: r for r in data["results"].values()}
    inspection.__pydantic_fields_set__.add("results")
    return inspection


def parse_problem(payload: bytes, lang: str) -> Problem:
    data = _validated(_ProblemFile, payload, lang)
    _checked(data, "problem", ("problem",), lang)
    problem: Problem = data["problem"]["1"]
    problem.__dict__["events"] = list(data["events"].values())
    problem.__pydantic_fields_set__.add("events")
    return problem


# --- the fast path of opening -----------------------------------------------------------------------------------


def _section(body: bytes, table: str) -> bytes | None:
    """A table's document lines in a checksum-verified file laid out by `dumps_tinydb`, found without parsing:
    raw newlines only separate lines there (JSON escapes them inside strings). None when the table is missing."""
    marker = b'\n "' + table.encode() + b'": {'
    start = body.find(marker)
    if start < 0:
        return None
    start += len(marker)
    if body.startswith(b"}", start):
        return b""
    end = body.find(b"\n }", start)
    return body[start + 1 : end] if end > start else None


def _single_doc(section: bytes | None) -> bytes | None:
    """The JSON of a one-document table's only document (`  "1": {...}`)."""
    if section is None or not section.startswith(b'  "1": ') or b"\n" in section:
        return None
    return section[7:]


def _indexed_header(payload: bytes, kind: str, lang: str) -> tuple[bytes, bytes] | None:
    """For an intact file (its checksum matches) of the right format version and kind, the header document's JSON
    and the verified body, found without parsing the rest. None sends the file to the full parse; a wrong version
    or kind in an intact file is damage."""
    body = verified_body(payload)
    if body is None:
        return None
    meta = _single_doc(_section(body, "meta"))
    header = _single_doc(_section(body, kind))
    if meta is None or header is None:
        return None
    if meta != _META_LINES[kind]:
        try:
            parsed = FileMeta.model_validate_json(meta)
        except ValidationError as error:
            raise Damage(validation_reason(error)) from None
        _checked({"meta": {"1": parsed}}, kind, (), lang)
    return header, body


def index_inspection(payload: bytes, lang: str) -> Inspection | None:
    """Open an inspection file for the index: checksum, version, and the header validated (results left empty, to
    be validated on first use). None when the file needs the full parse."""
    found = _indexed_header(payload, "inspection", lang)
    if found is None:
        return None
    try:
        return Inspection.model_validate_json(found[0])
    except ValidationError:
        return None
