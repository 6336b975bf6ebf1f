"""The TUI's background sync against a real HQ server: on demand (F5), the badge, never blocking the keys."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.core.records import Verdict
from inspector.core.store import Store
from inspector.tui.app import InspectorApp
from inspector.tui.screens.sites import SitesScreen
from inspector.tui.screens.walk import WalkScreen
from sync.credentials import Credentials, save_credentials
from sync.protocol import Role
from tests.sync_support import HQServer, admin_put, assign, enroll, server_counts
from tests.tui_support import open_demo_store, screen_text


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[HQServer]:
    folder = tmp_path / "hq"
    folder.mkdir()
    server = HQServer(f"sqlite:///{(folder / 'hq.sqlite3').as_posix()}", folder / "files").start()
    yield server
    server.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_demo_store(tmp_path / "laptop")
    yield store
    store.close()


def enroll_device(hq: HQServer, store: Store) -> Credentials:
    admin = enroll(hq, Role.ADMIN)
    site = store.site("demo-limin")
    admin_put(hq, admin, "sites", {"sites": [{"id": site.id, "name": site.name, "site_type": site.site_type}]})
    # The laptop holds HQ's copy of the place, as its first sync would bring it: a demo site's walk stays local.
    store.put_sites([site.model_copy(update={"demo": False})])
    credentials = enroll(hq, Role.INSPECTOR)
    assign(hq, admin, credentials.user, site.id)
    save_credentials(store.data_dir, credentials)
    return credentials


async def walk_and_submit(pilot, app: InspectorApp) -> str:  # type: ignore[no-untyped-def]
    await pilot.press("slash", *"lmxq", "enter", "enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, WalkScreen)
    for _ in screen.walk.items:
        await pilot.press("1")
    await pilot.press("f4", "ctrl+s")
    await pilot.pause()
    return screen.walk.inspection.id


async def test_f5_pushes_the_submission_and_the_badge_says_so(hq: HQServer, store: Store) -> None:
    credentials = enroll_device(hq, store)
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        inspection_id = await walk_and_submit(pilot, app)
        assert "待传 1" in screen_text(app)
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        badge = screen_text(app).splitlines()[0]
        assert "已同步" in badge and "待传 0" in badge, badge
    held = server_counts(hq.db_url, credentials.device_id)
    assert inspection_id in held["inspections"]
    assert store.pending().count == 0


async def test_unreachable_hq_is_reported_in_words_and_nothing_is_lost(store: Store) -> None:
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    save_credentials(
        store.data_dir, Credentials(url=f"http://127.0.0.1:{port}", device_id="d", token="t" * 24, user="u")
    )
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await walk_and_submit(pilot, app)
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        badge = screen_text(app).splitlines()[0]
        assert "同步失败" in badge and "待传 1" in badge, badge
    assert store.pending().count == 1
    assert store.sync_status().last_error


async def test_keys_keep_working_while_hq_does_not_answer(store: Store) -> None:
    silent = socket.socket()  # accepts connections (the kernel does) but never answers a byte
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        save_credentials(store.data_dir, Credentials(url=url, device_id="d", token="t" * 24, user="u"))
        app = InspectorApp(store, sync_enabled=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("f5")  # the round now waits on the network ...
            await pilot.pause()
            assert any(w.group == "sync" and w.is_running for w in app.workers)
            await pilot.press("slash", *"lmxq", "enter", "enter")  # ... while the inspector works on
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, WalkScreen)
            await pilot.press("1", "3")
            first, second = screen.walk.items[0].code, screen.walk.items[1].code
            saved = store.inspection(screen.walk.inspection.id).results
            assert saved[first].verdict is Verdict.PASS and saved[second].verdict is Verdict.NA
            assert "同步中" in screen_text(app).splitlines()[0]
            assert any(w.group == "sync" and w.is_running for w in app.workers)
    finally:
        silent.close()


async def test_sites_assigned_by_hq_come_first_and_are_marked(hq: HQServer, store: Store) -> None:
    from sync.client import sync_once

    credentials = enroll_device(hq, store)  # assigns 利民小区 to this inspector
    report = await sync_once(store, credentials)
    assert report.ok, report.error
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        sites = app.screen
        assert isinstance(sites, SitesScreen)
        assert sites._shown[0].id == "demo-limin" or sites._shown[0].name == "利民小区"
        first_row = screen_text(app).splitlines()[5]
        assert "利民小区" in first_row and "任务" in first_row
