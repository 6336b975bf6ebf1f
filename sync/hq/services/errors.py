"""The one error HQ's services raise: `HqError`, a refusal with a stable code, a kind and words in both languages.

Services know nothing of HTTP. The kind says what sort of refusal it is (the caller did not prove who it is, may
not do this, asked for something missing, sent something invalid, ...); each front end turns the kind into its own
answer: the device API into a status code (sync/hq/api/errors.py holds that one table), the `inspector hq`
commands into an exit code and a line on stderr. The words come from the catalogue in messages.py, rendered in the
language of whoever asked, so the error carries the catalogue key and its values, not a finished sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sync.hq.services.messages import ERRORS


class Kind(StrEnum):
    """What sort of refusal an HqError is; the front ends map these, never the codes, to their own answers."""

    INVALID = "invalid"  # the request or its data is malformed or breaks a rule
    UNAUTHORIZED = "unauthorized"  # no valid proof of who is asking (token, enrollment code)
    FORBIDDEN = "forbidden"  # known, but its role may not do this
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # clashes with what HQ already holds
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"  # a photo of a type HQ does not take
    UNAVAILABLE = "unavailable"  # HQ cannot serve right now (database busy); nothing was applied
    TOO_MANY = "too_many"  # too many attempts (wrong passwords): wait, then retry


class HqError(Exception):
    """A refusal worded for whoever asked. `code` is stable (devices and scripts branch on it); `key` names the
    message in `ERRORS` (the code unless given) and `values` fill it in; `details` lists field-level faults."""

    def __init__(
        self,
        kind: Kind,
        code: str,
        *,
        key: str | None = None,
        details: Sequence[dict[str, Any]] = (),
        **values: object,
    ) -> None:
        self.kind = kind
        self.code = code
        self.key = key or code
        self.values = values
        self.details = list(details)
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        """The message in `lang` (zh unless en)."""
        return ERRORS(self.key, lang, **self.values)


def field_path(loc: Sequence[int | str]) -> str:
    """`("body", "items", 3, "kind")` → `items.3.kind`: the path a person can find in the request."""
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "(body)"


def validation_details(errors: Sequence[Any], *, limit: int = 50) -> list[dict[str, Any]]:
    """pydantic errors as `{field, message}` pairs (inputs are left out: they may be huge or secret)."""
    return [{"field": field_path(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in list(errors)[:limit]]


def summarize(details: Sequence[dict[str, Any]], *, limit: int = 3) -> str:
    """The first few field faults on one line (pydantic words them in English; the field paths are the point)."""
    shown = "; ".join(f"{d['field']}: {d['message']}" for d in details[:limit])
    more = len(details) - limit
    return shown + (f" (and {more} more)" if more > 0 else "")
