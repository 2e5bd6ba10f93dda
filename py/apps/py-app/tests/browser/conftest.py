"""Fixtures of the chat-page tests: a real headless Chromium (Debian's, driven by
Playwright for Python) at a desktop and a phone size, with every console error and
failed request of the page collected, and a screenshot of each test kept for review.

Skipped locally when /usr/bin/chromium is missing; a failure under CI=true. The
screenshots go to `$SCREENSHOTS_DIR`, else `py/test-artifacts/screenshots/`; the run
prints the folder in its summary.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    ViewportSize,
    async_playwright,
)

from py_core_testing import services
from py_core_testing.databases import Backend

from ..harness import PASSWORD, LiveApp  # noqa: TID252 (shared app test helpers)

CHROMIUM = Path("/usr/bin/chromium")
Viewport = Literal["desktop", "phone"]
SIZES: dict[Viewport, ViewportSize] = {
    "desktop": {"width": 1280, "height": 860},
    "phone": {"width": 390, "height": 844},
}
Snap = Callable[[str], Awaitable[Path]]
_saved: list[Path] = []


def screenshots_dir() -> Path:
    default = Path(__file__).resolve().parents[4] / "test-artifacts" / "screenshots"
    return Path(os.environ.get("SCREENSHOTS_DIR") or default)


@pytest.fixture
def backend() -> Backend:
    """The pages do not depend on the backend; the API tests cover both."""
    return "sqlite"


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (run .ci/install-browser)"
        if services.in_ci():
            pytest.fail(f"{message}; CI=true requires it", pytrace=False)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        await browser.close()


@pytest.fixture(params=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> Viewport:
    """Each test runs at both sizes unless it parametrizes `viewport` itself."""
    size: Viewport = request.param
    return size


@dataclass(kw_only=True)
class Problems:
    """What went wrong on the page while the test ran; empty at the end, or it fails."""

    errors: list[str] = field(default_factory=list)
    """Script errors and console errors."""
    failed: list[str] = field(default_factory=list)
    """Requests that failed or were answered 4xx/5xx."""
    expected: list[re.Pattern[str]] = field(default_factory=list)
    """Failures the test causes on purpose (matched against the entry)."""

    def expect(self, pattern: str) -> None:
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [
            entry
            for entry in self.errors + self.failed
            if not any(p.search(entry) for p in self.expected)
        ]


@pytest.fixture
def problems() -> Problems:
    return Problems()


def _watch(page: Page, problems: Problems) -> None:
    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def on_failed(request: Request) -> None:
        # Leaving a page ends what it was reading (its event stream, a fetch of the
        # usage, a rendering of the partial reply): the browser reports those as
        # aborted. An aborted write stays a failure: the page left before its change
        # was answered.
        aborted = request.failure == "net::ERR_ABORTED"
        reading = request.method == "GET" or request.url.endswith("/render/markdown")
        if aborted and reading:
            return
        problems.failed.append(f"failed: {request.method} {request.url} {request.failure}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.failed.append(
                f"status {response.status}: {response.request.method} {response.url}"
            )

    page.on("pageerror", lambda error: problems.errors.append(f"pageerror: {error}"))
    page.on("console", on_console)
    page.on("requestfailed", on_failed)
    page.on("response", on_response)


@pytest.fixture
async def context(
    browser: Browser, live_app: LiveApp, viewport: Viewport
) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(
        base_url=live_app.base_url,
        viewport=SIZES[viewport],
        is_mobile=viewport == "phone",
        has_touch=viewport == "phone",
        reduced_motion="reduce",  # no sliding sidebar half-way in a screenshot
    )
    yield context
    await context.close()


@pytest.fixture
async def page(
    context: BrowserContext, problems: Problems, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    page = await context.new_page()
    page.set_default_timeout(15_000)
    _watch(page, problems)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        await shoot(page, request.node.name + "-FAILED")
    assert problems.unexpected() == [], "problems on the page"


async def shoot(page: Page, name: str) -> Path:
    """Keep a screenshot of what the page shows now, for a reviewer."""
    folder = screenshots_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    await page.screenshot(path=str(path))
    _saved.append(path)
    return path


@pytest.fixture
def snap(page: Page, request: pytest.FixtureRequest) -> Snap:
    """`await snap("step")` saves `<test name>-<step>.png`."""

    async def take(step: str) -> Path:
        return await shoot(page, f"{request.node.name}-{step}")

    return take


async def sign_up(page: Page, email: str = "ada@example.com", name: str = "Ada Lovelace") -> str:
    """A new account, signed in in the page's browser context; returns its CSRF token
    (for `page.request` calls to the API)."""
    response = await page.request.post(
        "/api/v1/auth/register", data={"email": email, "password": PASSWORD, "display_name": name}
    )
    assert response.status == 201, await response.text()
    response = await page.request.post(
        "/api/v1/auth/login", data={"email": email, "password": PASSWORD}
    )
    assert response.status == 200, await response.text()
    token: str = (await response.json())["csrf_token"]
    return token


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _saved:
        terminalreporter.write_sep("-", "chat page screenshots")
        terminalreporter.write_line(f"{len(_saved)} screenshots in {screenshots_dir()}")
