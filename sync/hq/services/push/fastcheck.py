"""A fast first check of pushed records with msgspec, generated from the pydantic models (records.py stays the one
schema). Validating JSON is most of what a big push costs HQ; msgspec does it several times faster than pydantic.

It is used only to *accept*. The mirror is built from the pydantic model's own fields, types and constraints, and
only when every one of them translates (a model with custom validators, an alias, or a constraint this module does
not know gets no mirror). msgspec is stricter where the two differ (no lax coercion of "3" to 3, no enum aliases
such as 严重 for major), never looser; so what it accepts, pydantic accepts too. Whatever it refuses goes to pydantic,
which decides and words the reason.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import msgspec
from pydantic import BaseModel
from pydantic.fields import FieldInfo

__all__ = ["Unsupported", "mirror"]


class Unsupported(Exception):
    """The model uses something this mirror does not translate exactly: use pydantic for it."""


_CONSTRAINTS = {
    annotated_types.MinLen: ("min_length", "min_length"),
    annotated_types.MaxLen: ("max_length", "max_length"),
    annotated_types.Ge: ("ge", "ge"),
    annotated_types.Le: ("le", "le"),
    annotated_types.Gt: ("gt", "gt"),
    annotated_types.Lt: ("lt", "lt"),
}
_SCALARS = (str, int, float, bool, dt.datetime, dt.date)


def _meta(metadata: list[Any]) -> dict[str, Any]:
    """msgspec.Meta arguments for pydantic's constraint objects; anything unknown makes the model unsupported."""
    out: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            out.update(_meta(list(item.metadata)))
            continue
        rule = _CONSTRAINTS.get(type(item))
        if rule is not None:
            out[rule[1]] = getattr(item, rule[0])
            continue
        pattern = getattr(item, "pattern", None)
        if type(item).__name__ == "_PydanticGeneralMetadata" and isinstance(pattern, str):
            extra = {k: v for k, v in vars(item).items() if k != "pattern"}
            if extra:
                raise Unsupported(f"constraint {item!r}")
            out["pattern"] = pattern
            continue
        raise Unsupported(f"constraint {item!r}")
    return out


def _translate(tp: Any, metadata: list[Any], seen: dict[type[BaseModel], Any]) -> Any:
    if tp is Any and not metadata:
        return msgspec.Raw  # any JSON value, kept as its bytes (pydantic's Any accepts any JSON value too)
    origin = get_origin(tp)
    if origin is Annotated:
        base, *extras = get_args(tp)
        return _translate(base, [*metadata, *extras], seen)
    if tp is type(None):
        return None
    if origin in (Union, types.UnionType):
        if metadata:
            raise Unsupported("constraint on a union")
        members = tuple(_translate(arg, [], seen) for arg in get_args(tp))
        return Union[members]  # noqa: UP007 - built from a runtime tuple
    if origin is Literal:
        return tp
    if origin is list:
        (item,) = get_args(tp)
        inner = _translate(item, [], seen)
        return Annotated[list[inner], msgspec.Meta(**_meta(metadata))] if metadata else list[inner]  # type: ignore[valid-type]
    if origin is dict:
        key, value = get_args(tp)
        if metadata or not (key is str or (get_origin(key) is Annotated and get_args(key)[0] is str)):
            raise Unsupported("dict key or constraint")
        return dict[_translate(key, [], seen), _translate(value, [], seen)]  # type: ignore[misc]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if metadata:
            raise Unsupported("constraint on an enum")
        return tp
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if metadata:
            raise Unsupported("constraint on a model")
        return _struct(tp, frozenset(), seen)
    if tp in _SCALARS:
        return Annotated[tp, msgspec.Meta(**_meta(metadata))] if metadata else tp
    raise Unsupported(f"type {tp!r}")


def _struct(model: type[BaseModel], exclude: frozenset[str], seen: dict[type[BaseModel], Any]) -> Any:
    if model in seen and not exclude:
        return seen[model]
    decorators = model.__pydantic_decorators__
    if decorators.validators or decorators.field_validators or decorators.root_validators:
        raise Unsupported(f"{model.__name__} has custom validators")
    if decorators.model_validators:
        raise Unsupported(f"{model.__name__} has model validators")
    if model.model_config.get("extra") != "forbid" or model.model_config.get("populate_by_name"):
        raise Unsupported(f"{model.__name__}: only extra='forbid' models are mirrored")
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for name, info in model.model_fields.items():
        if name in exclude:
            continue  # a mirror without it refuses it; pydantic then takes the record
        if info.alias not in (None, name) or info.validation_alias is not None:
            raise Unsupported(f"{model.__name__}.{name} has an alias")
        kind = _translate(info.annotation, list(info.metadata), seen)
        if info.is_required():
            fields.append((name, kind))
        else:
            fields.append((name, kind | msgspec.UnsetType, msgspec.UNSET))
    # gc=False: these hold only JSON values, never cycles; untracked, 10,000 of them do not wake the collector.
    struct = msgspec.defstruct(f"Fast{model.__name__}", fields, kw_only=True, forbid_unknown_fields=True, gc=False)
    if not exclude:
        seen[model] = struct
    return struct


def mirror(model: type[BaseModel], exclude: frozenset[str] = frozenset()) -> msgspec.json.Decoder[Any] | None:
    """A decoder that accepts only JSON the model accepts (without the `exclude` fields), or None when the model
    cannot be mirrored exactly."""
    try:
        return msgspec.json.Decoder(_struct(model, exclude, {}))
    except Unsupported:
        return None


def value(decoded: Any, model: type[BaseModel], name: str) -> Any:
    """A field of a decoded struct, with the pydantic default where the JSON left it out."""
    got = getattr(decoded, name)
    if got is msgspec.UNSET:
        return model.model_fields[name].get_default(call_default_factory=True)
    return got
