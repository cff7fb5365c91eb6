"""Browser fixtures: Playwright's sync API driving Debian's headless Chromium against pytest-django's live_server.

Loaded by the root conftest.py (`pytest_plugins`). A test opts in with `@pytest.mark.browser` and uses:

- `page`: a fresh browser context and page (1280x860, English, base URL = the live server);
- `new_page(viewport=..., locale=...)`: more contexts in the same test (a second person, a phone);
- `screenshot(page, "step")`: saves `screenshots/<module>/<test>/<NN>-<step>.png` at the repo root
  (git-ignored), for people to look at. Under CI=true, where nobody opens a clean clone's screenshots, the
  steps are not saved (about a third of a CPU-second each, a hundred a run); SCREENSHOTS=1 or 0 says
  otherwise. A failing test always leaves a `failure` screenshot of every page it opened.

Without /usr/bin/chromium the browser tests are skipped with a line saying how to enable them;
with `CI=true` they fail instead, so a CI machine that lost its browser cannot pass silently.
Playwright's own browser downloads are never used (`playwright install` is not needed).
"""

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright's sync API marks its asyncio event loop as running in the test thread between calls, so
# Django's async-safety guard would raise SynchronousOnlyOperation for every ORM call a browser test
# makes. The ORM is used synchronously here, in one thread, so the guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
DEFAULT_TIMEOUT_MS = 15_000


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _missing_browser_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make install)"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} not found; install it with `apt-get install chromium` to run the browser tests"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests get a transactional database that keeps the catalogs seeded by migrations.

    `tryfirst` so that pytest-django, which orders transactional tests last, sees the marker added here.
    """
    for item in items:
        if item.get_closest_marker("browser") is None:
            continue
        if item.get_closest_marker("django_db") is None:
            # live_server needs data committed where its thread can see it; the flush after a
            # transactional test would otherwise wipe the hosts/categories seeded by migrations.
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


def pytest_runtest_setup(item):
    if item.get_closest_marker("browser") is None:
        return
    reason = _missing_browser_reason()
    if reason is None:
        return
    if _in_ci():
        pytest.fail(f"browser tests are required when CI=true: {reason}", pytrace=False)
    pytest.skip(f"browser test: {reason} (they are required when CI=true)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def _playwright():
    """Playwright, Chromium and Playwright's event loop, parked between browser tests (see below)."""
    reason = _missing_browser_reason()
    if reason:
        if _in_ci():
            pytest.fail(f"browser tests are required when CI=true: {reason}", pytrace=False)
        pytest.skip(f"browser test: {reason}")
    from playwright.sync_api import expect, sync_playwright

    # expect()'s own default is 5 s; on a 2-core CI machine running two test processes, a browser and
    # their servers, a page that is merely slow must not fail a test, so it waits as long as actions do.
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        loop = asyncio.events._get_running_loop()
        asyncio.events._set_running_loop(None)
        try:
            yield chromium, loop
        finally:
            asyncio.events._set_running_loop(loop)
            chromium.close()


@pytest.fixture(autouse=True)
def _playwright_loop_during_browser_tests(request, _django_db_helper):
    """Mark Playwright's loop as running only while a test that uses the browser runs.

    Between sync calls Playwright leaves its loop marked as running in this thread, and Django keeps
    database connections in an asgiref Local that switches to separate, context-local storage while
    a loop runs. Left marked, every later test would get new connection objects: ones without the
    serialized test data, so `serialized_rollback` would silently restore nothing, and ones the
    session teardown never closes. Depending on `_django_db_helper` puts this inside the test's
    database setup and teardown, so both use the ordinary thread-local connections.
    """
    if "browser" not in request.fixturenames:
        yield
        return
    _chromium, loop = request.getfixturevalue("_playwright")
    asyncio.events._set_running_loop(loop)
    try:
        yield
    finally:
        from django.db import connections

        connections.close_all()  # the connections the test body opened while the loop was marked
        asyncio.events._set_running_loop(None)


@pytest.fixture(scope="session")
def browser(_playwright):
    """One headless Chromium per test session (per xdist worker); most tests want `page` or `new_page`."""
    return _playwright[0]


@pytest.fixture
def new_page(browser, live_server, request):
    """Open a page in a fresh context (own cookies): `new_page()`, `new_page(viewport=PHONE)`."""
    contexts = []

    def make(viewport=None, locale="en-US"):
        context = browser.new_context(viewport=viewport or DESKTOP, locale=locale, base_url=live_server.url)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = any(getattr(getattr(request.node, f"_report_{when}", None), "failed", False) for when in ("setup", "call"))
    for index, context in enumerate(contexts, start=1):
        if failed:
            for page in context.pages:
                _save(page, _test_dir(request) / f"failure-context{index}.png")
        context.close()


def press_key(page, key: str) -> None:
    """Press a keyboard shortcut once the page's deferred scripts, which listen for it, have run.

    A URL can already be the new page's while its scripts are still loading; a key pressed then is lost.
    Deferred scripts run before DOMContentLoaded, so waiting for it is enough.
    """
    page.wait_for_load_state("domcontentloaded")
    page.keyboard.press(key)


@pytest.fixture
def page(new_page):
    """A fresh desktop-sized page (1280x860) whose relative URLs go to the live server."""
    return new_page()


@pytest.fixture
def screenshot(request):
    """`screenshot(page, "signed-up")` saves screenshots/<module>/<test>/<NN>-signed-up.png (the whole page, or
    the first screenful with `full_page=False`) and returns the path, when steps are saved (see above)."""
    directory = _test_dir(request)
    shutil.rmtree(directory, ignore_errors=True)
    counter = iter(range(1, 1000))
    wanted = _steps_saved()

    def take(page, step: str, full_page: bool = True) -> Path:
        path = directory / f"{next(counter):02d}-{_slug(step)}.png"
        if wanted:
            _save(page, path, full_page=full_page)
        return path

    return take


def _steps_saved() -> bool:
    chosen = os.environ.get("SCREENSHOTS", "").strip().lower()
    return chosen in {"1", "true", "yes"} if chosen else not _in_ci()


def _test_dir(request) -> Path:
    return SCREENSHOTS / _slug(request.node.module.__name__.rsplit(".", 1)[-1]) / _slug(request.node.name)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "step"


def _save(page, path: Path, full_page: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
