"""Sync under faults, on SQLite and PostgreSQL. Every test ends the same way: HQ holds exactly the device's
records — each once, none lost — and the device has nothing left to send."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from inspector.core.ids import utcnow
from inspector.core.problems import ProblemStatus, fold
from inspector.core.records import EventKind, Problem, ProblemEvent, SyncState
from inspector.core.store import Store
from sync.client import SyncReport, sync_once
from sync.credentials import Credentials
from sync.protocol import Role
from tests.sync_support import (
    BACKENDS,
    CuttingProxy,
    HQServer,
    admin_put,
    assign,
    backend_url,
    enroll,
    photo_file,
    postgres_url,
    pull_all,
    server_counts,
    submit_into,
    unique,
)

__all__ = ["postgres_url"]  # a fixture: pytest finds it among this module's names


@pytest.fixture(params=BACKENDS)
def hq(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HQServer]:
    folder = tmp_path / "hq"
    folder.mkdir()
    server = HQServer(backend_url(request, request.param, folder), folder / "files")
    yield server
    server.close()


class Device:
    """A laptop: its own store and its own enrollment."""

    def __init__(self, server: HQServer, folder: Path, credentials: Credentials) -> None:
        self.store = Store.open(folder)
        self.credentials = credentials
        self.server = server
        self.made: dict[str, set[str]] = {"inspections": set(), "problems": set(), "events": set()}

    def submit(self, site: str, items: int, *, fail_every: int, photo: str | None = None) -> list[Problem]:
        inspection, problems = submit_into(self.store, site, items, fail_every=fail_every, photo=photo)
        self.made["inspections"].add(inspection.id)
        self.made["problems"].update(p.id for p in problems)
        self.made["events"].update(e.id for p in problems for e in p.events)
        return problems

    def add_event(self, event: ProblemEvent) -> None:
        problem = self.store.problem(event.problem_id)
        problem.events.append(event)
        self.store.save_problem(problem, mark_dirty=False)
        self.made["events"].add(event.id)

    def close(self) -> None:
        self.store.close()

    def assert_hq_holds_exactly_mine(self) -> None:
        held = server_counts(self.server.db_url, self.credentials.device_id)
        mine = {kind: sorted(ids) for kind, ids in self.made.items()}
        assert {k: held[k] for k in ("inspections", "problems", "events")} == mine
        assert held["rows"] == sum(len(v) for v in mine.values())  # no second copy of anything
        assert self.store.pending().count == 0
        assert all(i.sync.state is SyncState.SYNCED for i in self.store.inspections() if i.is_submitted)


def setup_site(server: HQServer) -> tuple[Credentials, str]:
    admin = enroll(server, Role.ADMIN)
    site = unique("site")
    admin_put(server, admin, "sites", {"sites": [{"id": site, "name": "和平街背街小巷", "site_type": "背街小巷"}]})
    return admin, site


def new_device(server: HQServer, admin: Credentials, site: str, folder: Path) -> Device:
    credentials = enroll(server, Role.INSPECTOR)
    assign(server, admin, credentials.user, site)
    return Device(server, folder, credentials)


def fill(device: Device, site: str, folder: Path, inspections: int = 3) -> None:
    photo = device.store.add_attachment(photo_file(folder, f"{unique('p')}.png"))
    for n in range(inspections):
        device.submit(site, 12, fail_every=4, photo=photo.sha256 if n == 0 else None)


class ForgetfulStore:
    """The device store, except that HQ's answers never arrive (lost on the way back): neither the push results
    nor the pulled pages, which would otherwise tell the device that HQ has its problems."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.forget = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def mark_synced(self, *args: Any, **kwargs: Any) -> None:
        if not self.forget:
            self._store.mark_synced(*args, **kwargs)

    def apply_pulled(self, **kwargs: Any) -> None:
        if not self.forget:
            self._store.apply_pulled(**kwargs)


async def test_the_same_push_five_times(hq: HQServer, tmp_path: Path) -> None:
    hq.start()
    admin, site = setup_site(hq)
    device = new_device(hq, admin, site, tmp_path / "laptop")
    try:
        fill(device, site, tmp_path)
        total = device.store.pending().count
        forgetful = ForgetfulStore(device.store)
        reports: list[SyncReport] = []
        for attempt in range(5):
            forgetful.forget = attempt < 4
            reports.append(await sync_once(forgetful, device.credentials))  # type: ignore[arg-type]
        assert all(r.ok for r in reports)
        assert (reports[0].pushed, reports[0].duplicates) == (total, 0)
        assert [(r.pushed, r.duplicates) for r in reports[1:]] == [(0, total)] * 4
        device.assert_hq_holds_exactly_mine()
    finally:
        device.close()


async def test_connection_cut_after_hq_committed(hq: HQServer, tmp_path: Path) -> None:
    hq.start()
    admin, site = setup_site(hq)
    device = new_device(hq, admin, site, tmp_path / "laptop")
    proxy = CuttingProxy(hq.port)
    try:
        fill(device, site, tmp_path)
        total = device.store.pending().count
        via_proxy = Credentials(url=proxy.url, device_id=device.credentials.device_id, token=device.credentials.token)
        proxy.cut_pushes = 1
        limits = httpx.Limits(max_keepalive_connections=0)  # one connection per request: the proxy sees each
        async with httpx.AsyncClient(limits=limits) as client:
            cut = await sync_once(device.store, via_proxy, client=client, lang="en")
            assert cut.unreachable and proxy.cut_done == 1
            assert device.store.pending().count == total  # the device never heard back: all still pending
            held = server_counts(hq.db_url, device.credentials.device_id)
            assert held["rows"] == total  # ...but HQ had committed them
            retry = await sync_once(device.store, via_proxy, client=client)
        assert retry.ok and (retry.pushed, retry.duplicates) == (0, total)
        device.assert_hq_holds_exactly_mine()
    finally:
        proxy.close()
        device.close()


@pytest.mark.parametrize("stage", ["before_commit", "after_commit"])
async def test_server_killed_mid_push_and_restarted(hq: HQServer, tmp_path: Path, stage: str) -> None:
    marker = tmp_path / "reached"
    hq.start(fault=f"{stage}:{marker}")
    admin, site = setup_site(hq)
    device = new_device(hq, admin, site, tmp_path / "laptop")
    try:
        fill(device, site, tmp_path)
        total = device.store.pending().count
        round_one = asyncio.create_task(sync_once(device.store, device.credentials, lang="en"))
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert time.monotonic() < deadline, hq.log_text()
            assert not round_one.done(), round_one.result()
            await asyncio.sleep(0.05)
        hq.kill()  # SIGKILL while the push transaction is open (or just committed, unanswered)
        first = await round_one
        assert first.unreachable and device.store.pending().count == total
        hq.start()  # the same address, no fault this time
        second = await sync_once(device.store, device.credentials)
        assert second.ok, second.error
        if stage == "before_commit":
            assert (second.pushed, second.duplicates) == (total, 0)  # nothing half-applied survived the kill
        else:
            assert (second.pushed, second.duplicates) == (0, total)
        device.assert_hq_holds_exactly_mine()
    finally:
        device.close()


async def test_a_device_clock_a_day_off(hq: HQServer, tmp_path: Path) -> None:
    hq.start()
    admin, site = setup_site(hq)
    device = new_device(hq, admin, site, tmp_path / "laptop")
    try:
        ahead = timedelta(days=1)
        problem = device.submit(site, 8, fail_every=4)[0]
        device.add_event(ProblemEvent(problem_id=problem.id, kind=EventKind.SUBMIT_FIX, device_time=utcnow() + ahead))
        report = await sync_once(device.store, device.credentials, clock=lambda: utcnow() + ahead)
        assert report.ok and report.skew_warning and report.skew_s is not None and report.skew_s < -80000
        device.assert_hq_holds_exactly_mine()
        # A reviewer with a right clock closes it "a day before" the fix by device time: HQ's order decides.
        reviewer = enroll(hq, Role.REVIEWER)
        with Store.open(tmp_path / "office") as office:
            assert (await sync_once(office, reviewer)).ok
            pulled = office.problem(problem.id)
            pulled.events.append(ProblemEvent(problem_id=problem.id, kind=EventKind.CLOSE, actor=reviewer.user))
            office.save_problem(pulled, mark_dirty=False)
            closing = await sync_once(office, reviewer)
            assert closing.ok and closing.pushed == 1 and closing.conflicts == 0
        final = {p["id"]: p for p in pull_all(hq, reviewer)["problems"]}[problem.id]
        assert fold(Problem.model_validate(final)).status is ProblemStatus.CLOSED
    finally:
        device.close()


async def test_two_devices_pushing_at_once(hq: HQServer, tmp_path: Path) -> None:
    hq.start()
    admin, site = setup_site(hq)
    devices = [new_device(hq, admin, site, tmp_path / f"laptop{n}") for n in range(2)]
    try:
        for n, device in enumerate(devices):
            fill(device, site, tmp_path / f"photos{n}", inspections=6)
        reports = await asyncio.gather(*(sync_once(d.store, d.credentials) for d in devices))
        assert all(r.ok for r in reports), [r.error for r in reports]
        orders: list[int] = []
        for device in devices:
            device.assert_hq_holds_exactly_mine()
            orders += server_counts(hq.db_url, device.credentials.device_id)["event_orders"]
        assert len(orders) == len(set(orders))  # one server order per event, shared by nobody
        reviewer = enroll(hq, Role.REVIEWER)
        seen = [p["id"] for p in pull_all(hq, reviewer)["problems"] if p["site_id"] == site]
        everyone = sorted(p for d in devices for p in d.made["problems"])
        assert sorted(seen) == everyone
    finally:
        for device in devices:
            device.close()
