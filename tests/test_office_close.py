"""销号制 through both ends: an inspector's 复查 「已整改」 leaves a problem 待销号, a reviewer's 销号 closes it; HQ's
`inspectors_close` setting lets the inspector's re-inspection close it; a 当场整改 is born 待销号."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from inspector.core.problems import ProblemStatus, fold
from inspector.core.records import DeadlineKind, EventKind, SyncState, Verdict
from inspector.core.store import Store
from inspector.core.submission import RecheckOutcome, close_events, recheck_events
from inspector.core.walk import Walk, start_or_resume
from inspector.tui.screens.failure import FailureScreen
from inspector.tui.screens.walk import WalkScreen
from sync.hq.db import Database
from sync.hq.db.models import rm_problems
from sync.hq.services import settings
from sync.hq.services.errors import HqError
from tests.photo_support import small_png
from tests.sync_support import HQServer, photo_file, postgres_url
from tests.test_problem_sync import SITE, Device, devices, hq
from tests.test_tui_ledger import submit_with_failures
from tests.test_tui_walk import make_app, open_site
from tests.tui_support import screen_text

__all__ = ["devices", "hq", "postgres_url"]  # fixtures: pytest finds them among this module's names


def hq_status(server: HQServer, problem_id: str) -> str:
    db = Database(server.db_url)
    try:
        with db.read() as conn:
            return str(conn.execute(select(rm_problems.c.status).where(rm_problems.c.id == problem_id)).scalar_one())
    finally:
        db.dispose()


def recheck_fixed(device: Device, problem_id: str, tmp_path: Path) -> None:
    photo = device.store.add_attachment(photo_file(tmp_path, f"after-{problem_id[:8]}.png"))
    problem = device.problem(problem_id)
    events = recheck_events(problem, RecheckOutcome.FIXED, "已清理", [photo.sha256], "field", device.store.device_id)
    device.store.save_problem(problem.model_copy(update={"events": [*problem.events, *events]}))


async def test_fixed_awaits_the_office_close_at_both_ends_and_a_reviewer_closes_it(
    devices: tuple[Device, Device, Device], hq: HQServer, tmp_path: Path
) -> None:
    field, office, _ = devices
    (problem_id,) = submit_with_failures(field.store, SITE, 1)
    await field.sync()
    recheck_fixed(field, problem_id, tmp_path)
    await field.sync()
    assert fold(field.problem(problem_id)).status is ProblemStatus.AWAITING_CLOSE
    assert hq_status(hq, problem_id) == "awaiting_close"  # HQ's read model folds the same
    # The inspector may not close it: 销号 is the office's.
    (own,) = close_events([field.problem(problem_id)], "field", field.store.device_id)
    assert own.ok  # legal in the machine ...
    field.store.save_problem(own.problem)
    await field.sync()
    refused = next(e for e in field.problem(problem_id).events if e.kind is EventKind.CLOSE)
    assert refused.sync is not None and refused.sync.state is SyncState.REJECTED  # ... but HQ refuses the role
    assert fold(field.problem(problem_id)).status is ProblemStatus.AWAITING_CLOSE
    assert hq_status(hq, problem_id) == "awaiting_close"
    # The reviewer sees it 待销号 and closes it.
    await office.sync()
    assert fold(office.problem(problem_id)).status is ProblemStatus.AWAITING_CLOSE
    (closed,) = close_events([office.problem(problem_id)], office.credentials.user, "r1", note="核实销号")
    assert closed.ok
    office.store.save_problem(closed.problem)
    await office.sync()
    await field.sync()
    view = fold(field.problem(problem_id))
    assert view.status is ProblemStatus.CLOSED and view.closed_at is not None
    assert hq_status(hq, problem_id) == "closed"


async def test_with_the_setting_on_the_inspectors_recheck_closes_directly(
    devices: tuple[Device, Device, Device], hq: HQServer, tmp_path: Path
) -> None:
    field, _, _ = devices
    (before, after) = submit_with_failures(field.store, SITE, 2)
    await field.sync()
    recheck_fixed(field, before, tmp_path)
    await field.sync()
    assert fold(field.problem(before)).status is ProblemStatus.AWAITING_CLOSE  # off by default
    db = Database(hq.db_url)
    try:
        with pytest.raises(HqError) as unknown:
            settings.set_setting(db, "inspectors_may_close", "on", actor="admin", now=field.problem(after).found_at)
        assert "inspectors_close" in unknown.value.text("en")
        with pytest.raises(HqError) as bad:
            settings.set_setting(db, "inspectors_close", "maybe", actor="admin", now=field.problem(after).found_at)
        assert "on" in bad.value.text("zh") and "maybe" in bad.value.text("zh")
        assert settings.set_setting(db, "inspectors_close", "on", actor="admin", now=field.problem(after).found_at)[1]
    finally:
        db.dispose()
    recheck_fixed(field, after, tmp_path)
    await field.sync()  # one round: the push, then the pull brings HQ's 销号
    problem = field.problem(after)
    view = fold(problem)
    assert view.status is ProblemStatus.CLOSED
    close = next(e for e in problem.events if e.kind is EventKind.CLOSE)
    assert close.server_order is not None and close.actor == "field" and "总部设置" in close.note
    assert hq_status(hq, after) == "closed"
    assert fold(field.problem(before)).status is ProblemStatus.AWAITING_CLOSE  # nothing retroactive
    await field.sync()  # a second round changes nothing and sends nothing
    assert field.store.pending().count == 0
    assert [e.kind for e in field.problem(after).events].count(EventKind.CLOSE) == 1


async def test_a_reviewer_passing_its_own_recheck_still_closes_with_its_own_close(
    devices: tuple[Device, Device, Device], hq: HQServer, tmp_path: Path
) -> None:
    """The setting is about inspectors: a reviewer's 复查通过 with it on is not closed for them."""
    field, office, _ = devices
    (problem_id,) = submit_with_failures(field.store, SITE, 1)
    await field.sync()
    db = Database(hq.db_url)
    try:
        settings.set_setting(db, "inspectors_close", "on", actor="admin", now=field.problem(problem_id).found_at)
    finally:
        db.dispose()
    await office.sync()
    recheck_fixed(office, problem_id, tmp_path)
    await office.sync()
    assert fold(office.problem(problem_id)).status is ProblemStatus.AWAITING_CLOSE
    assert hq_status(hq, problem_id) == "awaiting_close"


def test_fixed_on_the_spot_is_born_awaiting_close(store: Store, tmp_path: Path) -> None:
    site = store.site("demo-limin")
    started = start_or_resume(store, site)
    assert started is not None
    walk = Walk(store, *started)
    after = store.add_attachment(photo_file(tmp_path, "after.png")).sha256
    for index, item in enumerate(walk.items):
        walk.move_to(index)
        if index < 2:
            walk.set_verdict(Verdict.FAIL)
            walk.update_failure(quick_picks=item.quick_picks[:1], note="楼道堆物")
        else:
            walk.set_verdict(Verdict.PASS)
    walk.move_to(0)
    walk.update_failure(fixed_on_spot=True, after_photos=[after])
    spot, plain = walk.submit(site, actor="field")
    assert [e.kind for e in spot.events] == [EventKind.REGISTER, EventKind.SUBMIT_FIX, EventKind.REVIEW_PASS]
    view = fold(spot)
    assert view.status is ProblemStatus.AWAITING_CLOSE
    assert view.after_photos == [after] and view.rectification_note == "当场整改"
    assert spot.deadline.kind is DeadlineKind.IMMEDIATE
    assert fold(plain).status is ProblemStatus.REGISTERED  # only the marked one


async def test_the_failure_panel_marks_a_fix_on_the_spot_with_its_after_photo(store: Store, tmp_path: Path) -> None:
    after = tmp_path / "整改后.png"
    after.write_bytes(small_png())
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = (await open_site(pilot, "lmxq")).walk
        code = walk.item.code
        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.screen, FailureScreen)
        app.screen.query_one("#note").focus()
        await pilot.press(*"垃圾桶外溢")
        await pilot.press("f4")
        await pilot.pause()
        assert "当场整改：是" in screen_text(app)
        await pilot.press("ctrl+s")  # refused: the fix has no after-photo yet
        await pilot.pause()
        assert isinstance(app.screen, FailureScreen)
        assert "至少 1 张整改后照片" in screen_text(app)
        app.screen.query_one("#after-photo").focus()
        await pilot.press(*str(after), "enter")
        for _ in range(100):  # checked and copied in a worker
            await pilot.pause(0.05)
            if "整改后照片 1 张" in screen_text(app):
                break
        assert "整改后照片 1 张" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, WalkScreen)
    stored = store.inspection(walk.inspection.id).results[code]
    assert stored.fixed_on_spot and len(stored.after_photos) == 1
    copy = store.attachment(stored.after_photos[0])  # what goes to HQ: the upload copy of the original kept here
    assert copy.original is not None and store.attachment_path(copy.original).read_bytes() == after.read_bytes()


def test_the_setting_command_lists_sets_and_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from inspector.cli import main

    db = f"sqlite:///{tmp_path / 'hq.db'}"
    assert main(["--lang", "en", "hq", "settings", "list", "--db", db]) == 0
    assert "inspectors_close" in capsys.readouterr().out
    assert main(["--lang", "en", "hq", "settings", "set", "inspectors_close", "开", "--db", db]) == 0
    assert "on" in capsys.readouterr().out
    assert main(["hq", "settings", "set", "inspectors_close", "sometimes", "--db", db]) == 1
    said = capsys.readouterr().err
    assert "sometimes" in said and "Traceback" not in said
    database = Database(db)
    try:
        with database.read() as conn:
            assert settings.inspectors_close(conn)
    finally:
        database.dispose()
