"""The console in a real browser (Playwright driving Debian's Chromium at 1366×768) against a real HQ on loopback:
sign in, filter the ledger and 交办 every matching problem (the confirmation shows the exact count), see it reach an
inspector's laptop at its next sync and on its TUI ledger, 销号 a problem whose 复查 has an after-photo, download
the filtered ledger and read it back. The screenshots the README shows are taken here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from inspector.core.problems import ProblemStatus, fold
from inspector.core.store import Store
from sync.client import sync_once
from sync.credentials import Credentials, save_credentials
from sync.hq.db import Database
from sync.protocol import Role
from tests.browser_support import browser, page, screenshot, sign_in
from tests.console_data import City, populate, run_async
from tests.console_support import PASSWORD, console_user
from tests.sync_support import HQServer, enroll, start_server

__all__ = ["browser", "page"]

UNIT = "城关镇城管中队"


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HQServer, City, str]]:
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{(folder / 'hq.sqlite3').as_posix()}"
    db = Database(url)
    db.migrate()
    built = populate(db, folder / "files")
    db.dispose()
    server = start_server(url, folder / "files")
    yield server, built, console_user(url, Role.REVIEWER, name="李科长")
    server.close()


def _wait_until(page: Page, condition: Callable[[], bool], seconds: float = 15) -> None:
    """Poll a condition from Python (the console's CSP forbids the string evaluation wait_for_function uses)."""
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("condition not met in time")


def _laptop(hq: HQServer, city: City, folder: Path) -> tuple[Store, Credentials]:
    """The inspector's laptop: enrolled as the inspector who found the problems, synced once."""
    credentials = enroll(hq, Role.INSPECTOR, name=city.inspector.user)
    save_credentials(folder, credentials)
    store = Store.open(folder)
    report = run_async(lambda: sync_once(store, credentials))
    assert report.ok, report
    return store, credentials


def test_bulk_assign_of_every_matching_problem_reaches_the_inspectors_laptop(
    page: Page, city: tuple[HQServer, City, str], tmp_path: Path
) -> None:
    hq, built, reviewer = city
    store, credentials = _laptop(hq, built, tmp_path / "laptop")
    eastern = [p for p in store.problems() if p.site_id in {"xl", "yz", "fg"}]
    assert eastern and all(fold(p).status is ProblemStatus.REGISTERED or fold(p).responsible_unit for p in eastern)

    sign_in(page, hq.url, reviewer, PASSWORD)
    screenshot(page, "console-overview.png")
    page.click("nav.menu >> text=问题台账")
    page.select_option('select[name="status"]', "registered")
    page.fill('input[name="community"]', "东街社区")  # htmx reloads the rows as the filter is typed
    expect(page.locator("#total")).to_contain_text("共")
    _wait_until(page, lambda: "community=东街社区" in unquote(page.url))  # htmx pushes the URL once the rows are in
    total = int(page.locator("#total").inner_text().removeprefix("共 ").removesuffix(" 条"))
    registered_east = [p for p in eastern if fold(p).status is ProblemStatus.REGISTERED]
    assert total == len(registered_east) > 1
    screenshot(page, "console-ledger.png")

    page.select_option("#bulk-action", "assign")
    page.fill("#bulk-unit", UNIT)
    page.select_option("#bulk-deadline", "workdays")
    page.fill("#bulk-n", "5")
    page.check("#scope-all")
    page.click("#bulk-next")
    expect(page.locator("#confirm-count")).to_have_attribute("data-count", str(total))
    expect(page.locator("#confirm-count")).to_contain_text(f"将对 {total} 个问题执行「交办」")
    page.click("#bulk-do")
    expect(page.locator("#done")).to_contain_text(f"已生效 {total} 个问题")

    report = run_async(lambda: sync_once(store, credentials))
    assert report.ok, report
    assigned = {p.id: fold(p) for p in store.problems() if p.id in {q.id for q in registered_east}}
    assert len(assigned) == total
    assert all(v.status is ProblemStatus.ASSIGNED and v.responsible_unit == UNIT for v in assigned.values())
    run_async(lambda: _tui_ledger_shows(store, UNIT, total))
    store.close()


async def _tui_ledger_shows(store: Store, unit: str, count: int) -> None:
    from inspector.tui.app import InspectorApp
    from inspector.tui.screens.ledger import LedgerScreen
    from tests.tui_support import screen_text

    app = InspectorApp(store, sync_enabled=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)
        text = screen_text(app)
        assert "已交办" in text
        shown = [p for p, _ in app.screen._rows if fold(p).responsible_unit == unit]
        assert len(shown) >= count


def test_close_a_problem_whose_recheck_has_an_after_photo(page: Page, city: tuple[HQServer, City, str]) -> None:
    hq, built, reviewer = city
    assert built.fixed is not None
    sign_in(page, hq.url, reviewer, PASSWORD)
    page.goto(f"{hq.url}/problems/{built.fixed.id}")
    expect(page.locator("#status")).to_have_text("待复查")
    after = page.locator("#photos img").nth(1)
    expect(after).to_be_visible()
    _wait_until(page, lambda: page.evaluate("(img) => img.naturalWidth", after.element_handle()) > 0)  # it loaded
    page.fill('form:has(#do-close) input[name="note"]', "复查属实，同意销号")
    page.click("#do-close")
    expect(page.locator("#status")).to_have_text("已销号")
    expect(page.locator('#timeline li[data-kind="close"]')).to_contain_text("复查属实，同意销号")


def test_the_filtered_ledger_downloads_as_the_xlsx_it_shows(page: Page, city: tuple[HQServer, City, str]) -> None:
    hq, _, reviewer = city
    sign_in(page, hq.url, reviewer, PASSWORD)
    page.goto(f"{hq.url}/ledger?status=all&street=青阳街道")
    total = int(page.locator("#total").inner_text().removeprefix("共 ").removesuffix(" 条"))
    assert total > 0
    with page.expect_download() as download:
        page.click("#export-xlsx")
    data = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.startswith("问题台账-")
    rows = list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) - 1 == total
    assert {row[rows[0].index("街道")] for row in rows[1:]} == {"青阳街道"}


def test_an_inspection_page_shows_its_items_and_photos(page: Page, city: tuple[HQServer, City, str]) -> None:
    hq, built, reviewer = city
    sign_in(page, hq.url, reviewer, PASSWORD)
    # The newest one with a photographed failure near the top (the first inspection holds the hostile note of the
    # escaping tests: not for the README's screenshot).
    inspection = next(i for i in reversed(built.inspections) if any(r.photos for r in list(i.results.values())[:7]))
    page.goto(f"{hq.url}/inspections")
    page.locator(f'a[href="/inspections/{inspection.id}"]').first.click()
    expect(page.locator("#items")).to_be_visible()
    first = page.locator("#items img").first
    expect(first).to_be_visible()
    _wait_until(page, lambda: page.evaluate("(img) => img.naturalWidth", first.element_handle()) > 0)  # it loaded
    failed = page.locator("#items .verdict-fail").count()
    assert failed == sum(1 for r in inspection.results.values() if r.verdict is not None and r.verdict.value == "fail")
    row = page.locator("#items tr:has(.verdict-fail)").first.element_handle()
    page.evaluate("(row) => row.scrollIntoView({block: 'end'})", row)  # the header and a failed item's photo
    screenshot(page, "console-inspection.png")
