"""Pydantic's validation errors in the author's words, each on the line of the field it is about.

Pydantic reports a location (`sections`, 0, `items`, 1, `text`) and an English message meant for programmers.
Each error type a checklist can hit gets its own wording from the catalogue (the field path, the value and its
YAML type, a "did you mean" for a misspelt field); its location is walked back to the nearest YAML node's line.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError
from yaml.nodes import Node

from checklists.messages import MESSAGES, ChecklistError, describe
from checklists.schema import EvidenceRule, Item, Section
from checklists.yaml_lines import Parsed, line_of, non_text_key_line

__all__ = ["validate"]


def _field_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top)"


def _model_at(top: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """Which schema model a location sits in, to list its fields when a field is unknown."""
    model: type[BaseModel] | None = top
    nested: dict[str, type[BaseModel]] = {"sections": Section, "items": Item, "evidence": EvidenceRule}
    for part in loc:
        if isinstance(part, str):
            model = nested.get(part)
    return model


def _value_at(data: Any, loc: Sequence[int | str]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _schema_message(error: Any, top: type[BaseModel], data: Any, lang: str) -> str:
    kind: str = error["type"]
    loc: tuple[int | str, ...] = tuple(error["loc"])
    name = str(loc[-1]) if loc else ""
    where = _field_path(loc)
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return MESSAGES("missing", lang, field=where)
    if kind == "invalid_key":  # `1:`, `true:` or `~:` where a field name belongs
        if len(loc) == 1:
            return MESSAGES("non_text_key_top", lang, actual=describe(value, lang))
        return MESSAGES("non_text_key", lang, field=_field_path(loc[:-1]), actual=describe(value, lang))
    if kind == "extra_forbidden":
        model = _model_at(top, loc[:-1])
        allowed = list(model.model_fields) if model else []
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        if close:
            hint = MESSAGES("extra_hint_close", lang, close=close[0])
        else:
            hint = MESSAGES("extra_hint_allowed", lang, allowed=", ".join(allowed)) if allowed else ""
        return MESSAGES("extra", lang, field=where, hint=hint)
    if kind == "string_type":
        quote = MESSAGES("quote_hint", lang) if isinstance(value, int | float | bool | date) else ""
        return MESSAGES("want_text", lang, field=where, actual=describe(value, lang), quote=quote)
    if kind == "list_type":
        return MESSAGES("want_list", lang, field=where, actual=describe(value, lang))
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return MESSAGES("want_mapping", lang, field=where, actual=describe(value, lang))
    if kind in ("bool_type", "bool_parsing"):
        return MESSAGES("want_bool", lang, field=where, actual=describe(value, lang))
    if kind in ("int_type", "int_parsing", "int_from_float", "finite_number"):
        return MESSAGES("want_int", lang, field=where, actual=describe(value, lang))
    if kind == "string_too_short":
        return MESSAGES("empty_text", lang, field=where)
    if kind == "too_short":
        return MESSAGES("too_few", lang, field=where, n=ctx.get("min_length", 1))
    if kind == "greater_than_equal":
        return MESSAGES("too_small", lang, field=where, bound=ctx.get("ge"), value=value)
    if kind == "less_than_equal":
        return MESSAGES("too_large", lang, field=where, bound=ctx.get("le"), value=value)
    if kind == "string_pattern_mismatch":
        key = {"code": "bad_code", "id": "bad_id", "module": "bad_id", "cg_code": "bad_cg_code"}.get(
            name, "bad_pattern"
        )
        return MESSAGES(key, lang, field=where, value=value)
    if kind == "enum" and name == "severity":
        return MESSAGES("bad_severity", lang, field=where, value=value)
    if kind == "value_error" and name in ("quick_picks", "exemptions"):
        return MESSAGES("blank_phrase", lang, field=where)
    if kind == "value_error" and len(loc) == 2 and loc[0] == "sections":
        title = _value_at(data, (*loc, "title"))
        return MESSAGES("empty_section", lang, field=where, title=title if isinstance(title, str) else "?")
    return MESSAGES("other", lang, field=where, detail=error.get("msg", kind))


def _line(root: Node, error: Any) -> int:
    loc: tuple[int | str, ...] = tuple(error["loc"])
    if error["type"] == "invalid_key" and loc:
        return non_text_key_line(root, loc[:-1], error.get("input"))
    return line_of(root, loc)


def validate(model: type[BaseModel], parsed: Parsed, shown: str, lang: str) -> tuple[Any, list[ChecklistError]]:
    """The parsed data as `model`, or None and one error per problem pydantic found, each with its line."""
    assert parsed.root is not None
    try:
        return model.model_validate(parsed.data), []
    except ValidationError as exc:
        errors = [
            ChecklistError(shown, _line(parsed.root, e), _schema_message(e, model, parsed.data, lang))
            for e in exc.errors(include_url=False)
        ]
        return None, errors
