"""Browser fixtures: one headless Chromium for the session, a fresh context (cookies, downloads) per persona.

Playwright's sync API keeps an event loop running in the test thread, and Django refuses ORM calls
from a thread with a running loop unless told otherwise; the tests build data through the services
in that same thread, so the guard is lifted for the browser tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser tests last: once started, Playwright leaves its event loop running in the main
    thread for the rest of the session, and no other test should run under it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """One person's browser context: its own cookies, so two personas never share a login."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.page = context.new_page()
        self.page_errors: list[str] = []
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        # A Content-Security-Policy violation (an inline style or script the policy blocked) is a
        # console error: every browser test fails on one.
        self.page.on(
            "console",
            lambda message: (
                self.page_errors.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )

    def login(self, username: str) -> Page:
        page = self.page
        page.goto("/accounts/login/")
        expect(page.locator("#id_username")).to_be_focused()
        page.keyboard.type(username)
        page.locator("#id_password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("/")
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        return page


@pytest.fixture
def new_session(browser: Browser, live_server) -> Iterator[Callable[[], Session]]:
    """Open a fresh browser context on the live server; every one is closed after the test."""
    sessions: list[Session] = []

    def open_session() -> Session:
        context = browser.new_context(base_url=live_server.url, accept_downloads=True, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        session = Session(context)
        sessions.append(session)
        return session

    yield open_session
    errors = [error for session in sessions for error in session.page_errors]
    for session in sessions:
        session.context.close()
    assert not errors, f"JavaScript errors or policy violations in the pages: {errors}"


@pytest.fixture
def context(new_session: Callable[[], Session]) -> BrowserContext:
    return new_session().context


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.pages[0]
