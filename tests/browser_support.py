"""Support for the console's browser tests: Playwright driving Debian's Chromium against the real HQ server.

`playwright install` cannot download a browser here, so the tests launch Debian's (`apt-get install chromium
fonts-wqy-microhei`; the font, or Chinese renders as boxes in the screenshots). Under CI=true a missing browser fails
the run; elsewhere the tests skip with the command that installs it. Pages open at 1366×768, the common office
screen the console is laid out for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")  # the first skips a harmless launcher warning
VIEWPORT = {"width": 1366, "height": 768}
INSTALL = "apt-get install chromium fonts-wqy-microhei"


def chromium_path() -> str | None:
    return next((path for path in CHROMIUM if Path(path).is_file()), None) or shutil.which("chromium")


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: python3 run.py test installs the dev dependencies"
    if chromium_path() is None:
        return f"Chromium is not installed: run `{INSTALL}` as root"
    fonts = (
        subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout
        if shutil.which("fc-list")
        else ""
    )
    if "WenQuanYi" not in fonts and "Noto Sans CJK" not in fonts:
        return f"no CJK font: run `{INSTALL}` as root"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs the browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)  # type: ignore[arg-type]
    errors: list[str] = []
    opened = context.new_page()
    opened.on(
        "console",
        lambda message: errors.append(f"{message.text} at {message.location}") if message.type == "error" else None,
    )
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
        # A script error or a CSP violation on any page the test visited is a failure of its own.
        assert errors == [], errors
    finally:
        context.close()


def sign_in(page: Page, base_url: str, name: str, password: str) -> None:
    page.goto(f"{base_url}/")
    page.fill('input[name="name"]', name)
    page.fill('input[name="password"]', password)
    page.click("#signin-submit")
    page.wait_for_selector("nav.menu")


def screenshot(page: Page, name: str, **options: Any) -> Path:
    """A screenshot for docs/screenshots/ (the README shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), **options)
    return path
