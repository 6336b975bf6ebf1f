"""The HQ server over real HTTP (uvicorn on a loopback port), on SQLite and on PostgreSQL: enrollment, push, pull,
photos, revocation, roles, limits and bad input."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from inspector.core.ids import new_id, utcnow
from inspector.core.problems import ProblemStatus, fold
from inspector.core.records import DeadlineKind, DeadlineRule, EventKind, Problem, ProblemEvent
from sync.credentials import Credentials
from sync.hq.db import Database
from sync.hq.db.models import audit_log, devices, enrollment_codes, metadata
from sync.hq.services.auth import CODE_ALPHABET, hash_secret
from sync.hq.services.users import revoke_user
from sync.protocol import PROTOCOL_HEADER, SERVER_TIME_HEADER, Role
from tests.sync_support import (
    BACKENDS,
    PNG,
    HQServer,
    admin,
    admin_put,
    assign,
    backend_url,
    enroll,
    headers,
    item_json,
    make_inspection,
    make_problem,
    new_code,
    postgres_url,
    pull_all,
    push,
    push_body,
    server_counts,
    site,
    start_server,
    unique,
)

__all__ = ["admin", "postgres_url", "site"]  # fixtures: pytest finds them among this module's names


@pytest.fixture(scope="module", params=BACKENDS)
def hq(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQServer]:
    folder = tmp_path_factory.mktemp("hq")
    server = start_server(backend_url(request, request.param, folder), folder / "files")
    yield server
    server.close()


@pytest.fixture
def inspector(hq: HQServer, admin: Credentials, site: str) -> Credentials:
    credentials = enroll(hq, Role.INSPECTOR)
    assign(hq, admin, credentials.user, site)
    return credentials


def statuses(answer: dict[str, Any]) -> list[str]:
    return [r["status"] for r in answer["results"]]


def new_problem_items(site: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], Problem]:
    inspection = make_inspection(site, 6, fail_every=3)
    problem = make_problem(inspection, "LY-1-1")
    return (
        item_json("inspection", inspection),
        item_json("problem", problem),
        item_json("event", problem.events[0]),
        problem,
    )


# --- meta -------------------------------------------------------------------------------------------------------


def test_openapi_document_describes_the_protocol(hq: HQServer) -> None:
    response = httpx.get(f"{hq.url}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    for path in ("/v1/sync/push", "/v1/sync/pull", "/v1/devices/enroll", "/v1/attachments/{sha256}"):
        assert path in document["paths"]
    schemas = document["components"]["schemas"]
    assert {"PushRequest", "PushResponse", "PullResponse", "InspectionItem", "ErrorResponse"} <= schemas.keys()
    assert {"WireInspection", "WireProblem", "WireProblemEvent", "WireItemResult"} <= schemas.keys()
    assert schemas["InspectionItem"]["properties"]["data"] == {"$ref": "#/components/schemas/WireInspection"}
    assert "results" in schemas["WireInspection"]["properties"]
    push_body_schema = document["paths"]["/v1/sync/push"]["post"]["requestBody"]["content"]["application/json"]
    assert push_body_schema["schema"] == {"$ref": "#/components/schemas/PushRequest"}


def test_every_response_carries_server_time(hq: HQServer, inspector: Credentials) -> None:
    answers = [
        httpx.get(f"{hq.url}/v1/health"),
        httpx.get(f"{hq.url}/v1/sync/pull", headers=headers(inspector)),
        httpx.get(f"{hq.url}/v1/sync/pull", headers=headers()),  # 401
        httpx.get(f"{hq.url}/v1/nothing-here", headers=headers(inspector)),  # 404
        httpx.head(f"{hq.url}/v1/attachments/{'0' * 64}", headers=headers(inspector)),  # 404 without a body
    ]
    assert [a.status_code for a in answers] == [200, 200, 401, 404, 404]
    for answer in answers:
        stamp = answer.headers[SERVER_TIME_HEADER]
        assert abs((utcnow() - __import__("datetime").datetime.fromisoformat(stamp)).total_seconds()) < 120
    assert "server_time" in answers[1].json() and "server_time" in answers[2].json()


def test_protocol_version_is_checked_on_every_request(hq: HQServer, inspector: Credentials) -> None:
    auth = {"Authorization": f"Bearer {inspector.token}"}
    missing = httpx.get(f"{hq.url}/v1/sync/pull", headers=auth)
    wrong = httpx.get(f"{hq.url}/v1/sync/pull", headers={**auth, PROTOCOL_HEADER: "99"})
    for answer in (missing, wrong):
        assert answer.status_code == 426
        assert answer.json()["error"] == "protocol_mismatch"
        assert "protocol 1" in answer.json()["message"]
    assert "99" in wrong.json()["message"]
    assert httpx.get(f"{hq.url}/v1/health").json()["protocol"] == 1


def test_migrations_create_exactly_the_models(hq: HQServer) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database(hq.db_url)
    try:
        db.migrate()  # a second run at start-up is a no-op
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        db.dispose()


# --- enrollment and tokens --------------------------------------------------------------------------------------


def _enroll(hq: HQServer, code: str) -> httpx.Response:
    return httpx.post(f"{hq.url}/v1/devices/enroll", json={"code": code, "device_name": "x"}, headers=headers())


def test_enrollment_code_is_short_unambiguous_and_single_use(hq: HQServer) -> None:
    user, code = new_code(hq.db_url, Role.INSPECTOR)
    assert len(code) == 9 and code[4] == "-"
    assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(code.replace("-", ""))
    first = _enroll(hq, code.lower().replace("-", " "))  # typed in lower case with a space: still the code
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["user"] == user and body["role"] == "inspector" and len(body["token"]) >= 40
    again = _enroll(hq, code)
    assert again.status_code == 401 and again.json()["error"] == "code_used"


def test_tokens_are_stored_hashed(hq: HQServer) -> None:
    credentials = enroll(hq, Role.INSPECTOR)
    db = Database(hq.db_url)
    try:
        with db.read() as conn:
            row = conn.execute(select(devices).where(devices.c.id == credentials.device_id)).one()
    finally:
        db.dispose()
    assert row.token_hash == hashlib.sha256(credentials.token.encode()).hexdigest()
    assert credentials.token not in json.dumps([str(v) for v in row])


def test_unknown_and_expired_codes_are_refused(hq: HQServer) -> None:
    unknown = _enroll(hq, "ABCD-EFGH")
    assert unknown.status_code == 401 and unknown.json()["error"] == "bad_code"
    _, code = new_code(hq.db_url, Role.INSPECTOR)
    db = Database(hq.db_url)
    try:
        with db.small_write() as conn:
            conn.execute(
                update(enrollment_codes)
                .where(enrollment_codes.c.code_hash == hash_secret(code.replace("-", "")))
                .values(expires_at=utcnow() - timedelta(minutes=1))
            )
    finally:
        db.dispose()
    expired = _enroll(hq, code)
    assert expired.status_code == 401 and expired.json()["error"] == "code_expired"


def test_unknown_token_and_bad_auth_headers_get_401(hq: HQServer) -> None:
    url = f"{hq.url}/v1/sync/pull"
    for value in ("Bearer nonsense", "Basic dXNlcjpwdw==", "Bearer", "bearer  x y", "Token abc"):
        answer = httpx.get(url, headers={**headers(), "Authorization": value})
        assert answer.status_code == 401, value
        assert answer.json()["message"]


def test_revoked_device_is_cut_off_at_its_next_request(hq: HQServer, inspector: Credentials, site: str) -> None:
    other = enroll(hq, Role.INSPECTOR)
    assert httpx.get(f"{hq.url}/v1/sync/pull", headers=headers(inspector)).status_code == 200
    db = Database(hq.db_url)
    try:
        assert revoke_user(db, inspector.user, now=utcnow()) == 1
    finally:
        db.dispose()
    answer = httpx.get(f"{hq.url}/v1/sync/pull", headers=headers(inspector))
    assert answer.status_code == 401
    assert answer.json()["error"] == "revoked" and "revoked" in answer.json()["message"]
    inspection, *_ = new_problem_items(site)
    refused = httpx.post(f"{hq.url}/v1/sync/push", json=push_body(inspection), headers=headers(inspector))
    assert refused.status_code == 401
    assert httpx.get(f"{hq.url}/v1/sync/pull", headers=headers(other)).status_code == 200


# --- push -------------------------------------------------------------------------------------------------------


def test_push_applies_then_repeats_are_duplicates(hq: HQServer, inspector: Credentials, site: str) -> None:
    inspection, problem, event, _ = new_problem_items(site)
    first = push(hq, inspector, inspection, problem, event)
    assert statuses(first) == ["applied", "applied", "applied"]
    versions = [r["server_version"] for r in first["results"]]
    assert versions == sorted(versions) and len(set(versions)) == 3
    for _ in range(4):
        again = push(hq, inspector, inspection, problem, event)
        assert statuses(again) == ["duplicate"] * 3
        assert [r["server_version"] for r in again["results"]] == versions
        assert {r["state"] for r in again["results"]} == {"synced"}
    held = server_counts(hq.db_url, inspector.device_id)
    assert held["inspections"] == [inspection["id"]] and held["problems"] == [problem["id"]]
    assert held["events"] == [event["id"]] and held["rows"] == 3


def test_same_rev_with_other_content_is_rejected(hq: HQServer, inspector: Credentials, site: str) -> None:
    inspection, *_ = new_problem_items(site)
    push(hq, inspector, inspection)
    changed = json.loads(json.dumps(inspection))
    changed["data"]["batch"] = "another batch"
    answer = push(hq, inspector, changed)
    assert statuses(answer) == ["rejected"]
    assert answer["results"][0]["state"] == "rejected"
    assert "already received with different content" in answer["results"][0]["message"]


def test_a_submitted_inspection_is_immutable_and_corrected_by_superseding(
    hq: HQServer, inspector: Credentials, site: str
) -> None:
    original = make_inspection(site, 4)
    push(hq, inspector, item_json("inspection", original))
    edited = original.model_copy(deep=True)
    edited.batch = "changed afterwards"
    edited.sync.touch()
    refused = push(hq, inspector, item_json("inspection", edited))
    assert statuses(refused) == ["rejected"]
    assert "supersede" in refused["results"][0]["message"]
    correction = make_inspection(site, 4)
    correction.supersedes = original.id
    assert statuses(push(hq, inspector, item_json("inspection", correction))) == ["applied"]
    stranger = enroll(hq, Role.INSPECTOR)
    hijack = make_inspection(site, 4)
    hijack.supersedes = original.id
    answer = push(hq, stranger, item_json("inspection", hijack))
    assert statuses(answer) == ["rejected"] and inspector.user in answer["results"][0]["message"]


def test_drafts_and_bad_records_are_rejected_one_by_one(hq: HQServer, inspector: Credentials, site: str) -> None:
    draft = make_inspection(site, 2)
    draft.status = draft.status.DRAFT
    bad = item_json("inspection", make_inspection(site, 2))
    first_code = next(iter(bad["data"]["results"]))
    bad["data"]["results"][first_code]["verdict"] = "maybe"
    mismatch = item_json("inspection", make_inspection(site, 2))
    mismatch["id"] = new_id()
    good = item_json("inspection", make_inspection(site, 2))
    answer = push(hq, inspector, item_json("inspection", draft), bad, mismatch, good)
    assert statuses(answer) == ["rejected", "rejected", "rejected", "applied"]
    reasons = [r["message"] for r in answer["results"][:3]]
    assert "submitted" in reasons[0]
    assert f"data.results.{first_code}.verdict" in reasons[1]
    assert "differs" in reasons[2]


def test_fields_hq_sets_are_dropped_from_a_pushed_record(hq: HQServer, inspector: Credentials, site: str) -> None:
    inspection, _, _, problem = new_problem_items(site)
    problem.events[0].server_order = 999_999  # a device must not number events; HQ does
    with_extras = item_json("problem", problem)
    with_extras["data"] = json.loads(problem.model_dump_json())  # sync and events included
    event = item_json("event", problem.events[0])
    event["data"] = json.loads(problem.events[0].model_dump_json())  # sync and server_order included
    assert statuses(push(hq, inspector, inspection, with_extras, event)) == ["applied"] * 3

    def no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    pulled = json.loads(
        httpx.get(f"{hq.url}/v1/sync/pull", params={"limit": 1000}, headers=headers(inspector)).text,
        object_pairs_hook=no_repeated_keys,
    )
    mine = next(p for p in pulled["problems"] if p["id"] == problem.id)
    assert [e["server_order"] for e in mine["events"]] != [999_999]
    assert statuses(push(hq, inspector, with_extras, event)) == ["duplicate", "duplicate"]


def test_reasons_follow_the_device_language(hq: HQServer, inspector: Credentials, site: str) -> None:
    draft = make_inspection(site, 1)
    draft.status = draft.status.DRAFT
    body = push_body(item_json("inspection", draft))
    zh = httpx.post(f"{hq.url}/v1/sync/push", json=body, headers={**headers(inspector), "Accept-Language": "zh"})
    assert "已提交" in zh.json()["results"][0]["message"]


def test_inspectors_cannot_take_office_decisions(hq: HQServer, inspector: Credentials, site: str) -> None:
    inspection, problem_item, register, problem = new_problem_items(site)
    push(hq, inspector, inspection, problem_item, register)
    decisions = [
        ProblemEvent(problem_id=problem.id, kind=kind, actor=inspector.user)
        for kind in (EventKind.ASSIGN, EventKind.CLOSE, EventKind.VOID, EventKind.SHELVE)
    ]
    answer = push(hq, inspector, *(item_json("event", e) for e in decisions))
    assert statuses(answer) == ["rejected"] * 4
    assert all("reviewer" in r["message"] for r in answer["results"])
    reviewer = enroll(hq, Role.REVIEWER)
    assign_event = ProblemEvent(
        problem_id=problem.id,
        kind=EventKind.ASSIGN,
        actor=reviewer.user,
        responsible_unit="幸福里社区居委会",
        deadline=DeadlineRule(kind=DeadlineKind.DAYS, n=3),
    )
    assert statuses(push(hq, reviewer, item_json("event", assign_event))) == ["applied"]


def test_inspector_may_not_touch_problems_outside_its_sites(hq: HQServer, inspector: Credentials, site: str) -> None:
    inspection, problem_item, register, problem = new_problem_items(site)
    push(hq, inspector, inspection, problem_item, register)
    outsider = enroll(hq, Role.INSPECTOR)
    note = ProblemEvent(problem_id=problem.id, kind=EventKind.NOTE, note="路过看了一眼")
    answer = push(hq, outsider, item_json("event", note))
    assert statuses(answer) == ["rejected"] and "not at a site assigned" in answer["results"][0]["message"]
    edit = problem.model_copy(deep=True)
    edit.description = "改写别人的问题"
    edit.sync.touch()
    answer = push(hq, outsider, item_json("problem", edit))
    assert statuses(answer) == ["rejected"] and inspector.user in answer["results"][0]["message"]


def test_an_event_illegal_in_server_order_is_kept_as_a_conflict(
    hq: HQServer, inspector: Credentials, site: str
) -> None:
    inspection, problem_item, register, problem = new_problem_items(site)
    push(hq, inspector, inspection, problem_item, register)
    reviewer = enroll(hq, Role.REVIEWER)
    # 销号 before any fix was submitted: illegal where HQ's order puts it.
    close = ProblemEvent(problem_id=problem.id, kind=EventKind.CLOSE, actor=reviewer.user)
    answer = push(hq, reviewer, item_json("event", close))
    assert statuses(answer) == ["conflict"] and answer["results"][0]["state"] == "conflict"
    assert "close" in answer["results"][0]["message"]
    assert statuses(push(hq, reviewer, item_json("event", close))) == ["duplicate"]
    pulled = {p["id"]: p for p in pull_all(hq, reviewer)["problems"]}[problem.id]
    kept = {e["id"]: e for e in pulled["events"]}[close.id]
    assert kept["conflict"] and kept["server_order"] > 0
    view = fold(Problem.model_validate(pulled))
    assert view.status is ProblemStatus.REGISTERED
    assert [c.event.id for c in view.conflicts] == [close.id]


def test_server_order_not_device_clock_decides_the_fold(hq: HQServer, inspector: Credentials, site: str) -> None:
    inspection, problem_item, register, problem = new_problem_items(site)
    push(hq, inspector, inspection, problem_item, register)
    now = utcnow()
    fix = ProblemEvent(problem_id=problem.id, kind=EventKind.SUBMIT_FIX, device_time=now + timedelta(days=1))
    review = ProblemEvent(problem_id=problem.id, kind=EventKind.REVIEW_PASS, device_time=now - timedelta(days=1))
    answer = push(hq, inspector, item_json("event", fix), item_json("event", review))
    assert statuses(answer) == ["applied", "applied"]  # in arrival order both are legal, whatever the clocks say
    pulled = {p["id"]: p for p in pull_all(hq, inspector)["problems"]}[problem.id]
    assert fold(Problem.model_validate(pulled)).status is ProblemStatus.AWAITING_CLOSE  # 待销号: HQ's 销号 next


def test_a_problem_edit_needs_hqs_current_version(hq: HQServer, inspector: Credentials, site: str) -> None:
    inspection, problem_item, register, problem = new_problem_items(site)
    push(hq, inspector, inspection, problem_item, register)
    problem.sync.state = problem.sync.state.SYNCED
    first = problem.model_copy(deep=True)
    first.description = "楼道堆物已部分清理"
    first.sync.touch()
    assert statuses(push(hq, inspector, item_json("problem", first))) == ["applied"]
    stale = problem.model_copy(deep=True)  # edited from the old version, on another laptop
    stale.description = "楼道堆放纸箱、电动车"
    stale.sync.touch()
    answer = push(hq, inspector, item_json("problem", stale))
    assert statuses(answer) == ["conflict"] and "newer version" in answer["results"][0]["message"]
    same = problem.model_copy(deep=True)
    same.sync.touch()
    same.description = first.description  # same content as HQ holds: nothing to protect
    assert statuses(push(hq, inspector, item_json("problem", same))) == ["applied"]


# --- pull -------------------------------------------------------------------------------------------------------


def test_pull_scope_follows_roles_and_assignments(hq: HQServer, admin: Credentials) -> None:
    sites = [unique("site") for _ in range(3)]
    admin_put(hq, admin, "sites", {"sites": [{"id": s, "name": s, "site_type": "背街小巷"} for s in sites]})
    alice, bob = enroll(hq, Role.INSPECTOR), enroll(hq, Role.INSPECTOR)
    assign(hq, admin, alice.user, sites[0])
    assign(hq, admin, bob.user, sites[0], sites[1])
    made = {}
    for who, site_id in ((bob, sites[0]), (bob, sites[1]), (alice, sites[2])):
        inspection, problem_item, register, problem = new_problem_items(site_id)
        push(hq, who, inspection, problem_item, register)
        made[site_id] = problem.id
    alice_view = pull_all(hq, alice)
    alice_sees = {p["id"] for p in alice_view["problems"]}
    assert made[sites[0]] in alice_sees  # her assigned site
    assert made[sites[2]] in alice_sees  # found by her, though not assigned
    assert made[sites[1]] not in alice_sees
    assert {a["user"] for a in alice_view["assignments"]} == {alice.user}
    assert set(sites) <= {s["id"] for s in alice_view["sites"]}
    reviewer_sees = {p["id"] for p in pull_all(hq, enroll(hq, Role.REVIEWER))["problems"]}
    assert set(made.values()) <= reviewer_sees
    # A new assignment brings the site's existing problems on the next pull from the old cursor.
    assign(hq, admin, alice.user, sites[1])
    later = pull_all(hq, alice, alice_view["cursor"])
    assert made[sites[1]] in {p["id"] for p in later["problems"]}


def test_pull_pages_are_gap_free_and_end_at_the_head(hq: HQServer, admin: Credentials) -> None:
    reviewer = enroll(hq, Role.REVIEWER)
    start = pull_all(hq, reviewer)["cursor"]
    inspector = enroll(hq, Role.INSPECTOR)
    site_id = unique("site")
    ids = []
    for _ in range(5):
        items = []
        for _ in range(4):
            inspection, problem_item, register, problem = new_problem_items(site_id)
            items += [inspection, problem_item, register]
            ids.append(problem.id)
        push(hq, inspector, *items)
    seen: list[str] = []
    cursor = start
    while True:
        page = httpx.get(
            f"{hq.url}/v1/sync/pull", params={"cursor": cursor, "limit": 3}, headers=headers(reviewer)
        ).json()
        assert len(page["problems"]) <= 3
        seen += [p["id"] for p in page["problems"]]
        assert page["cursor"] != cursor or not page["has_more"]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    idle = httpx.get(f"{hq.url}/v1/sync/pull", params={"cursor": cursor}, headers=headers(reviewer)).json()
    assert idle["problems"] == [] and idle["has_more"] is False and idle["cursor"] == cursor


def test_a_foreign_cursor_asks_for_a_reset(hq: HQServer, inspector: Credentials) -> None:
    page = httpx.get(f"{hq.url}/v1/sync/pull", params={"cursor": "other-epoch:5"}, headers=headers(inspector)).json()
    assert page["reset_required"] is True
    bad = httpx.get(f"{hq.url}/v1/sync/pull", params={"cursor": "garbage"}, headers=headers(inspector))
    assert bad.status_code == 422 and bad.json()["error"] == "bad_cursor"


def test_checklist_versions_are_published_once(hq: HQServer, admin: Credentials, inspector: Credentials) -> None:
    from checklists.registry import builtin_checklists

    checklist = builtin_checklists()[0]
    body = {"checklists": [json.loads(checklist.model_dump_json())]}
    first = httpx.put(f"{hq.url}/v1/admin/checklists", json=body, headers=headers(admin))
    assert first.status_code == 200
    pulled = pull_all(hq, inspector)["checklists"]
    assert any(c["id"] == checklist.id and c["version"] == checklist.version for c in pulled)
    assert httpx.put(f"{hq.url}/v1/admin/checklists", json=body, headers=headers(admin)).json()["unchanged"] == 1
    body["checklists"][0]["title"] = "改过的标题"
    clash = httpx.put(f"{hq.url}/v1/admin/checklists", json=body, headers=headers(admin))
    assert clash.status_code == 409 and "new version" in clash.json()["message"]


def test_reference_data_needs_the_admin_role(hq: HQServer, inspector: Credentials) -> None:
    reviewer = enroll(hq, Role.REVIEWER)
    body = {"sites": [{"id": unique("s"), "name": "x", "site_type": "楼院"}]}
    for who in (inspector, reviewer):
        answer = httpx.put(f"{hq.url}/v1/admin/sites", json=body, headers=headers(who))
        assert answer.status_code == 403 and "admin" in answer.json()["message"]


# --- attachments ------------------------------------------------------------------------------------------------


def test_photos_upload_once_by_hash(hq: HQServer, inspector: Credentials, site: str) -> None:
    photo = PNG + new_id().encode()  # unique bytes, still a PNG by its magic number
    sha = hashlib.sha256(photo).hexdigest()
    url = f"{hq.url}/v1/attachments/{sha}"
    auth = headers(inspector)
    assert httpx.head(url, headers=auth).status_code == 404
    stored = httpx.put(url, content=photo, headers={**auth, "Content-Type": "image/png"})
    assert stored.status_code == 201 and stored.json()["status"] == "stored"
    assert httpx.head(url, headers=auth).status_code == 200
    again = httpx.put(url, content=photo, headers={**auth, "Content-Type": "image/png"})
    assert again.status_code == 200 and again.json()["status"] == "exists"
    fetched = httpx.get(url, headers=auth)
    assert fetched.content == photo and fetched.headers["content-type"] == "image/png"
    inspection = make_inspection(site, 3, fail_every=1)
    first = next(iter(inspection.results.values()))
    first.photos = [sha, "f" * 64]
    answer = push(hq, inspector, item_json("inspection", inspection))
    assert answer["missing_attachments"] == ["f" * 64]


def test_bad_photo_uploads_are_refused_and_not_kept(hq: HQServer, inspector: Credentials) -> None:
    auth = headers(inspector)
    photo = PNG + b"unique" + new_id().encode()
    sha = hashlib.sha256(photo).hexdigest()
    wrong_hash = httpx.put(
        f"{hq.url}/v1/attachments/{'a' * 64}", content=photo, headers={**auth, "Content-Type": "image/png"}
    )
    assert wrong_hash.status_code == 422 and wrong_hash.json()["error"] == "hash_mismatch"
    text = b"not an image at all" + new_id().encode()
    text_sha = hashlib.sha256(text).hexdigest()
    lying = httpx.put(
        f"{hq.url}/v1/attachments/{text_sha}", content=text, headers={**auth, "Content-Type": "image/png"}
    )
    assert lying.status_code == 415
    plain = httpx.put(f"{hq.url}/v1/attachments/{sha}", content=photo, headers={**auth, "Content-Type": "text/plain"})
    assert plain.status_code == 415
    malformed = httpx.head(f"{hq.url}/v1/attachments/NOT-A-HASH", headers=auth)
    assert malformed.status_code == 422
    for name in ("a" * 64, text_sha, sha):
        assert httpx.head(f"{hq.url}/v1/attachments/{name}", headers=auth).status_code == 404
    leftovers = [p for p in (hq.files / "tmp").iterdir()] if (hq.files / "tmp").exists() else []
    assert leftovers == []


# --- limits and bad input ---------------------------------------------------------------------------------------


def test_batch_and_body_limits(hq: HQServer, inspector: Credentials, site: str) -> None:
    one = item_json("inspection", make_inspection(site, 1))
    too_many = httpx.post(
        f"{hq.url}/v1/sync/push", json={"batch_id": "b1", "items": [one] * 501}, headers=headers(inspector)
    )
    assert too_many.status_code == 422 and "500" in too_many.json()["message"]
    huge = b'{"batch_id":"b","items":[],"pad":"' + b"x" * (8 * 1024 * 1024) + b'"}'
    big = httpx.post(f"{hq.url}/v1/sync/push", content=huge, headers=headers(inspector))
    assert big.status_code == 413 and big.json()["error"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while streaming
        for _ in range(22):
            yield b"\xff" * (1024 * 1024)

    streamed = httpx.put(
        f"{hq.url}/v1/attachments/{'b' * 64}",
        content=chunks(),
        headers={**headers(inspector), "Content-Type": "image/jpeg"},
        timeout=60,
    )
    assert streamed.status_code == 413
    enroll_big = httpx.post(
        f"{hq.url}/v1/devices/enroll", content=b'{"code":"' + b"A" * 100_000 + b'"}', headers=headers()
    )
    assert enroll_big.status_code == 413


GARBAGE: list[bytes] = [
    b"",
    b"not json",
    b"null",
    b"[]",
    b"42",
    b'"text"',
    b"{",
    b'{"batch_id": 5, "items": 5}',
    b'{"batch_id": "b", "items": [5]}',
    b'{"batch_id": "b", "items": [{}]}',
    b'{"batch_id": "b", "items": [{"kind": "nope", "id": "x", "rev": "y"}]}',
    b'{"batch_id": "b", "items": [{"kind": "inspection", "id": "x"}]}',
    b'{"batch_id": "b", "items": [{"kind": "inspection", "id": "bad id with spaces", "rev": "r"}]}',
    b'{"batch_id": "b", "items": [], "extra": true}',
    b'{"batch_id": "' + b"x" * 1000 + b'", "items": []}',
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b"\xff\xfe\x00garbage",
    b'{"batch_id": "b", "items": [{"kind": "event", "id": "e", "rev": "r", "data": {"problem_id": 1e999}}]}',
    b'{"code": ' + b"9" * 5000 + b"}",
    b'{"batch_id": "b", "items": [{"kind": "event", "id": "e", "rev": "r", "data": "{\\"problem_id\\": 1e999}"}]}',
    b'{"batch_id": "b", "items": [{"kind": "problem", "id": "p", "rev": "r", "data": "not json"}]}',
    b'{"batch_id": "b", "items": [{"kind": "inspection", "id": "i", "rev": "r", "data": "[1, 2]"}]}',
]


def test_garbage_gets_a_4xx_with_a_reason_never_a_500(hq: HQServer, inspector: Credentials) -> None:
    rng = random.Random(20260501)
    bodies = [*GARBAGE, *(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))) for _ in range(30))]
    targets = [
        ("POST", "/v1/sync/push"),
        ("POST", "/v1/devices/enroll"),
        ("PUT", "/v1/admin/sites"),
        ("PUT", "/v1/admin/assignments"),
    ]
    with httpx.Client(base_url=hq.url, headers=headers(inspector), timeout=30) as client:
        for method, path in targets:
            for body in bodies:
                answer = client.request(method, path, content=body, headers={"Content-Type": "application/json"})
                if answer.status_code == 200 and path == "/v1/sync/push":  # a well-formed batch of bad records
                    results = answer.json()["results"]
                    assert results and all(r["status"] == "rejected" and r["message"] for r in results)
                    continue
                assert 400 <= answer.status_code < 500, (path, body[:60], answer.status_code, answer.text[:300])
                assert answer.json()["message"], (path, body[:60])
        for params in ({"limit": "0"}, {"limit": "x"}, {"limit": "100000"}, {"cursor": "x" * 500}, {"cursor": ":"}):
            answer = client.get("/v1/sync/pull", params=params)
            assert 400 <= answer.status_code < 500 and answer.json()["message"], params
    assert hq.proc is not None and hq.proc.poll() is None


def test_shape_errors_name_the_field(hq: HQServer, inspector: Credentials) -> None:
    answer = httpx.post(
        f"{hq.url}/v1/sync/push",
        json={"batch_id": "b", "items": [{"kind": "inspection", "rev": "r"}]},
        headers=headers(inspector),
    )
    assert answer.status_code == 422
    assert "items.0.id" in [d["field"] for d in answer.json()["details"]]


# --- audit ------------------------------------------------------------------------------------------------------


def test_pushes_enrollments_and_revocations_are_audited(hq: HQServer, site: str) -> None:
    who = enroll(hq, Role.INSPECTOR)
    inspection, problem_item, register, _ = new_problem_items(site)
    draft = make_inspection(site, 1)
    draft.status = draft.status.DRAFT
    push(hq, who, inspection, problem_item, register, item_json("inspection", draft))
    db = Database(hq.db_url)
    try:
        revoke_user(db, who.user, now=utcnow())
        with db.read() as conn:
            rows = conn.execute(select(audit_log).where(audit_log.c.actor.in_([who.user, "hq-admin"]))).all()
    finally:
        db.dispose()
    mine = [r for r in rows if r.actor == who.user or who.user in r.detail]
    actions = [r.action for r in mine]
    assert {"user_add", "enroll", "push", "user_revoke"} <= set(actions)
    pushed = json.loads(next(r.detail for r in mine if r.action == "push"))
    assert (pushed["items"], pushed["applied"], pushed["rejected"]) == (4, 3, 1)
    assert pushed["rejected_items"][0]["id"] == draft.id
    enrolled = next(r for r in mine if r.action == "enroll")
    assert enrolled.device_id == who.device_id and enrolled.ip == "127.0.0.1"


def test_failed_enrollments_leave_a_trail(hq: HQServer) -> None:
    marker = unique("probe")
    _enroll(hq, marker)
    db = Database(hq.db_url)
    try:
        with db.read() as conn:
            failed = conn.execute(select(audit_log).where(audit_log.c.action == "enroll_failed")).all()
    finally:
        db.dispose()
    assert any("bad_code" in r.detail for r in failed)


def test_server_log_has_no_tracebacks(hq: HQServer, tmp_path: Path) -> None:
    """Run last in the module (by name order within its worker it may not be): every error above was a 4xx."""
    assert "Traceback" not in hq.log_text()
