"""The msgspec fast check may only accept what pydantic accepts: it is generated from the pydantic models, and these
tests hold it to that (by construction for the envelope, by fuzzing for inspections)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from inspector.core.records import Inspection, InspectionStatus, ItemResult, Problem, Verdict
from sync.hq.services.push import fastcheck
from sync.hq.services.push.parse import (
    _FAST_ENVELOPE,
    _FAST_INSPECTION,
    FlatItem,
    InspectionFacts,
    ParsedItem,
    validate_item,
)
from sync.protocol import ITEM_MODELS, SERVER_FIELDS, WireInspection

SHA = "a" * 64


def test_the_mirrors_exist() -> None:
    assert _FAST_INSPECTION is not None and _FAST_ENVELOPE is not None


def test_the_flat_envelope_accepts_what_the_item_models_accept() -> None:
    def shape(model: type[BaseModel]) -> tuple[dict[str, Any], set[str]]:
        schema = model.model_json_schema()
        properties = {k: v for k, v in schema["properties"].items() if k not in ("kind", "data")}
        for value in properties.values():
            value.pop("title", None)
        return properties, set(schema.get("required", []))

    flat = shape(FlatItem)
    for model in ITEM_MODELS.values():
        assert shape(model) == flat, model.__name__
    kinds = FlatItem.model_json_schema()["properties"]["kind"]["enum"]
    assert sorted(kinds) == sorted(ITEM_MODELS)


def test_models_it_cannot_mirror_exactly_get_none() -> None:
    assert fastcheck.mirror(Problem) is None  # a custom validator (the description is stripped)

    class Aliased(BaseModel):
        model_config = ConfigDict(extra="forbid")
        name: str = Field(alias="Name")

    class Lenient(BaseModel):
        name: str

    class Checked(BaseModel):
        model_config = ConfigDict(extra="forbid")
        name: str

        @field_validator("name")
        @classmethod
        def _upper(cls, value: str) -> str:
            return value.upper()

    for model in (Aliased, Lenient, Checked):
        assert fastcheck.mirror(model) is None, model.__name__


def valid_inspection() -> dict[str, Any]:
    inspection = Inspection(
        site_id="s1",
        checklist_id="residential",
        checklist_version="2026.1",
        status=InspectionStatus.SUBMITTED,
        results={
            "LY-1-1": ItemResult(code="LY-1-1", verdict=Verdict.FAIL, note="堆物", photos=[SHA]),
            "LY-1-2": ItemResult(code="LY-1-2", verdict=Verdict.PASS, answered_at=datetime(2026, 5, 1, tzinfo=UTC)),
        },
    )
    data: dict[str, Any] = json.loads(inspection.model_dump_json(exclude={"sync"}))
    return data


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 400),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "",
            "pass",
            "fail",
            "na",
            "maybe",
            "minor",
            "major",
            "严重",
            "一般",
            "3",
            "2026-05-01",
            "2026-05-01T09:30:00Z",
            "2026-05-01T09:30:00+08:00",
            "submitted",
            "draft",
            SHA,
            "A" * 64,
            "x",
        ]
    ),
    st.lists(st.sampled_from([SHA, "bad", "", 1]), max_size=3),
    st.dictionaries(st.sampled_from(["code", "verdict", "x"]), st.sampled_from(["LY-1-1", "pass", 1]), max_size=2),
)
INSPECTION_FIELDS = [*Inspection.model_fields, "extra"]
RESULT_FIELDS = [*ItemResult.model_fields, "extra"]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    top=st.dictionaries(st.sampled_from(INSPECTION_FIELDS), ODD_VALUES, max_size=3),
    inner=st.dictionaries(st.sampled_from(RESULT_FIELDS), ODD_VALUES, max_size=3),
    drop=st.sampled_from([None, "site_id", "checklist_id", "id", "status"]),
)
def test_fast_acceptance_implies_pydantic_acceptance(
    top: dict[str, Any], inner: dict[str, Any], drop: str | None
) -> None:
    data = valid_inspection()
    data.update(top)
    if isinstance(data.get("results"), dict) and "LY-1-1" in data["results"]:
        data["results"]["LY-1-1"].update(inner)
    if drop:
        data.pop(drop, None)
    text = json.dumps(data, ensure_ascii=False)
    assert _FAST_INSPECTION is not None
    try:
        fast = _FAST_INSPECTION.decode(text)
    except msgspec.MsgspecError:
        return  # refused: pydantic will decide
    slow = WireInspection.model_validate_json(text)  # must not raise
    assert not (SERVER_FIELDS["inspection"] & slow.model_fields_set)
    quick, careful = InspectionFacts.of_fast(fast), InspectionFacts.of(slow)
    if drop == "id":  # both mint a fresh id (the model's default), so the item's id will not match either way
        assert quick.id != data.get("id") and careful.id != data.get("id")
        quick = dataclasses.replace(quick, id="")
        careful = dataclasses.replace(careful, id="")
    assert quick == careful


def test_what_only_pydantic_accepts_still_gets_in() -> None:
    data = valid_inspection()
    data["results"]["LY-1-1"]["severity"] = "严重"  # a Chinese alias pydantic maps to major; msgspec does not
    item = ParsedItem("inspection", data["id"], "r1", None, json.dumps(data, ensure_ascii=False), "sha")
    validate_item(item, "en")
    assert item.error is None and isinstance(item.record, InspectionFacts)
    assert item.record.photos == (SHA,)


def test_a_bad_record_is_refused_with_the_field_path() -> None:
    data = valid_inspection()
    data["results"]["LY-1-2"]["verdict"] = "maybe"
    item = ParsedItem("inspection", data["id"], "r1", None, json.dumps(data), "sha")
    validate_item(item, "en")
    assert item.record is None and item.error is not None
    assert "data.results.LY-1-2.verdict" in item.error
    with pytest.raises(ValidationError):
        WireInspection.model_validate_json(json.dumps(data))
