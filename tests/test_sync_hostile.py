"""Answers that are not HQ's word: a captive portal's blanket 200, a push answer about records never sent, an
answer lost after HQ said it lacks a photo; and refusals of the first request (a bodiless HEAD) worded as HQ meant.

The client talks to the real HQ over loopback through a transport that stands in for what sits on the way (a hotel
Wi-Fi sign-in page, a broken proxy): each case fails if the client takes such an answer for HQ's."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from inspector.core.ids import utcnow
from inspector.core.records import SyncState
from inspector.core.store import Store
from sync.client import sync_once
from sync.credentials import Credentials
from sync.hq.db import Database
from sync.hq.db.models import attachments
from sync.hq.services.users import revoke_user
from sync.protocol import PROTOCOL_HEADER, Role
from tests.sync_support import (
    BACKENDS,
    HQServer,
    admin,
    assign,
    backend_url,
    enroll,
    photo_file,
    postgres_url,
    site,
    start_server,
    submit_into,
)

Rewrite = Callable[[httpx.Request, httpx.Response | None], httpx.Response | None]


__all__ = ["admin", "postgres_url", "site"]  # shared fixtures: pytest finds them among this module's names


@pytest.fixture(scope="module", params=BACKENDS)
def hq(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQServer]:
    folder = tmp_path_factory.mktemp("hq")
    server = start_server(backend_url(request, request.param, folder), folder / "files")
    yield server
    server.close()


@pytest.fixture
def device(hq: HQServer, admin: Credentials, site: str) -> tuple[Credentials, str]:
    credentials = enroll(hq, Role.INSPECTOR)
    assign(hq, admin, credentials.user, site)
    return credentials, site


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "device")
    yield opened
    opened.close()


def on_the_way(before: Callable[[httpx.Request], httpx.Response | None], after: Rewrite) -> httpx.AsyncClient:
    """A client whose requests pass through `before` (which may answer instead of HQ) and `after` (which may
    replace HQ's answer) on their way to the real server."""
    real = httpx.AsyncClient()

    async def handle(request: httpx.Request) -> httpx.Response:
        answer = before(request)
        if answer is not None:
            return answer
        forwarded = await real.send(
            real.build_request(request.method, request.url, headers=request.headers, content=request.content)
        )
        body = await forwarded.aread()
        response = httpx.Response(forwarded.status_code, headers=forwarded.headers, content=body)
        replaced = after(request, response)
        return replaced if replaced is not None else response

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


async def test_a_captive_portals_200_is_not_taken_for_hq_holding_the_photo(
    hq: HQServer, device: tuple[Credentials, str], store: Store, tmp_path: Path
) -> None:
    credentials, site = device
    photo = store.add_attachment(photo_file(tmp_path))
    submit_into(store, site, 2, fail_every=2, photo=photo.sha256)

    def portal(request: httpx.Request) -> httpx.Response | None:
        if request.method == "HEAD":
            return httpx.Response(200, headers={"content-type": "text/html"}, content=b"")
        return None

    async with on_the_way(portal, lambda request, response: None) as client:
        first = await sync_once(store, credentials, client=client, lang="en")
    assert not first.ok and first.unreachable and "sign-in page" in (first.error or "")
    assert [a.sha256 for a in store.pending().attachments] == [photo.sha256]  # not marked uploaded
    assert store.pending().inspections  # and no record marked synced

    second = await sync_once(store, credentials, lang="en")  # the real network again
    assert second.ok, second.error
    assert second.photos_uploaded == 1 and store.pending().count == 0 and store.pending().attachments == []
    assert any(hq.files.rglob(f"{photo.sha256}*"))  # the bytes are at HQ


async def test_push_results_naming_records_never_sent_are_a_clean_error_and_mark_nothing(
    hq: HQServer, device: tuple[Credentials, str], store: Store
) -> None:
    credentials, site = device
    submit_into(store, site, 2, fail_every=0)

    def forged(request: httpx.Request, response: httpx.Response | None) -> httpx.Response | None:
        if request.url.path != "/v1/sync/push" or response is None or response.status_code != 200:
            return None
        answer = json.loads(response.content)
        answer["results"][0]["id"] = "someone-elses-inspection"
        return httpx.Response(200, headers={"content-type": "application/json"}, content=json.dumps(answer).encode())

    async with on_the_way(lambda request: None, forged) as client:
        report = await sync_once(store, credentials, client=client, lang="en")
    assert not report.ok and "did not send (someone-elses-inspection)" in (report.error or "")
    assert "StoreError" not in (report.error or "")
    assert all(i.sync.state is not SyncState.SYNCED for i in store.inspections())
    again = await sync_once(store, credentials)
    assert again.ok and store.pending().count == 0


def lost(request: httpx.Request, response: httpx.Response | None) -> httpx.Response | None:
    """HQ committed the push; its answer never reaches the laptop."""
    if request.url.path == "/v1/sync/push":
        raise httpx.ReadError("connection reset by peer", request=request)
    return None


async def test_a_captive_portal_then_a_lost_push_answer_ends_with_the_photo_at_hq(
    hq: HQServer, device: tuple[Credentials, str], store: Store, tmp_path: Path
) -> None:
    credentials, site = device
    photo = store.add_attachment(photo_file(tmp_path))
    submit_into(store, site, 2, fail_every=2, photo=photo.sha256)

    def portal(request: httpx.Request) -> httpx.Response | None:
        if request.method == "HEAD":
            return httpx.Response(200, headers={"content-type": "text/html"}, content=b"")
        return None

    async with on_the_way(portal, lost) as client:
        assert not (await sync_once(store, credentials, client=client)).ok
    async with on_the_way(lambda request: None, lost) as client:  # the photo goes; the push answer is lost
        assert not (await sync_once(store, credentials, client=client)).ok
    for _ in range(2):
        report = await sync_once(store, credentials, lang="en")
        assert report.ok, report.error
    assert store.pending().count == 0 and store.pending().attachments == []
    assert held_at_hq(hq, photo.sha256)


def held_at_hq(hq: HQServer, sha: str) -> bool:
    db = Database(hq.db_url)
    try:
        with db.engine.connect() as conn:
            row = conn.execute(attachments.select().where(attachments.c.sha256 == sha)).first()
    finally:
        db.dispose()
    return row is not None and any(hq.files.rglob(f"{sha}*"))


def hq_loses(hq: HQServer, sha: str) -> None:
    """What a restore from an older backup does to a photo: HQ no longer has it."""
    db = Database(hq.db_url)
    try:
        with db.engine.begin() as conn:
            conn.execute(attachments.delete().where(attachments.c.sha256 == sha))
    finally:
        db.dispose()
    for path in hq.files.rglob(f"{sha}*"):
        path.unlink()


async def test_a_record_naming_a_photo_hq_lacks_stays_pending_until_hq_confirms_the_photo(
    hq: HQServer, device: tuple[Credentials, str], store: Store, tmp_path: Path
) -> None:
    credentials, site = device
    photo = store.add_attachment(photo_file(tmp_path))
    submit_into(store, site, 2, fail_every=2, photo=photo.sha256)
    assert (await sync_once(store, credentials)).ok
    hq_loses(hq, photo.sha256)
    inspection, _ = submit_into(store, site, 2, fail_every=2, photo=photo.sha256)  # the same photo, believed at HQ

    def no_uploads(request: httpx.Request) -> httpx.Response | None:
        if request.method == "PUT":
            raise httpx.ConnectError("network gone", request=request)
        return None

    async with on_the_way(no_uploads, lambda request, response: None) as client:
        cut = await sync_once(store, credentials, client=client)
    assert not cut.ok and cut.unreachable
    assert store.inspection(inspection.id).sync.state is SyncState.DIRTY  # HQ lacks a photo it names
    assert [a.sha256 for a in store.pending().attachments] == [photo.sha256]  # offered again
    report = await sync_once(store, credentials, lang="en")
    assert report.ok, report.error
    assert store.pending().count == 0 and store.pending().attachments == []
    assert held_at_hq(hq, photo.sha256)


def revoke(hq: HQServer, user: str) -> None:
    db = Database(hq.db_url)
    try:
        revoke_user(db, user, now=utcnow())
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("case", "zh", "en"),
    [
        ("revoked", "本机已被总部停用", "HQ has revoked this device"),
        ("unknown_token", "总部不认识本机的凭据", "HQ does not know this device"),
        ("protocol_mismatch", "同步协议版本不一致", "different sync protocol versions"),
    ],
)
async def test_a_refused_photo_question_is_worded_as_hq_meant_it(
    hq: HQServer, device: tuple[Credentials, str], store: Store, tmp_path: Path, case: str, zh: str, en: str
) -> None:
    """With a photo pending the round's first request is a HEAD, whose answer has no body to carry HQ's reason."""
    credentials, site = device
    photo = store.add_attachment(photo_file(tmp_path))
    submit_into(store, site, 2, fail_every=2, photo=photo.sha256)
    before = store.pending().count
    if case == "revoked":
        revoke(hq, credentials.user)
    elif case == "unknown_token":
        credentials = Credentials(url=credentials.url, device_id=credentials.device_id, token="t" * 43)

    def older_protocol(request: httpx.Request) -> httpx.Response | None:
        if case == "protocol_mismatch":
            request.headers[PROTOCOL_HEADER] = "0"
        return None

    for lang, words in (("zh", zh), ("en", en)):
        async with on_the_way(older_protocol, lambda request, response: None) as client:
            report = await sync_once(store, credentials, client=client, lang=lang)
        assert not report.ok and words in (report.error or ""), report.error
        assert "HTTP 4" not in (report.error or "")
    assert store.pending().count == before and [a.sha256 for a in store.pending().attachments] == [photo.sha256]
