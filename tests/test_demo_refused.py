"""Demo data never reaches HQ: HQ refuses the inspections and problems of demo sites (their `demo` marker) with
「演示点位的检查不上传」, the device shows that once and offers them no more, and nothing else is held back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.core.records import SyncState
from inspector.core.store import Store
from inspector.tui.app import InspectorApp
from inspector.tui.textual_private import notifications
from sync.client import sync_once
from sync.credentials import Credentials, save_credentials
from sync.protocol import Role
from tests.sync_support import (
    HQServer,
    admin_put,
    assign,
    enroll,
    item_json,
    make_inspection,
    make_problem,
    postgres_url,
    push,
    server_counts,
)
from tests.test_problem_sync import hq
from tests.test_tui_ledger import submit_with_failures
from tests.tui_support import open_demo_store, screen_text

__all__ = ["hq", "postgres_url"]  # fixtures: pytest finds it among this module's names

REAL = {"id": "hq-lou-001", "name": "幸福里小区", "site_type": "楼院", "responsible_unit": "幸福里物业"}


@pytest.fixture
def laptop(hq: HQServer, tmp_path: Path) -> Iterator[tuple[Store, Credentials]]:
    """A first-run laptop (the demo sites) enrolled at an HQ that publishes one real site and assigns it."""
    admin = enroll(hq, Role.ADMIN)
    admin_put(hq, admin, "sites", {"sites": [REAL]})
    credentials = enroll(hq, Role.INSPECTOR)
    assign(hq, admin, credentials.user, REAL["id"])
    store = open_demo_store(tmp_path / "laptop")
    store.put_sites([store.site("demo-limin").model_copy(update=REAL | {"demo": False})])
    save_credentials(store.data_dir, credentials)
    yield store, credentials
    store.close()


async def test_hq_refuses_a_demo_walk_once_and_the_real_one_goes_through(
    hq: HQServer, laptop: tuple[Store, Credentials]
) -> None:
    store, credentials = laptop
    assert store.site("demo-jincai").demo and not store.site(REAL["id"]).demo
    demo_problems = submit_with_failures(store, "demo-jincai", 2)
    real_problems = submit_with_failures(store, REAL["id"], 1)
    demo_inspection = store.problem(demo_problems[0]).inspection_id
    assert store.inspection(demo_inspection).demo and all(store.problem(p).demo for p in demo_problems)
    report = await sync_once(store, credentials)
    assert report.ok, report.error
    assert report.rejected[demo_inspection] == "演示点位的检查不上传"
    assert {report.rejected[p] for p in demo_problems} == {"演示点位的检查不上传"}
    assert set(report.rejected.values()) == {"演示点位的检查不上传"}  # events of those problems: the same reason
    held = server_counts(hq.db_url, credentials.device_id)
    assert demo_inspection not in held["inspections"]
    assert not set(demo_problems) & set(held["problems"])
    assert set(real_problems) <= set(held["problems"])  # nothing else held back
    assert store.inspection(demo_inspection).sync.state is SyncState.REJECTED
    # Not offered again, and not pending in the badge, even after more work on the demo problem.
    assert store.pending().count == 0 and store.pending_count() == 0
    problem = store.problem(demo_problems[0])
    from inspector.core.submission import recheck_events

    store.save_problem(
        problem.model_copy(
            update={"events": [*problem.events, *recheck_events(problem, "not_fixed", "", [], "field", "d")]}
        )
    )
    assert store.pending_count() == 0
    again = await sync_once(store, credentials)
    assert again.ok and again.rejected == {} and again.pushed == 0


async def test_the_tui_says_it_once(hq: HQServer, laptop: tuple[Store, Credentials]) -> None:
    store, _ = laptop
    submit_with_failures(store, "demo-jincai", 2)
    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "待传 5" in screen_text(app)  # the inspection, two problems, their two 登记: not yet refused
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        notices = [str(n.message) for n in notifications(app)]
        refusals = [m for m in notices if "演示点位的检查不上传" in m]
        assert len(refusals) == 1, notices
        assert "待传 0" in screen_text(app).splitlines()[0]
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len([n for n in notifications(app) if "演示点位" in str(n.message)]) == 1  # not again


def test_hq_refuses_a_demo_record_over_http_whoever_sends_it(hq: HQServer) -> None:
    """An older laptop, or a script: the marker on the record is enough, whatever the site."""
    admin = enroll(hq, Role.ADMIN)
    admin_put(hq, admin, "sites", {"sites": [REAL]})
    inspection = make_inspection(REAL["id"], 6, fail_every=3).model_copy(update={"demo": True})
    problem = make_problem(inspection, "LY-1-1").model_copy(update={"demo": True})
    answer = push(
        hq,
        admin,
        item_json("inspection", inspection),
        item_json("problem", problem),
        item_json("event", problem.events[0]),
    )
    assert [r["status"] for r in answer["results"]] == ["rejected", "rejected", "rejected"]
    # in the asker's language (this one sent none: English)
    assert {r["message"] for r in answer["results"]} == {"inspections of demo sites are not uploaded"}
    plain = make_inspection(REAL["id"], 6, fail_every=3)
    assert [r["status"] for r in push(hq, admin, item_json("inspection", plain))["results"]] == ["applied"]
