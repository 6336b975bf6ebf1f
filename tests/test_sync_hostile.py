"""Answers that are not HQ's word: a captive portal's blanket 200, a push answer about records never sent.

The client talks to the real HQ over loopback through a transport that stands in for what sits on the way (a hotel
Wi-Fi sign-in page, a broken proxy): each case fails if the client takes such an answer for HQ's."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from inspector.core.records import SyncState
from inspector.core.store import Store
from sync.client import sync_once
from sync.credentials import Credentials
from sync.protocol import Role
from tests.sync_support import HQServer, admin, assign, enroll, photo_file, site, start_server, submit_into

Rewrite = Callable[[httpx.Request, httpx.Response | None], httpx.Response | None]


__all__ = ["admin", "site"]  # shared fixtures: pytest finds them among this module's names


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQServer]:
    folder = tmp_path_factory.mktemp("hq")
    server = start_server(f"sqlite:///{(folder / 'hq.sqlite3').as_posix()}", folder / "files")
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
