"""Every refusal leaves one audit row (401, 403, 426, a rejected push item, a wrong enrollment code), naming who
(the user, else a prefix of the token's hash, never the token), from where, what and why; repeats coalesce.

Real server over loopback, on SQLite and on PostgreSQL. Each test speaks from an address of its own in 127/8, so
rows other tests leave (in a shared PostgreSQL) never coalesce with the ones it counts."""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from inspector.core.ids import utcnow
from sync.credentials import Credentials
from sync.hq.db import Database
from sync.hq.db.models import audit_log
from sync.hq.services.users import revoke_user
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, Role
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
    postgres_url,
    push_body,
    site,
    start_server,
)

__all__ = ["admin", "postgres_url", "site"]


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


def rows_from(hq: HQServer, address: str) -> list[Any]:
    db = Database(hq.db_url)
    try:
        with db.read() as conn:
            return list(conn.execute(select(audit_log).where(audit_log.c.ip == address)).all())
    finally:
        db.dispose()


def prefix(token: str) -> str:
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:8]


def only_row(hq: HQServer, address: str) -> Any:
    rows = rows_from(hq, address)
    assert len(rows) == 1, rows
    return rows[0]


def test_no_token(hq: HQServer, client: httpx.Client, address: str) -> None:
    assert client.get(f"{hq.url}/v1/sync/pull", headers=headers()).status_code == 401
    row = only_row(hq, address)
    assert (row.actor, row.action, row.reason, row.count) == ("?", "GET /v1/sync/pull", "no_token", 1)


def test_wrong_token_is_named_by_a_hash_prefix_never_the_token(
    hq: HQServer, client: httpx.Client, address: str
) -> None:
    token = secrets.token_urlsafe(32)
    answer = client.head(
        f"{hq.url}/v1/attachments/{'a' * 64}", headers={**headers(), "Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 401
    row = only_row(hq, address)
    assert (row.actor, row.action, row.reason) == (prefix(token), "HEAD /v1/attachments/{sha256}", "unknown_token")
    assert token not in str(tuple(row))


def test_revoked_device(hq: HQServer, client: httpx.Client, address: str) -> None:
    who = enroll(hq, Role.INSPECTOR)
    db = Database(hq.db_url)
    try:
        revoke_user(db, who.user, now=utcnow())
    finally:
        db.dispose()
    assert client.get(f"{hq.url}/v1/sync/pull", headers=headers(who)).status_code == 401
    row = only_row(hq, address)
    assert (row.actor, row.reason) == (prefix(who.token), "revoked")


def test_inspector_on_an_admin_route(hq: HQServer, client: httpx.Client, address: str) -> None:
    who = enroll(hq, Role.INSPECTOR)
    assert client.put(f"{hq.url}/v1/admin/sites", json={"sites": []}, headers=headers(who)).status_code == 403
    row = only_row(hq, address)
    assert (row.actor, row.action, row.reason, row.device_id) == (
        who.user,
        "PUT /v1/admin/sites",
        "forbidden",
        who.device_id,
    )


def test_protocol_mismatch(hq: HQServer, client: httpx.Client, address: str) -> None:
    token = secrets.token_urlsafe(32)
    sent = {PROTOCOL_HEADER: str(PROTOCOL_VERSION + 1), "Authorization": f"Bearer {token}"}
    assert client.get(f"{hq.url}/v1/sync/pull", headers=sent).status_code == 426
    row = only_row(hq, address)
    assert (row.actor, row.action, row.reason) == (prefix(token), "GET /v1/sync/pull", "protocol_mismatch")


def test_a_rejected_push_item(hq: HQServer, admin: Credentials, site: str, client: httpx.Client, address: str) -> None:
    who = enroll(hq, Role.INSPECTOR)
    assign(hq, admin, who.user, site)
    draft = make_inspection(site, 1)
    draft.status = draft.status.DRAFT
    answer = client.post(f"{hq.url}/v1/sync/push", json=push_body(item_json("inspection", draft)), headers=headers(who))
    assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "rejected"
    refusals = [r for r in rows_from(hq, address) if r.reason is not None]
    assert len(refusals) == 1, refusals
    row = refusals[0]
    assert (row.actor, row.action, row.reason, row.count) == (who.user, "POST /v1/sync/push", "not_submitted", 1)
    assert draft.id in row.detail


def test_a_wrong_enrollment_code(hq: HQServer, client: httpx.Client, address: str) -> None:
    sent = {PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
    body = {"code": "ABCD-EFGH", "device_name": "probe"}
    assert client.post(f"{hq.url}/v1/devices/enroll", json=body, headers=sent).status_code == 401
    row = only_row(hq, address)
    assert (row.actor, row.action, row.reason) == ("?", "enroll_failed", "bad_code")


def test_a_flood_of_identical_refusals_is_one_row(hq: HQServer, client: httpx.Client, address: str) -> None:
    sent = {**headers(), "Authorization": f"Bearer {secrets.token_urlsafe(32)}"}
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: client.get(f"{hq.url}/v1/sync/pull", headers=sent).status_code, range(200)))
    assert codes == [401] * 200
    row = only_row(hq, address)
    assert (row.count, row.reason) == (200, "unknown_token")
    assert row.last_at >= row.ts
