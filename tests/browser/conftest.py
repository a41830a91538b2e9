"""Headless Chromium (Debian's ``chromium`` package) driven by Playwright
against pytest-django's live server.

The browser tests are never skipped: without Chromium they fail, saying how
to install it (``.ci/run`` does).
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Playwright's sync API runs an event loop in this thread; Django's check for
# ORM calls from async code would trip on it although none happen there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("FACTCHECK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS = Path(__file__).resolve().parents[2] / "docs"

# A shared CI machine can be slow; waiting longer costs nothing when it is not.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session", autouse=True)
def _plain_http_live_server():
    """The live server's middleware is built once, when the session-scoped
    live server starts: plain HTTP must be set before that (the per-test
    ``_plain_http`` fixture comes too late for SecurityMiddleware)."""
    from django.test import override_settings

    with override_settings(
        SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
    ):
        yield


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not at {CHROMIUM}: install it with `apt-get install -y chromium` "
            "(or set FACTCHECK_CHROMIUM)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture
def docs_dir():
    DOCS.mkdir(exist_ok=True)
    return DOCS
