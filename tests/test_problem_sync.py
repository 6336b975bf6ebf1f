"""Problems through HQ with several devices: decisions reach the field, and concurrent actions lose nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.core.problems import ProblemStatus, fold
from inspector.core.records import DeadlineKind, DeadlineRule, EventKind, SyncState
from inspector.core.store import Store
from inspector.core.submission import RecheckOutcome, assign_events, recheck_events, void_events
from sync.client import sync_once
from sync.credentials import Credentials
from sync.protocol import Role
from tests.sync_support import (
    BACKENDS,
    HQServer,
    admin_put,
    assign,
    backend_url,
    enroll,
    field_sites,
    photo_file,
    postgres_url,
)
from tests.test_tui_ledger import submit_with_failures

__all__ = ["postgres_url"]  # a fixture: pytest finds it among this module's names

SITE = "demo-limin"


@pytest.fixture(params=BACKENDS)
def hq(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HQServer]:
    folder = tmp_path / "hq"
    folder.mkdir()
    server = HQServer(backend_url(request, request.param, folder), folder / "files").start()
    yield server
    server.close()


class Device:
    def __init__(self, folder: Path, credentials: Credentials) -> None:
        self.store = Store.open(folder)
        self.store.put_sites(field_sites())
        self.credentials = credentials

    async def sync(self) -> None:
        report = await sync_once(self.store, self.credentials)
        assert report.ok, report.error

    def problem(self, problem_id: str):  # type: ignore[no-untyped-def]
        return self.store.problem(problem_id)


@pytest.fixture
def devices(hq: HQServer, tmp_path: Path) -> Iterator[tuple[Device, Device, Device]]:
    admin = enroll(hq, Role.ADMIN)
    site = next(s for s in field_sites() if s.id == SITE)
    admin_put(hq, admin, "sites", {"sites": [{"id": site.id, "name": site.name, "site_type": site.site_type}]})
    inspector = enroll(hq, Role.INSPECTOR)
    assign(hq, admin, inspector.user, SITE)
    made = (
        Device(tmp_path / "inspector", inspector),
        Device(tmp_path / "reviewer-1", enroll(hq, Role.REVIEWER)),
        Device(tmp_path / "reviewer-2", enroll(hq, Role.REVIEWER)),
    )
    yield made
    for device in made:
        device.store.close()


async def test_hq_decisions_reach_the_inspectors_ledger(devices: tuple[Device, Device, Device]) -> None:
    field, office, _ = devices
    (problem_id,) = submit_with_failures(field.store, SITE, 1)
    await field.sync()
    await office.sync()
    rule = DeadlineRule(kind=DeadlineKind.WORKDAYS, n=3)
    (result,) = assign_events([office.problem(problem_id)], "利民社区居委会", rule, office.credentials.user, "r1")
    assert result.ok
    office.store.save_problem(result.problem)
    await office.sync()
    await field.sync()
    view = fold(field.problem(problem_id))
    assert view.status is ProblemStatus.ASSIGNED
    assert view.responsible_unit == "利民社区居委会" and view.deadline == rule
    assign_event = next(e for e in field.problem(problem_id).events if e.kind is EventKind.ASSIGN)
    assert assign_event.server_order is not None and assign_event.actor == office.credentials.user


async def test_two_reviewers_at_once_lose_no_event_and_the_late_one_is_a_conflict(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    field, first, second = devices
    (problem_id,) = submit_with_failures(field.store, SITE, 1)
    await field.sync()
    await first.sync()
    await second.sync()
    # Both reviewers act on the same 登记 problem without seeing each other: one voids it (误报), the other
    # assigns it. Whichever HQ numbers second is illegal after the first; HQ keeps it and flags it.
    (voided,) = void_events([first.problem(problem_id)], first.credentials.user, "r1", note="误报")
    first.store.save_problem(voided.problem)
    rule = DeadlineRule(kind=DeadlineKind.DAYS, n=5)
    (assigned,) = assign_events([second.problem(problem_id)], "物业", rule, second.credentials.user, "r2")
    second.store.save_problem(assigned.problem)
    await first.sync()
    report = await sync_once(second.store, second.credentials)
    assert report.ok and report.conflicts == 1, report
    for device in devices:
        await device.sync()
        problem = device.problem(problem_id)
        kinds = sorted(e.kind.value for e in problem.events)
        assert kinds == sorted(["register", "void", "assign"]), kinds  # every event kept, once
        view = fold(problem)
        assert view.status is ProblemStatus.VOID  # the fold follows HQ's order
        assert [c.event.kind for c in view.conflicts] == [EventKind.ASSIGN]  # flagged for a reviewer
    late = next(e for e in second.problem(problem_id).events if e.kind is EventKind.ASSIGN)
    assert late.sync.state is SyncState.CONFLICT or late.conflict


async def test_a_field_recheck_racing_an_office_void_keeps_both(
    devices: tuple[Device, Device, Device], tmp_path: Path
) -> None:
    field, office, _ = devices
    (problem_id,) = submit_with_failures(field.store, SITE, 1)
    await field.sync()
    await office.sync()
    # Offline in the field: 复查 finds it fixed (two events, with the after-photo) ...
    photo = field.store.add_attachment(photo_file(tmp_path, "after.png"))
    events = recheck_events(
        field.problem(problem_id), RecheckOutcome.FIXED, "已清理", [photo.sha256], "field", field.store.device_id
    )
    problem = field.problem(problem_id)
    field.store.save_problem(problem.model_copy(update={"events": [*problem.events, *events]}))
    # ... while the office voids it and syncs first.
    (voided,) = void_events([office.problem(problem_id)], office.credentials.user, "r1")
    office.store.save_problem(voided.problem)
    await office.sync()
    await field.sync()
    await office.sync()
    for device in (field, office):
        problem = device.problem(problem_id)
        assert {e.id for e in events} <= {e.id for e in problem.events}  # the field's work is not lost
        view = fold(problem)
        assert view.status is ProblemStatus.VOID
        assert {c.event.kind for c in view.conflicts} >= {EventKind.SUBMIT_FIX}
    assert field.store.pending().count == 0
