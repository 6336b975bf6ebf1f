"""The admin and report pages in a real browser (Playwright driving Debian's Chromium at 1366×768) against a real HQ on
loopback: a broken checklist's `FILE:LINE:` message on the page, a site sheet's bad row named by row and column
(then a good sheet applied), a user added with its code and QR, and every page at 1366×768 without a script error,
a CSP violation (the page fixture fails on either) or a page wider than the screen. Screenshots go to
$CONSOLE_SHOTS (default /tmp/shots) for a person to look at."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from inspector.core.ids import utcnow
from sync.hq.db import Database
from sync.hq.services.checklist_publish import publish_file
from sync.hq.services.reference import set_assignments
from sync.hq.services.rounds import add_round
from sync.hq.services.users import add_user
from sync.protocol import AssignmentIn, AssignmentsUpload, Role
from tests.browser_support import browser, page, sign_in
from tests.console_data import populate, today_at_hq
from tests.console_support import PASSWORD, console_user
from tests.sync_support import ROOT, HQServer, start_server

__all__ = ["browser", "page"]

SHOTS = Path(os.environ.get("CONSOLE_SHOTS", "/tmp/shots"))
BROKEN = ROOT / "tests" / "data" / "broken_checklists" / "missing_field.yaml"
HEADER = "名称,类型,区,街道,社区,网格,责任单位,检查表\n"


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HQServer, str]]:
    folder = tmp_path_factory.mktemp("browser-admin")
    url = f"sqlite:///{(folder / 'hq.sqlite3').as_posix()}"
    db = Database(url)
    db.migrate()
    for path in sorted((ROOT / "checklists" / "builtin").glob("*.yaml")):
        publish_file(db, path, now=utcnow())
    with ThreadPoolExecutor(1) as worker:  # populate runs asyncio; Playwright's loop may already run in this thread
        city = worker.submit(populate, db, folder / "files").result()
    today = today_at_hq()
    add_round(
        db,
        "十二月" if today.month == 12 else "本月",
        today.replace(day=1),
        today + timedelta(days=10),
        actor="test",
        now=utcnow(),
    )
    add_round(
        db,
        "上月",
        (today.replace(day=1) - timedelta(days=1)).replace(day=1),
        today.replace(day=1) - timedelta(days=1),
        actor="test",
        now=utcnow(),
    )
    # 张督查 walked his sites; 孙督查 never walked 庆枫花苑 in last month's round, which is over: missed.
    add_user(db, "孙督查", Role.INSPECTOR, now=utcnow())
    this_month = "十二月" if today.month == 12 else "本月"
    plan = [(city.inspector.user, this_month, "xl"), (city.inspector.user, this_month, "yx"), ("孙督查", "上月", "qf")]
    upload = AssignmentsUpload(assignments=[AssignmentIn(user=u, site_id=s, batch=b) for u, b, s in plan])
    set_assignments(db, upload, actor="test", device_id=None, now=utcnow())
    db.dispose()
    server = start_server(url, folder / "files")
    yield server, console_user(url, Role.ADMIN, name="王管理")
    server.close()


def shot(page: Page, name: str, **options: object) -> Path:
    """A screenshot for a person to look at; the page must fit the screen's width (no sideways scrolling)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, (name, width)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), **options)  # type: ignore[arg-type]
    return path


def test_a_broken_checklist_shows_its_file_line_message_on_the_page(
    page: Page, hq: tuple[HQServer, str], tmp_path: Path
) -> None:
    server, admin = hq
    sign_in(page, server.url, admin, PASSWORD)
    page.click("nav.menu >> text=检查表")
    expect(page.locator("#checklists")).to_contain_text("residential")
    shot(page, "admin-checklists.png")
    page.set_input_files('#checklist-upload input[type="file"]', str(BROKEN))
    page.click("#checklist-upload button[type=submit]")
    expect(page.locator("#messages")).to_contain_text("missing_field.yaml:12: 缺少必填字段 `sections[0].items[1].text`")
    expect(page.locator("#errors")).to_contain_text("1 处错误，未发布")
    expect(page.locator("#publish")).to_have_count(0)
    shot(page, "admin-checklist-broken.png")


def test_a_site_sheet_with_a_bad_row_is_named_then_a_good_one_is_applied(
    page: Page, hq: tuple[HQServer, str], tmp_path: Path
) -> None:
    server, admin = hq
    bad = tmp_path / "点位表.csv"
    bad.write_text(
        HEADER
        + "新建小区,楼院,东湖区,东城街道,东街社区,网格1,物业,residential\n,楼院,东湖区,东城街道,东街社区,网格2,物业,\n",
        encoding="utf-8",
    )
    sign_in(page, server.url, admin, PASSWORD)
    page.click("nav.menu >> text=点位")
    shot(page, "admin-sites.png")
    page.set_input_files('#site-import input[type="file"]', str(bad))
    page.click("#site-import button[type=submit]")
    issues = page.locator("table.issues tbody tr")
    expect(issues).to_have_count(1)
    expect(issues.first.locator("td").nth(0)).to_have_text("3")
    expect(issues.first.locator("td").nth(1)).to_contain_text("A")
    expect(issues.first.locator("td").nth(2)).to_contain_text("点位表.csv 第3行 第A列（名称）")
    expect(page.locator("#apply")).to_have_count(0)
    shot(page, "admin-sites-bad-row.png")

    good = tmp_path / "good.csv"
    good.write_text(HEADER + "新建小区,楼院,东湖区,东城街道,东街社区,网格1,物业,residential\n", encoding="utf-8")
    page.goto(f"{server.url}/sites")
    page.set_input_files('#site-import input[type="file"]', str(good))
    page.click("#site-import button[type=submit]")
    expect(page.locator("#plan")).to_contain_text("新增 1 个：新建小区")
    shot(page, "admin-sites-preview.png")
    page.click("#apply")
    expect(page.locator("#applied")).to_contain_text("已应用：1 个点位写入")
    page.goto(f"{server.url}/sites?q=新建小区")
    expect(page.locator("#sites tbody tr")).to_have_count(1)


def test_every_admin_and_report_page_at_1366_by_768(page: Page, hq: tuple[HQServer, str]) -> None:
    server, admin = hq
    sign_in(page, server.url, admin, PASSWORD)
    today = date.today()
    start = (today - timedelta(days=60)).isoformat()
    page.goto(f"{server.url}/ranking?date_from={start}&date_to={today.isoformat()}")
    expect(page.locator("#community-ranking tbody tr").first).to_be_visible()
    red = page.locator("#community-ranking .tag.red").count()
    assert red == page.locator("#community-ranking .tag.black").count() == 2  # min(3, 4 communities // 2)
    shot(page, "report-ranking.png", full_page=True)
    page.goto(f"{server.url}/bulletin?date_from={start}&date_to={today.isoformat()}")
    expect(page.locator("#bulletin h1")).to_contain_text("督查通报")
    shot(page, "report-bulletin.png")
    page.emulate_media(media="print")
    shot(page, "report-bulletin-print.png")
    page.emulate_media(media="screen")
    page.click("nav.menu >> text=任务批次")
    expect(page.locator("#rounds")).to_contain_text("上月")
    expect(page.locator("#progress")).to_contain_text("庆枫花苑")
    shot(page, "admin-rounds.png")
    page.click("nav.menu >> text=用户与设备")
    page.fill('#user-add input[name="name"]', "赵督查")
    page.click("#user-add button[type=submit]")
    expect(page.locator("#code")).to_have_text(page.locator("#code").inner_text())
    expect(page.locator("#enroll-text")).to_contain_text(f"inspector enroll {server.url} ")
    expect(page.locator("#enrollment svg.segno")).to_be_visible()
    shot(page, "admin-user-code.png")
    page.click("nav.menu >> text=用户与设备")
    expect(page.locator("#users")).to_contain_text("赵督查")
    shot(page, "admin-users.png")
    page.click("nav.menu >> text=审计日志")
    expect(page.locator("#audit")).to_contain_text("user_add")
    shot(page, "admin-audit.png")
