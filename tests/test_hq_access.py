"""Photo access follows record access: an inspector reads (GET/HEAD) only photos named by records it may pull (its
own, the problems at its sites) or whose bytes it uploaded itself; anyone else gets the 404 of a photo HQ lacks,
and the refusal is audited. Reviewers and admins read every photo. Migration 0003 backfills the index from the
records already stored.

Real server over loopback, on SQLite and on PostgreSQL. Refusals are counted from an address of the test's own."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select, update

from inspector.core.ids import utcnow
from inspector.core.records import EventKind, ProblemEvent
from sync.credentials import Credentials
from sync.hq.db import Database, models
from sync.hq.db.models import audit_log, photo_refs, photo_uploaders
from sync.hq.services.attachments import AttachmentStore
from sync.hq.services.auth import Principal
from sync.protocol import Role
from tests.sync_support import (
    BACKENDS,
    PG_HOST,
    PG_PORT,
    PNG,
    HQServer,
    _admin_execute,
    admin,
    assign,
    backend_url,
    enroll,
    headers,
    item_json,
    make_inspection,
    make_problem,
    postgres_url,
    push,
    start_server,
    unique,
)

__all__ = ["admin", "postgres_url"]


@pytest.fixture(scope="module", params=BACKENDS)
def hq(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQServer]:
    folder = tmp_path_factory.mktemp("hq")
    server = start_server(backend_url(request, request.param, folder), folder / "files")
    yield server
    server.close()


@pytest.fixture
def address() -> str:
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


@pytest.fixture
def client(address: str) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30) as c:
        yield c


def new_photo() -> tuple[str, bytes]:
    data = PNG + uuid.uuid4().bytes
    return hashlib.sha256(data).hexdigest(), data


def put_photo(hq: HQServer, who: Credentials, sha: str, data: bytes) -> httpx.Response:
    return httpx.put(
        f"{hq.url}/v1/attachments/{sha}", content=data, headers=headers(who, **{"Content-Type": "image/png"})
    )


def new_site(hq: HQServer, admin: Credentials) -> str:
    site_id = unique("site")
    answer = httpx.put(
        f"{hq.url}/v1/admin/sites",
        json={"sites": [{"id": site_id, "name": "幸福里小区", "site_type": "楼院"}]},
        headers=headers(admin),
    )
    assert answer.status_code == 200, answer.text
    return site_id


def photographed_problem(hq: HQServer, who: Credentials, site_id: str) -> tuple[str, bytes, str]:
    """`who` uploads a photo and pushes an inspection and its problem naming it: (sha, bytes, problem id)."""
    sha, data = new_photo()
    assert put_photo(hq, who, sha, data).status_code == 201
    inspection = make_inspection(site_id, 2, fail_every=1)
    code = next(iter(inspection.results))
    inspection.results[code].photos = [sha]
    problem = make_problem(inspection, code, photos=[sha])
    items = [item_json("inspection", inspection), item_json("problem", problem), item_json("event", problem.events[0])]
    answer = push(hq, who, *items)
    assert [r["status"] for r in answer["results"]] == ["applied"] * 3, answer
    return sha, data, problem.id


def get(hq: HQServer, who: Credentials, sha: str, client: httpx.Client | None = None) -> httpx.Response:
    return (client or httpx.Client(timeout=30)).get(f"{hq.url}/v1/attachments/{sha}", headers=headers(who))


def head(hq: HQServer, who: Credentials, sha: str, client: httpx.Client | None = None) -> httpx.Response:
    return (client or httpx.Client(timeout=30)).head(f"{hq.url}/v1/attachments/{sha}", headers=headers(who))


def refusals_from(hq: HQServer, address: str) -> list[Any]:
    db = Database(hq.db_url)
    try:
        with db.read() as conn:
            query = select(audit_log).where(audit_log.c.ip == address, audit_log.c.reason.is_not(None))
            return list(conn.execute(query).all())
    finally:
        db.dispose()


@pytest.fixture
def two_inspectors(hq: HQServer, admin: Credentials) -> tuple[Credentials, Credentials, str, str]:
    a, b = enroll(hq, Role.INSPECTOR), enroll(hq, Role.INSPECTOR)
    site_a, site_b = new_site(hq, admin), new_site(hq, admin)
    assign(hq, admin, a.user, site_a)
    assign(hq, admin, b.user, site_b)
    return a, b, site_a, site_b


def test_an_inspector_gets_404_for_another_inspectors_photo_at_a_site_it_is_not_assigned_to(
    hq: HQServer, two_inspectors: tuple[Credentials, Credentials, str, str], client: httpx.Client, address: str
) -> None:
    a, b, site_a, _ = two_inspectors
    sha, data, _ = photographed_problem(hq, a, site_a)
    assert get(hq, a, sha).content == data  # the owner reads its own
    refused = get(hq, b, sha, client)
    assert refused.status_code == 404
    assert refused.json()["error"] == "not_found"
    lacking = get(hq, b, new_photo()[0])  # word for word what a photo HQ lacks gets
    assert lacking.status_code == 404 and lacking.json()["error"] == refused.json()["error"]
    assert head(hq, b, sha).status_code == 404
    rows = refusals_from(hq, address)
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row.actor, row.action, row.reason, row.device_id) == (
        b.user,
        "GET /v1/attachments/{sha256}",
        "photo_not_visible",
        b.device_id,
    )
    assert sha in row.detail


def test_an_inspector_reads_the_photo_of_a_problem_it_may_pull(
    hq: HQServer, admin: Credentials, two_inspectors: tuple[Credentials, Credentials, str, str]
) -> None:
    a, b, site_a, _ = two_inspectors
    sha, data, _ = photographed_problem(hq, a, site_a)
    assert head(hq, b, sha).status_code == 404
    assign(hq, admin, b.user, site_a)  # B takes over A's site: the problem, and so its photo, are B's to pull
    answer = get(hq, b, sha)
    assert answer.status_code == 200 and answer.content == data
    assert head(hq, b, sha).status_code == 200


def test_an_event_photo_follows_its_problem(
    hq: HQServer, admin: Credentials, two_inspectors: tuple[Credentials, Credentials, str, str]
) -> None:
    a, b, site_a, _ = two_inspectors
    _, _, problem_id = photographed_problem(hq, a, site_a)
    sha, data = new_photo()
    assert put_photo(hq, a, sha, data).status_code == 201
    event = ProblemEvent(problem_id=problem_id, kind=EventKind.NOTE, actor=a.user, photos=[sha])
    assert push(hq, a, item_json("event", event))["results"][0]["status"] == "applied"
    assert get(hq, b, sha).status_code == 404
    assign(hq, admin, b.user, site_a)
    assert get(hq, b, sha).content == data


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ADMIN])
def test_reviewers_and_admins_read_every_photo(
    hq: HQServer, two_inspectors: tuple[Credentials, Credentials, str, str], role: Role
) -> None:
    a, _, site_a, _ = two_inspectors
    sha, data, _ = photographed_problem(hq, a, site_a)
    boss = enroll(hq, role)
    assert get(hq, boss, sha).content == data
    assert head(hq, boss, sha).status_code == 200


def test_an_uploader_reads_its_photo_back_before_any_record_names_it(
    hq: HQServer, two_inspectors: tuple[Credentials, Credentials, str, str]
) -> None:
    a, b, _, _ = two_inspectors
    sha, data = new_photo()
    assert head(hq, a, sha).status_code == 404
    assert put_photo(hq, a, sha, data).status_code == 201
    assert head(hq, a, sha).status_code == 200  # the re-confirmation of the sync round
    assert get(hq, a, sha).content == data
    assert head(hq, b, sha).status_code == 404


def test_showing_the_bytes_makes_a_photo_readable_and_a_bare_claim_does_not(
    hq: HQServer, two_inspectors: tuple[Credentials, Credentials, str, str]
) -> None:
    a, b, site_a, _ = two_inspectors
    sha, data, _ = photographed_problem(hq, a, site_a)
    claim = put_photo(hq, b, sha, PNG + b"not the photo")
    assert claim.status_code == 422 and claim.json()["error"] == "hash_mismatch"
    assert head(hq, b, sha).status_code == 404
    shown = put_photo(hq, b, sha, data)  # B took the very same bytes: HQ checks them, keeps the first copy
    assert shown.status_code == 200 and shown.json()["status"] == "exists"
    assert get(hq, b, sha).content == data


def test_photo_refs_are_written_with_the_push(
    hq: HQServer, two_inspectors: tuple[Credentials, Credentials, str, str]
) -> None:
    a, _, site_a, _ = two_inspectors
    sha, _, problem_id = photographed_problem(hq, a, site_a)
    db = Database(hq.db_url)
    try:
        with db.read() as conn:
            refs = conn.execute(select(photo_refs).where(photo_refs.c.sha256 == sha)).all()
            uploaders = conn.execute(select(photo_uploaders).where(photo_uploaders.c.sha256 == sha)).all()
    finally:
        db.dispose()
    assert sorted((r.kind, r.doc_id) for r in refs)[1] == ("problem", problem_id)
    assert [r.kind for r in sorted(refs, key=lambda r: r.kind)] == ["inspection", "problem"]
    assert len(uploaders) == 1


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (the migration test starts from an older schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'old.sqlite3').as_posix()}"
        return
    request.getfixturevalue("postgres_url")  # skips when PostgreSQL is not reachable
    name = f"inspector_m_{uuid.uuid4().hex[:12]}"
    _admin_execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_migration_0003_backfills_the_index_from_stored_records(fresh_url: str, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from sync.hq.db import MIGRATIONS_DIR

    db = Database(fresh_url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
        now = utcnow()
        shas = [new_photo()[0] for _ in range(4)]  # inspection, problem (two revs), event, uploaded only
        site_a, site_b = "site-a", "site-b"
        inspection = make_inspection(site_a, 2, fail_every=1)
        code = next(iter(inspection.results))
        inspection.results[code].photos = [shas[0]]
        problem = make_problem(inspection, code, photos=[shas[1]])
        event = ProblemEvent(problem_id=problem.id, kind=EventKind.NOTE, actor="a", photos=[shas[2]])
        with db.engine.begin() as conn:
            conn.execute(
                insert(models.users),
                [{"id": n, "name": name, "role": "inspector", "created_at": now} for n, name in [(1, "a"), (2, "b")]],
            )
            conn.execute(
                insert(models.devices),
                [
                    {
                        "id": "dev-a",
                        "user_id": 1,
                        "token_hash": "0" * 64,
                        "name": "",
                        "app_version": "",
                        "created_at": now,
                    }
                ],
            )
            conn.execute(
                insert(models.assignments),
                [
                    {
                        "id": "as-1",
                        "user_id": 2,
                        "site_id": site_b,
                        "batch": "",
                        "active": True,
                        "change_id": 1,
                        "updated_at": now,
                    }
                ],
            )
            docs_rows = [("inspection", inspection.id, 2), ("problem", problem.id, 3)]
            conn.execute(
                insert(models.docs),
                [
                    {
                        "id": i,
                        "kind": k,
                        "current_rev": "r2" if k == "problem" else "r1",
                        "change_id": c,
                        "owner_user_id": 1,
                        "owner_device_id": "dev-a",
                        "site_id": site_a,
                        "superseded_by": None,
                        "received_at": now,
                    }
                    for k, i, c in docs_rows
                ],
            )
            rev_rows = [
                ("inspection", inspection.id, "r1", inspection.model_dump_json(exclude={"sync"})),
                ("problem", problem.id, "r1", problem.model_dump_json(exclude={"sync", "events"})),
                ("problem", problem.id, "r2", problem.model_dump_json(exclude={"sync", "events"})),
            ]
            conn.execute(
                insert(models.doc_revs),
                [
                    {
                        "id": i,
                        "rev": r,
                        "kind": k,
                        "base_rev": None,
                        "content_sha": "0" * 64,
                        "state": "synced",
                        "message": None,
                        "server_version": 2,
                        "user_id": 1,
                        "device_id": "dev-a",
                        "received_at": now,
                        "data": d,
                    }
                    for k, i, r, d in rev_rows
                ],
            )
            conn.execute(
                insert(models.events),
                [
                    {
                        "id": event.id,
                        "rev": "e1",
                        "problem_id": problem.id,
                        "kind": "note",
                        "server_order": 4,
                        "conflict": None,
                        "content_sha": "0" * 64,
                        "user_id": 1,
                        "device_id": "dev-a",
                        "received_at": now,
                        "data": event.model_dump_json(exclude={"sync", "server_order", "conflict"}),
                    }
                ],
            )
            conn.execute(
                insert(models.attachments),
                [{"sha256": s, "size": 1, "mime": "image/png", "device_id": "dev-a", "uploaded_at": now} for s in shas],
            )
        db.migrate()
        with db.read() as conn:
            refs = {(r.sha256, r.kind, r.record_id, r.doc_id) for r in conn.execute(select(photo_refs))}
            uploaders = {(r.sha256, r.user_id) for r in conn.execute(select(photo_uploaders))}
        assert refs == {
            (shas[0], "inspection", inspection.id, inspection.id),
            (shas[1], "problem", problem.id, problem.id),
            (shas[2], "event", event.id, problem.id),
        }
        assert uploaders == {(s, 1) for s in shas}
        store = AttachmentStore(db, tmp_path / "files")
        a = Principal(user_id=1, user="a", role=Role.INSPECTOR, device_id="dev-a")
        b = Principal(user_id=2, user="b", role=Role.INSPECTOR, device_id="dev-b")
        assert all(store.readable(a, s) for s in shas)
        assert not any(store.readable(b, s) for s in shas)
        with db.engine.begin() as conn:  # B takes over site A: the problem's photos, not the inspection's
            conn.execute(update(models.assignments).values(site_id=site_a))
        assert [store.readable(b, s) for s in shas] == [False, True, True, False]
    finally:
        db.dispose()
