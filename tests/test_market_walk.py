"""A site type only HQ knows, end to end: HQ publishes a 农贸市场 checklist and a 农贸市场 site, the inspector's laptop
syncs, walks it through the TUI (Pilot), submits and syncs again, and the problems are at HQ, in its read model.

The laptop starts empty (no demo sites), as an enrolled laptop of a city would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from inspector.core.records import InspectionStatus, Verdict
from inspector.core.store import Store
from inspector.tui.screens.failure import FailureScreen
from inspector.tui.screens.sites import SitesScreen
from inspector.tui.screens.summary import SummaryScreen
from sync.client import sync_once
from sync.credentials import save_credentials
from sync.hq.db import Database
from sync.hq.db.models import rm_inspections, rm_problems
from sync.protocol import Role
from tests.sync_support import HQServer, admin_put, assign, enroll, start_server
from tests.test_tui_walk import make_app, open_site
from tests.test_walk_sources import published
from tests.tui_support import screen_text

MARKET = {
    "id": "cn-market",
    "name": "城南农贸市场",
    "site_type": "农贸市场",
    "street": "城关镇",
    "community": "东街社区",
}


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[HQServer]:
    server = start_server(f"sqlite:///{(tmp_path / 'hq.sqlite3').as_posix()}", tmp_path / "files")
    yield server
    server.close()


async def test_an_hq_published_market_checklist_is_walked_submitted_and_reaches_hq(
    hq: HQServer, tmp_path: Path
) -> None:
    checklist = published("plaza", "2026.1", new_id="market", site_type="农贸市场")
    admin = enroll(hq, Role.ADMIN)
    admin_put(hq, admin, "checklists", {"checklists": [checklist.model_dump(mode="json")]})
    admin_put(hq, admin, "sites", {"sites": [MARKET]})
    inspector = enroll(hq, Role.INSPECTOR)
    assign(hq, admin, inspector.user, MARKET["id"])
    folder = tmp_path / "laptop"
    save_credentials(folder, inspector)
    store = Store.open(folder)
    assert (await sync_once(store, inspector)).ok
    assert store.site(MARKET["id"]).site_type == "农贸市场"

    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        assert "城南农贸市场" in screen_text(app) and "农贸市场" in screen_text(app)
        walk = (await open_site(pilot, "cnnm")).walk
        assert (walk.inspection.checklist_id, walk.inspection.checklist_version) == ("market", "2026.1")
        assert walk.items[0].title == "本市 2026.1"  # HQ's wording, not the built-in's
        await pilot.press("2")  # 不符合 on the first item
        await pilot.pause()
        assert isinstance(app.screen, FailureScreen)
        app.screen.query_one("#note").focus()
        await pilot.press(*"摊位占道经营")
        await pilot.press("escape")
        await pilot.pause()
        for _ in range(len(walk.items) - 1):
            await pilot.press("1")
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SitesScreen)
    submitted = store.inspection(walk.inspection.id)
    assert submitted.status is InspectionStatus.SUBMITTED
    assert submitted.results[walk.items[0].code].verdict is Verdict.FAIL
    report = await sync_once(store, inspector)
    assert report.ok, report.error
    store.close()

    db = Database(hq.db_url)
    try:
        with db.read() as conn:
            at_hq = conn.execute(select(rm_inspections).where(rm_inspections.c.id == submitted.id)).one()
            problems = conn.execute(select(rm_problems).where(rm_problems.c.inspection_id == submitted.id)).all()
    finally:
        db.dispose()
    assert (at_hq.site_type, at_hq.checklist, at_hq.community) == ("农贸市场", "market@2026.1", "东街社区")
    assert at_hq.failed == 1 and at_hq.passed == len(walk.items) - 1
    assert [(p.item_code, p.description) for p in problems] == [(walk.items[0].code, "摊位占道经营")]
