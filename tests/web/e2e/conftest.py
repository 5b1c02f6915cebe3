"""Headless Chromium (Debian's ``chromium`` package) driven by Playwright, and the served app.

Playwright's own browser download is not used: the browser is env ``ROUNDTABLE_CHROMIUM``,
else ``chromium`` on the PATH, else ``/usr/bin/chromium``. Without one the tests skip with
the reason, except under ``CI=true``, where they fail.

Set env ``ROUNDTABLE_SCREENSHOTS`` to a folder (``docs/screenshots``) to keep the pages'
screenshots there; otherwise they go to the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from services.context import Services
from tests.serving import served
from tests.web.conftest import SECRET
from web.app import GuestApp

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 667}
TIMEOUT_MS = 15_000


def _chromium() -> str | None:
    explicit = os.environ.get("ROUNDTABLE_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Launch headless Chromium once per test process, or skip (fail on CI) without one."""
    executable = _chromium()
    if executable is None:
        message = (
            "no Chromium found (env ROUNDTABLE_CHROMIUM, `chromium` on the PATH, or "
            "/usr/bin/chromium): install it with `apt-get install -y chromium`, as the "
            "README's test command does"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def site(services: Services) -> Iterator[str]:
    """Serve the guest pages over HTTP on 127.0.0.1 (waitress, as in production)."""
    with served(GuestApp(services, secret=SECRET)) as url:
        yield url


NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser) -> Iterator[NewContext]:
    """Open browser contexts (separate cookie jars) that close after the test."""
    opened: list[BrowserContext] = []

    def open_context(**options: object) -> BrowserContext:
        context = browser.new_context(accept_downloads=True, **options)  # type: ignore[arg-type]
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[Page, str], None]:
    """Save a full-page screenshot as ``NAME.png`` (see ``ROUNDTABLE_SCREENSHOTS``)."""
    folder = Path(os.environ.get("ROUNDTABLE_SCREENSHOTS") or tmp_path)

    def take(page: Page, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{name}.png", full_page=True)

    return take
