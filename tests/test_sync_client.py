"""The device side: credentials, `inspector enroll` / `inspector sync` entry points and `sync_once` against a real
HQ (SQLite) with a real device store."""

from __future__ import annotations

import contextlib
import http.server
import io
import os
import shutil
import stat
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from inspector.core.ids import utcnow
from inspector.core.records import Assignment, EventKind, ProblemEvent, SyncState
from inspector.core.store import Store
from sync.client import (
    PUSH_BUDGET_BYTES,
    HQClient,
    SyncReport,
    batches,
    next_retry_delay,
    sync_once,
)
from sync.commands import enroll_main, sync_main
from sync.credentials import Credentials, CredentialsError, credentials_path, load_credentials, save_credentials
from sync.protocol import MAX_BATCH_ITEMS, Role
from tests.sync_support import (
    HQServer,
    admin,
    admin_put,
    assign,
    enroll,
    expected_ids,
    new_code,
    photo_file,
    server_counts,
    site,
    start_server,
    submit_into,
    unique,
)

__all__ = ["admin", "site"]  # shared fixtures: pytest finds them among this module's names


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQServer]:
    folder = tmp_path_factory.mktemp("hq")
    server = start_server(f"sqlite:///{(folder / 'hq.sqlite3').as_posix()}", folder / "files")
    yield server
    server.close()


@pytest.fixture
def device(hq: HQServer, admin: Credentials, site: str) -> Credentials:
    credentials = enroll(hq, Role.INSPECTOR)
    assign(hq, admin, credentials.user, site)
    return credentials


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "device")
    yield opened
    opened.close()


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- credentials ------------------------------------------------------------------------------------------------


def test_credentials_are_private_and_never_shown(tmp_path: Path) -> None:
    credentials = Credentials(url="http://hq:8080", device_id="d1", token="s3cret-token", user="张三", role="inspector")
    path = save_credentials(tmp_path, credentials)
    assert load_credentials(tmp_path) == credentials
    assert "s3cret-token" not in repr(credentials)
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "张三" in path.read_text(encoding="utf-8")  # UTF-8, readable
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind


def test_missing_and_damaged_credentials(tmp_path: Path) -> None:
    assert load_credentials(tmp_path) is None
    path = credentials_path(tmp_path)
    for damage in ("{not json", '{"url": "http://x"}', '["a list"]', "\udcff"):
        path.write_bytes(damage.encode("utf-8", "surrogateescape"))
        with pytest.raises(CredentialsError) as zh:
            load_credentials(tmp_path)
        assert str(path) in str(zh.value) and "重新绑定" in str(zh.value) and "inspector enroll" in str(zh.value)
        with pytest.raises(CredentialsError) as en:
            load_credentials(tmp_path, lang="en")
        assert str(path) in str(en.value) and "enroll again" in str(en.value)
    path.write_text('{"url": "http://x"}', encoding="utf-8")
    with pytest.raises(CredentialsError, match="device_id"):
        load_credentials(tmp_path, lang="en")


def test_sync_command_tells_of_damaged_files_moved_aside(tmp_path: Path) -> None:
    data_dir = tmp_path / "laptop"
    with Store.open(data_dir) as opened:
        submit_into(opened, "site-1", 3, fail_every=0)
    garbled = next((data_dir / "inspections").glob("*.json"))
    garbled.write_bytes(b'{"meta": {"1": {"kind": "inspec')
    save_credentials(data_dir, Credentials(url=f"http://127.0.0.1:{closed_port()}", device_id="d", token="t"))
    out, err = io.StringIO(), io.StringIO()
    assert sync_main(data_dir, out, err, lang="en") == 2
    assert garbled.name in err.getvalue() and "damaged" in err.getvalue(), err.getvalue()
    assert "HQ unreachable" in err.getvalue()


# --- inspector enroll / inspector sync --------------------------------------------------------------------------


def test_enroll_command_saves_credentials_and_hides_the_token(hq: HQServer, tmp_path: Path) -> None:
    user, code = new_code(hq.db_url, Role.INSPECTOR)
    out, err = io.StringIO(), io.StringIO()
    assert enroll_main(tmp_path, hq.url + "/", code, out, err, lang="en") == 0, err.getvalue()
    saved = load_credentials(tmp_path)
    assert saved is not None and saved.user == user and saved.url == hq.url and saved.role == "inspector"
    assert user in out.getvalue() and saved.token not in out.getvalue() + err.getvalue()
    again_out, again_err = io.StringIO(), io.StringIO()
    assert enroll_main(tmp_path, hq.url, code, again_out, again_err) == 1
    assert "已被使用" in again_err.getvalue()


def test_enroll_command_exit_codes(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert enroll_main(tmp_path, f"http://127.0.0.1:{closed_port()}", "ABCD-EFGH", out, err) == 2
    assert "无法连接总部" in err.getvalue()
    err = io.StringIO()
    assert enroll_main(tmp_path, "hq.example.org", "ABCD-EFGH", out, err, lang="en") == 1
    assert "http://" in err.getvalue()
    assert load_credentials(tmp_path) is None


def test_sync_command_round_and_exit_codes(hq: HQServer, device: Credentials, site: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "laptop"
    out, err = io.StringIO(), io.StringIO()
    assert sync_main(data_dir, out, err, lang="en") == 1 and "not enrolled" in err.getvalue()
    save_credentials(data_dir, device)
    with Store.open(data_dir) as opened:
        submit_into(opened, site, 6, fail_every=3)
    out, err = io.StringIO(), io.StringIO()
    assert sync_main(data_dir, out, err, lang="en") == 0, err.getvalue()
    assert "pushed 5" in out.getvalue()  # 1 inspection, 2 problems, 2 登记 events
    assert device.token not in out.getvalue() + err.getvalue()
    save_credentials(data_dir, Credentials(url=f"http://127.0.0.1:{closed_port()}", device_id="d", token="t"))
    out, err = io.StringIO(), io.StringIO()
    assert sync_main(data_dir, out, err) == 2 and "无法连接总部" in err.getvalue()
    with Store.open(data_dir) as opened:
        assert "无法连接总部" in (opened.sync_status().last_error or "")
    save_credentials(data_dir, Credentials(url=hq.url, device_id="d", token="not-a-token"))
    out, err = io.StringIO(), io.StringIO()
    assert sync_main(data_dir, out, err, lang="en") == 1 and "enroll again" in err.getvalue()


# --- sync_once --------------------------------------------------------------------------------------------------


async def test_a_round_pushes_everything_then_has_nothing_to_do(
    hq: HQServer, device: Credentials, site: str, store: Store, tmp_path: Path
) -> None:
    photo = store.add_attachment(photo_file(tmp_path))
    submit_into(store, site, 9, fail_every=4, photo=photo.sha256)
    submit_into(store, site, 4, fail_every=0)
    report = await sync_once(store, device, lang="en")
    assert report.ok, report.error
    assert (report.pushed, report.duplicates, report.conflicts, report.rejected) == (8, 0, 0, {})
    assert report.photos_uploaded == 1 and report.skew_s is not None and not report.skew_warning
    assert store.pending().count == 0 and store.pending().attachments == []
    assert all(i.sync.state is SyncState.SYNCED and i.sync.server_version for i in store.inspections())
    held = server_counts(hq.db_url, device.device_id)
    assert {k: held[k] for k in ("inspections", "problems", "events")} == expected_ids(store)
    status = store.sync_status()
    assert status.cursor and status.last_success and status.last_error is None and status.server_url == hq.url
    second = await sync_once(store, device)
    assert (second.pushed, second.pulled, second.photos_uploaded) == (0, 0, 0) and second.ok
    assert "上传 0 条" in second.summary("zh") and "pushed 0" in second.summary("en")


async def test_a_refused_record_is_marked_with_the_reason_and_not_resent(
    hq: HQServer, device: Credentials, site: str, store: Store
) -> None:
    _, problems = submit_into(store, site, 3, fail_every=3)
    await sync_once(store, device)
    problem = store.problem(problems[0].id)
    problem.events.append(ProblemEvent(problem_id=problem.id, kind=EventKind.CLOSE, actor=device.user))
    store.save_problem(problem, mark_dirty=False)
    report = await sync_once(store, device, lang="en")
    closing = problem.events[-1].id
    assert report.ok and list(report.rejected) == [closing] and "reviewer" in report.rejected[closing]
    kept = next(e for e in store.problem(problem.id).events if e.id == closing)
    assert kept.sync.state is SyncState.REJECTED and "reviewer" in (kept.sync.message or "")
    assert store.pending().count == 0
    assert (await sync_once(store, device)).rejected == {}


async def test_pull_brings_sites_and_problems_found_by_others_with_their_photos(
    hq: HQServer, admin: Credentials, device: Credentials, site: str, store: Store, tmp_path: Path
) -> None:
    colleague = enroll(hq, Role.INSPECTOR)
    with Store.open(tmp_path / "colleague") as other:
        photo = other.add_attachment(photo_file(tmp_path / "p"))
        _, problems = submit_into(other, site, 3, fail_every=3, photo=photo.sha256)
        assert (await sync_once(other, colleague)).ok
    report = await sync_once(store, device)
    assert report.ok and report.pulled >= 2
    assert site in {s.id for s in store.sites()}
    pulled = store.problem(problems[0].id)
    assert pulled.events and pulled.events[0].server_order
    assert report.photos_downloaded == 1 and store.attachment_path(photo.sha256).read_bytes()[:4] == b"\x89PNG"


async def test_a_wrong_clock_is_reported_not_trusted(
    hq: HQServer, device: Credentials, site: str, store: Store
) -> None:
    submit_into(store, site, 3, fail_every=3)
    report = await sync_once(store, device, clock=lambda: utcnow() + timedelta(days=1))
    assert report.ok and report.skew_s is not None and abs(report.skew_s + 86400) < 120
    assert report.skew_warning and "ahead" in report.skew_text("en") and "快" in report.skew_text("zh")
    assert abs((store.sync_status().clock_offset_s or 0) + 86400) < 120


def _mock_client(status: int, body: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(status, json=body)))


async def test_server_errors_mean_retry_later_and_4xx_means_a_person(store: Store) -> None:
    credentials = Credentials(url="http://hq.invalid", device_id="d", token="t")
    async with _mock_client(503, {"error": "busy", "message": "database busy"}) as client:
        busy = await sync_once(store, credentials, client=client, lang="en")
    assert busy.unreachable and busy.error and "503" in busy.error
    async with _mock_client(401, {"error": "revoked", "message": "revoked on 2026-05-01"}) as client:
        revoked = await sync_once(store, credentials, client=client, lang="en")
    assert not revoked.unreachable and revoked.error and "revoked" in revoked.error
    async with _mock_client(200, {"unexpected": "shape"}) as client:
        odd = await sync_once(store, credentials, client=client, lang="en")
    assert odd.error and "could not be understood" in odd.error and not odd.unreachable
    assert store.sync_status().last_error == odd.error


async def test_unreachable_hq_keeps_everything_pending(site: str, store: Store) -> None:
    submit_into(store, site, 3, fail_every=3)
    before = store.pending().count
    credentials = Credentials(url=f"http://127.0.0.1:{closed_port()}", device_id="d", token="t")
    report = await sync_once(store, credentials, lang="en")
    assert report.unreachable and "unreachable" in (report.error or "")
    assert store.pending().count == before


def test_retry_delays_back_off_with_jitter_and_a_cap() -> None:
    assert next_retry_delay(0) == 0
    for failures in range(1, 12):
        delay = next_retry_delay(failures)
        ceiling = min(300.0, 5.0 * 2 ** (failures - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert next_retry_delay(50) <= 300


def test_batches_respect_item_and_byte_limits() -> None:
    small = [("event", str(n), "r", b"x" * 100) for n in range(1201)]
    sizes = [len(b) for b in batches(small)]
    assert sizes == [MAX_BATCH_ITEMS, MAX_BATCH_ITEMS, 201]
    big = [("inspection", str(n), "r", b"x" * (PUSH_BUDGET_BYTES // 3)) for n in range(7)]
    grouped = batches(big)
    assert [len(b) for b in grouped] == [2, 2, 2, 1]
    assert all(sum(len(i[3]) for i in b) <= PUSH_BUDGET_BYTES for b in grouped)
    assert [i[1] for b in grouped for i in b] == [str(n) for n in range(7)]


def test_report_summary_names_every_count() -> None:
    report = SyncReport(pushed=3, duplicates=2, conflicts=1, rejected={"x": "no"}, pulled=7, photos_uploaded=4)
    assert report.summary("en") == ("pushed 3, duplicates 2, conflicts 1, rejected 1, pulled 7, photos 4 up / 0 down")
    assert "冲突 1 条" in report.summary()


async def test_hq_client_sends_the_protocol_and_language_headers() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        hq = HQClient("http://hq/", "tok", client=client, lang="en")
        assert await hq.has_attachment("a" * 64) is False
    assert seen[0].url == httpx.URL(f"http://hq/v1/attachments/{'a' * 64}")
    assert seen[0].headers["X-Inspector-Protocol"] == "1" and seen[0].headers["Authorization"] == "Bearer tok"
    assert seen[0].headers["Accept-Language"] == "en"


# --- assignments ------------------------------------------------------------------------------------------------


async def test_an_admins_assignment_reaches_the_device_and_an_ended_one_leaves_it(
    hq: HQServer, admin: Credentials, device: Credentials, site: str, store: Store
) -> None:
    extra = unique("site")
    admin_put(hq, admin, "sites", {"sites": [{"id": extra, "name": "光明街", "site_type": "背街小巷"}]})
    batch = "2026 第 9 期督查（创文）"
    admin_put(hq, admin, "assignments", {"assignments": [{"user": device.user, "site_id": extra, "batch": batch}]})
    assert (await sync_once(store, device)).ok
    assert store.assigned_site_ids(device.user) == {site, extra}
    assert store.assigned_site_ids() == {site, extra}  # an inspector is sent only its own
    assert {a.batch for a in store.assignments() if a.site_id == extra} == {batch}
    ended = {"user": device.user, "site_id": extra, "batch": batch, "active": False}
    admin_put(hq, admin, "assignments", {"assignments": [ended]})
    report = await sync_once(store, device)
    assert report.ok and report.pulled >= 1
    assert store.assigned_site_ids(device.user) == {site}
    store.close()
    with Store.open(store.data_dir) as reopened:
        assert [(a.user, a.site_id) for a in reopened.assignments()] == [(device.user, site)]


async def test_a_pull_from_the_start_drops_assignments_hq_no_longer_has(
    hq: HQServer, device: Credentials, site: str, store: Store
) -> None:
    stale = Assignment(id="gone", user=device.user, site_id="site-from-another-hq")
    store.apply_pulled(sites=[], checklists=[], problems=[], cursor="another-epoch:5", assignments=[stale])
    report = await sync_once(store, device)  # HQ does not know the cursor: it asks for a pull from the start
    assert report.ok, report.error
    assert store.assigned_site_ids() == {site}
    assert store.sync_status().cursor != "another-epoch:5"


# --- photos HQ refuses ------------------------------------------------------------------------------------------


def _attachment_calls(log: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(method, path) for method, path in log if path.startswith("/v1/attachments/")]


def _logging_client(log: list[tuple[str, str]]) -> httpx.AsyncClient:
    async def note(request: httpx.Request) -> None:
        log.append((request.method, request.url.path))

    return httpx.AsyncClient(event_hooks={"request": [note]})


async def test_a_photo_hq_refuses_is_reported_once_and_never_resent(
    hq: HQServer, device: Credentials, site: str, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "楼道.png"
    fake.write_bytes(b"this is a text file, not a PNG " + unique("x").encode())
    # The store now types a photo by its bytes and would refuse this one; a store of an older version went by the
    # suffix, so such a file can still be pending. Stand for it by letting the store's sniff say PNG.
    monkeypatch.setattr("inspector.core.store.photos.sniff", lambda head: "image/png")
    photo = store.add_attachment(fake)
    submit_into(store, site, 3, fail_every=3, photo=photo.sha256)
    log: list[tuple[str, str]] = []
    async with _logging_client(log) as client:
        first = await sync_once(store, device, client=client, lang="en")
    assert first.ok, first.error
    assert first.pushed == 3  # the records still go
    assert list(first.rejected) == [photo.sha256] and "415" in first.rejected[photo.sha256]
    assert "not a known image type" in first.rejected[photo.sha256]
    assert _attachment_calls(log).count(("PUT", f"/v1/attachments/{photo.sha256}")) == 1
    assert store.pending().attachments == []
    assert [(a.sha256, a.rejected) for a in store.rejected_attachments()] == [
        (photo.sha256, first.rejected[photo.sha256])
    ]
    submit_into(store, site, 3, fail_every=3, photo=photo.sha256)  # HQ will name it missing again: still not sent
    log.clear()
    async with _logging_client(log) as client:
        second = await sync_once(store, device, client=client, lang="en")
    assert second.ok and second.pushed == 3 and second.rejected == {}
    assert log and _attachment_calls(log) == []


async def test_a_photo_hq_already_holds_is_not_read_again(
    hq: HQServer, device: Credentials, site: str, store: Store, tmp_path: Path
) -> None:
    photo = store.add_attachment(photo_file(tmp_path))
    submit_into(store, site, 3, fail_every=3, photo=photo.sha256)
    assert (await sync_once(store, device)).ok
    store.mark_all_unsynced()  # as after enrolling again: everything goes once more, photos included
    store.attachment_path(photo.sha256).unlink()  # whatever is on disk now, HQ's copy is what counts
    log: list[tuple[str, str]] = []
    async with _logging_client(log) as client:
        again = await sync_once(store, device, client=client, lang="en")
    assert again.ok and again.rejected == {}, again
    assert _attachment_calls(log) == [("HEAD", f"/v1/attachments/{photo.sha256}")]
    assert store.pending().attachments == []


async def test_a_photo_damaged_on_this_laptop_is_refused_for_good(
    hq: HQServer, device: Credentials, site: str, store: Store, tmp_path: Path
) -> None:
    photo = store.add_attachment(photo_file(tmp_path))
    store.attachment_path(photo.sha256).write_bytes(photo_file(tmp_path, "other.png").read_bytes())
    submit_into(store, site, 3, fail_every=3, photo=photo.sha256)
    report = await sync_once(store, device, lang="en")
    assert report.ok and "damaged" in report.rejected[photo.sha256]
    assert store.attachment(photo.sha256).rejected == report.rejected[photo.sha256]
    assert (await sync_once(store, device)).rejected == {}


def _photo_answers(put_status: int, put_error: str, log: list[str]) -> httpx.AsyncClient:
    """HQ lacks every photo and answers its PUT with `put_status`; anything else gets 503 (the round ends)."""

    def answer(request: httpx.Request) -> httpx.Response:
        log.append(request.method)
        if request.method == "HEAD":
            return httpx.Response(404)
        if request.method == "PUT":
            return httpx.Response(put_status, json={"error": put_error, "message": f"refused: {put_error}"})
        return httpx.Response(503, json={"error": "busy", "message": "busy"})

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


@pytest.mark.parametrize(
    ("status", "error", "final"),
    [
        (415, "bad_type", True),
        (413, "too_large", True),
        (422, "hash_mismatch", False),  # the bytes here match their hash: damaged on the way, worth another try
        (429, "slow_down", False),
        (404, "not_found", False),
    ],
)
async def test_which_photo_answers_are_final(
    store: Store, tmp_path: Path, status: int, error: str, final: bool
) -> None:
    photo = store.add_attachment(photo_file(tmp_path))
    credentials = Credentials(url="http://hq.invalid", device_id="d", token="t")
    log: list[str] = []
    async with _photo_answers(status, error, log) as client:
        report = await sync_once(store, credentials, client=client, lang="en")
    assert error in report.rejected[photo.sha256] and log.count("PUT") == 1
    assert (store.pending().attachments == []) is final
    assert (store.attachment(photo.sha256).rejected is not None) is final


async def test_a_photo_too_large_for_hq_is_refused_without_sending_it(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.client.round

    photo = store.add_attachment(photo_file(tmp_path))
    monkeypatch.setattr(sync.client.round, "MAX_ATTACHMENT_BYTES", photo.size - 1)
    credentials = Credentials(url="http://hq.invalid", device_id="d", token="t")
    log: list[str] = []
    async with _photo_answers(201, "", log) as client:
        report = await sync_once(store, credentials, client=client, lang="en")
    assert "too large" in report.rejected[photo.sha256] and "PUT" not in log and "HEAD" not in log
    assert store.pending().attachments == [] and store.rejected_attachments()[0].sha256 == photo.sha256


# --- another HQ, a restored HQ, the demo sites ------------------------------------------------------------------


def _sqlite_server(folder: Path) -> HQServer:
    folder.mkdir(parents=True, exist_ok=True)
    return start_server(f"sqlite:///{(folder / 'hq.sqlite3').as_posix()}", folder / "files")


def _held(server: HQServer, credentials: Credentials) -> dict[str, list[str]]:
    held = server_counts(server.db_url, credentials.device_id)
    return {k: held[k] for k in ("inspections", "problems", "events")}


async def test_enrolling_with_another_hq_sends_it_everything_and_the_first_hq_only_duplicates(
    store: Store, tmp_path: Path
) -> None:
    first, second = _sqlite_server(tmp_path / "a"), _sqlite_server(tmp_path / "b")
    try:
        at_first = enroll(first, Role.INSPECTOR)
        photo = store.add_attachment(photo_file(tmp_path / "p"))
        submit_into(store, "site-1", 6, fail_every=3, photo=photo.sha256)
        report = await sync_once(store, at_first, lang="en")
        assert report.ok and report.pushed == 5 and report.photos_uploaded == 1, report.error
        rows_at_first = server_counts(first.db_url, at_first.device_id)["rows"]

        at_second = enroll(second, Role.INSPECTOR)  # the laptop is enrolled again, with another HQ
        report = await sync_once(store, at_second, lang="en")
        assert report.ok, report.error
        assert (report.pushed, report.duplicates, report.photos_uploaded) == (5, 0, 1)
        assert _held(second, at_second) == expected_ids(store)
        assert store.pending().count == 0 and store.sync_status().server_url == second.url

        report = await sync_once(store, at_first, lang="en")  # and back: HQ A already holds every record
        assert report.ok, report.error
        assert (report.pushed, report.duplicates) == (0, 5)
        assert server_counts(first.db_url, at_first.device_id)["rows"] == rows_at_first
        assert _held(first, at_first) == expected_ids(store)
    finally:
        first.close()
        second.close()


async def test_an_hq_restored_from_a_backup_gets_everything_again_in_the_same_round(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "hq"
    server = _sqlite_server(folder)
    try:
        device = enroll(server, Role.INSPECTOR)
        server.stop()
        backup = tmp_path / "backup"
        backup.mkdir()
        for part in folder.glob("hq.sqlite3*"):
            shutil.copy2(part, backup / part.name)
        server.start()
        submit_into(store, "site-1", 6, fail_every=3)
        assert (await sync_once(store, device)).pushed == 5
        server.stop()
        for part in folder.glob("hq.sqlite3*"):
            part.unlink()
        for part in backup.iterdir():
            shutil.copy2(part, folder / part.name)
        server.start()
        assert _held(server, device)["inspections"] == []  # the restore lost the round above

        report = await sync_once(store, device, lang="en")  # HQ answers the pull with reset_required
        assert report.ok, report.error
        assert report.pushed == 5
        assert _held(server, device) == expected_ids(store)
        assert store.pending().count == 0
    finally:
        server.close()


async def test_the_first_pull_from_hq_drops_the_demo_sites(
    hq: HQServer, device: Credentials, site: str, store: Store
) -> None:
    from inspector.core.records import Inspection, Site

    store.put_sites([Site(id="demo-limin", name="利民小区", site_type="楼院")])
    tried = Inspection(site_id="demo-limin", checklist_id="residential", checklist_version="2026.1")
    store.save_inspection(tried)
    report = await sync_once(store, device)
    assert report.ok, report.error
    assert "demo-limin" not in {s.id for s in store.sites()} and site in {s.id for s in store.sites()}
    assert store.inspection(tried.id).site_id == "demo-limin"  # what was done on a demo site stays
    store.put_sites([Site(id="demo-limin", name="利民小区", site_type="楼院")])
    assert (await sync_once(store, device)).ok  # a later round pulls changes only: nothing is dropped
    assert "demo-limin" in {s.id for s in store.sites()}


# --- enrolling at an address that is not HQ ---------------------------------------------------------------------


@contextlib.contextmanager
def _not_hq(status: int, body: bytes, content_type: str = "text/html") -> Iterator[str]:
    """A web server that is not HQ, answering every POST with `status` and `body`."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "body"),
    [(404, b"<html>Not Found</html>"), (501, b"<html>Unsupported method</html>"), (200, b"<html>router</html>")],
)
def test_enrolling_with_a_server_that_is_not_hq_says_so(tmp_path: Path, status: int, body: bytes) -> None:
    with _not_hq(status, body) as url:
        out, err = io.StringIO(), io.StringIO()
        assert enroll_main(tmp_path, url, "ABCD-EFGH", out, err) == 1
        assert "这个地址不是 Inspector 总部" in err.getvalue() and url in err.getvalue()
        assert "同步" not in err.getvalue()
        err = io.StringIO()
        assert enroll_main(tmp_path, url, "ABCD-EFGH", out, err, lang="en") == 1
        assert "This address is not an Inspector HQ" in err.getvalue()
    assert load_credentials(tmp_path) is None


def test_enrolling_with_an_unreachable_hq_asks_to_check_the_address(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    out, err = io.StringIO(), io.StringIO()
    assert enroll_main(tmp_path, url, "ABCD-EFGH", out, err) == 2
    assert "无法连接总部" in err.getvalue() and "网络" in err.getvalue() and "地址" in err.getvalue()
    assert "稍后会自动重试" not in err.getvalue()
    err = io.StringIO()
    assert enroll_main(tmp_path, url, "ABCD-EFGH", out, err, lang="en") == 2
    assert "network" in err.getvalue() and "try again later" not in err.getvalue()
    with _not_hq(503, b'{"error": "busy", "message": "database busy"}', "application/json") as busy:
        err = io.StringIO()
        assert enroll_main(tmp_path, busy, "ABCD-EFGH", out, err) == 2
        assert "503" in err.getvalue() and "稍后会自动重试" not in err.getvalue()
