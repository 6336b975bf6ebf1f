"""Text HQ cannot store is refused, never a 500: a NUL (U+0000) in a field that reaches a column or a query is a
422 naming the field (admin uploads, enrollment), or the push item's rejection naming it (a pushed record's key
fields); a NUL inside a note's free text syncs. Ids show their patterns in /openapi.json.

Real server over loopback, on SQLite and on PostgreSQL (which cannot keep NUL in a text column at all)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from inspector.core.records import EventKind, ProblemEvent
from sync.credentials import Credentials
from sync.protocol import Role
from tests.sync_support import (
    BACKENDS,
    HQServer,
    admin,
    assign,
    backend_url,
    enroll,
    headers,
    item_json,
    make_inspection,
    make_problem,
    postgres_url,
    pull_all,
    push,
    site,
    start_server,
    unique,
)

__all__ = ["admin", "postgres_url", "site"]

NUL = "\u0000"


@pytest.fixture(scope="module", params=BACKENDS)
def hq(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQServer]:
    folder = tmp_path_factory.mktemp("hq")
    server = start_server(backend_url(request, request.param, folder), folder / "files")
    yield server
    server.close()


@pytest.fixture(scope="module")
def inspector(hq: HQServer) -> Credentials:
    return enroll(hq, Role.INSPECTOR)


def refused_fields(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 422, (answer.status_code, answer.text)
    body = answer.json()
    assert body["error"] == "invalid_request"
    return [d["field"] for d in body["details"]]


def test_a_nul_in_an_admin_site_id_is_a_422_naming_it(hq: HQServer, admin: Credentials) -> None:
    body = {"sites": [{"id": "s" + NUL, "name": "幸福里小区", "site_type": "楼院"}]}
    answer = httpx.put(f"{hq.url}/v1/admin/sites", json=body, headers=headers(admin))
    assert refused_fields(answer) == ["sites.0.id"]


@pytest.mark.parametrize("field", ["name", "address", "checklist_id"])
def test_a_nul_in_any_site_text_is_a_422(hq: HQServer, admin: Credentials, field: str) -> None:
    data = {"id": unique("site"), "name": "幸福里小区", "site_type": "楼院", field: "幸福" + NUL}
    answer = httpx.put(f"{hq.url}/v1/admin/sites", json={"sites": [data]}, headers=headers(admin))
    assert refused_fields(answer) == [f"sites.0.{field}"]


@pytest.mark.parametrize("field", ["user", "site_id", "batch"])
def test_a_nul_in_an_assignment_is_a_422_naming_it(
    hq: HQServer, admin: Credentials, inspector: Credentials, site: str, field: str
) -> None:
    data = {"user": inspector.user, "site_id": site, "batch": "第 9 期"}
    data[field] = "u" + NUL
    answer = httpx.put(f"{hq.url}/v1/admin/assignments", json={"assignments": [data]}, headers=headers(admin))
    assert refused_fields(answer) == [f"assignments.0.{field}"]


def test_a_nul_deep_in_a_checklist_is_a_422_saying_where(hq: HQServer, admin: Credentials) -> None:
    from checklists.registry import builtin_checklists

    checklist = json.loads(builtin_checklists()[0].model_dump_json())
    checklist["version"] = "nul-test"
    checklist["sections"][0]["items"][0]["title"] = "楼道" + NUL
    answer = httpx.put(f"{hq.url}/v1/admin/checklists", json={"checklists": [checklist]}, headers=headers(admin))
    assert refused_fields(answer) == ["checklists.0"]
    assert "sections.0.items.0.title" in answer.json()["message"]


def test_a_nul_in_an_enrollment_is_a_422(hq: HQServer) -> None:
    answer = httpx.post(
        f"{hq.url}/v1/devices/enroll", json={"code": "ABCD" + NUL, "device_name": "x" + NUL}, headers=headers()
    )
    assert sorted(refused_fields(answer)) == ["code", "device_name"]


def rejected(result: dict[str, Any]) -> str:
    assert result["status"] == "rejected", result
    message: str = result["message"]
    return message


def test_a_nul_in_an_event_problem_id_rejects_that_item_naming_the_field(
    hq: HQServer, admin: Credentials, inspector: Credentials, site: str
) -> None:
    assign(hq, admin, inspector.user, site)
    inspection = make_inspection(site, 2)
    event = ProblemEvent(problem_id="p" + NUL, kind=EventKind.NOTE, actor="tester")
    answer = push(hq, inspector, item_json("inspection", inspection), item_json("event", event))
    first, second = answer["results"]
    assert first["status"] == "applied"
    assert "data.problem_id" in rejected(second)


@pytest.mark.parametrize("field", ["site_id", "supersedes", "checklist_version"])
def test_a_nul_in_an_inspection_key_field_rejects_it(
    hq: HQServer, inspector: Credentials, site: str, field: str
) -> None:
    item = item_json("inspection", make_inspection(site, 2))
    item["data"][field] = "x" + NUL
    assert f"data.{field}" in rejected(push(hq, inspector, item)["results"][0])


def test_a_nul_in_an_item_code_rejects_the_inspection(hq: HQServer, inspector: Credentials, site: str) -> None:
    item = item_json("inspection", make_inspection(site, 2))
    code = next(iter(item["data"]["results"]))
    item["data"]["results"][code]["code"] = code + NUL
    assert f"data.results.{code}.code" in rejected(push(hq, inspector, item)["results"][0])


@pytest.mark.parametrize("field", ["site_id", "inspection_id", "item_code"])
def test_a_nul_in_a_problem_key_field_rejects_it(hq: HQServer, inspector: Credentials, site: str, field: str) -> None:
    inspection = make_inspection(site, 2, fail_every=1)
    item = item_json("problem", make_problem(inspection, next(iter(inspection.results))))
    item["data"][field] = "x" + NUL
    assert f"data.{field}" in rejected(push(hq, inspector, item)["results"][0])


def test_a_nul_inside_a_note_syncs(hq: HQServer, admin: Credentials, inspector: Credentials, site: str) -> None:
    assign(hq, admin, inspector.user, site)
    inspection = make_inspection(site, 2, fail_every=1)
    code = next(iter(inspection.results))
    inspection.results[code].note = "楼道" + NUL + "纸箱"
    problem = make_problem(inspection, code)
    problem.description = "堆放" + NUL + "纸箱"
    note = ProblemEvent(problem_id=problem.id, kind=EventKind.NOTE, actor="tester", note="跟进" + NUL)
    items = [
        item_json("inspection", inspection),
        item_json("problem", problem),
        *(item_json("event", e) for e in [*problem.events, note]),
    ]
    answer = push(hq, inspector, *items)
    assert [r["status"] for r in answer["results"]] == ["applied"] * 4, answer
    pulled = next(p for p in pull_all(hq, inspector)["problems"] if p["id"] == problem.id)
    assert pulled["description"] == "堆放" + NUL + "纸箱"
    assert pulled["events"][-1]["note"] == "跟进" + NUL


def test_ids_show_their_patterns_in_openapi(hq: HQServer) -> None:
    document = httpx.get(f"{hq.url}/openapi.json").json()
    schemas = document["components"]["schemas"]

    def pattern(schema: str, field: str) -> str | None:
        spec = schemas[schema]["properties"][field]
        options = spec.get("anyOf", [spec])
        return next((o["pattern"] for o in options if "pattern" in o), None)

    assert pattern("PushRequest", "batch_id") == "^[A-Za-z0-9_.:-]+$"
    for model, field in [
        ("FlatItem" if "FlatItem" in schemas else "InspectionItem", "id"),
        ("InspectionItem", "rev"),
        ("WireInspection", "id"),
        ("WireInspection", "site_id"),
        ("WireProblem", "inspection_id"),
        ("WireProblemEvent", "problem_id"),
        ("WireSite", "id"),
        ("AssignmentIn", "site_id"),
        ("AssignmentIn", "user"),
    ]:
        assert pattern(model, field), (model, field)
    for path in document["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert "pattern" in parameter["schema"], parameter
