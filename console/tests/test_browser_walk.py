"""A lean walk of the demo console on a 390 px phone, the CI cut of bench/walk.py (which adds 1280 px, English
and every role, with screenshots): the developer in Chinese, the reviewer and the operator follow the menus
and each list's first item, one page of each kind. No page may fail, be wider than the phone, show a Python
repr or an audit code where words belong, or break a rule of WCAG 2.1 A and AA or axe-core's best practices
(contrast, names of controls, landmarks, heading order …), as axe-core finds them."""

import re
from urllib.parse import urljoin, urlsplit

import pytest

from bench.walk import SKIP, accessibility_problems, shape_of
from console.tests.browser import PHONE
from console.tests.test_browser_phone import WIDEST, demo, overflow, sign_in, sign_in_staff  # noqa: F401

pytestmark = pytest.mark.browser

REPR = re.compile(r"\{'|\['|<QuerySet|object at 0x|<bound method|>\s*None\s*<")
AUDIT_CODE = re.compile(r">\s*(version|program|grant|whitelist|api_key|membership)\.[a-z_]+\s*<")
# Codes in <code> are meant as codes (webhook event names, scene codes); scripts are not read by people.
MEANT_AS_CODE = re.compile(r"<code[^>]*>.*?</code>|<script[^>]*>.*?</script>", re.S)


def walk(page, start: str, limit: int) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Visit `start` and the pages its links reach, each kind of page once: ({path: HTTP status},
    {path: what is wrong on it})."""
    base = page.url
    queue, seen, visited, wrong = [start], set(), {}, {}
    while queue and len(visited) < limit:
        path = queue.pop(0)
        shape = shape_of(path.split("?")[0])
        if shape in seen:
            continue
        seen.add(shape)
        response = page.goto(path)
        visited[path] = response.status
        if response.status >= 400:
            continue
        if found := problems_on(page):
            wrong[path] = found
        for href in page.evaluate("() => [...document.querySelectorAll('main a[href], nav a[href]')]"
                                  ".map(a => a.getAttribute('href'))"):
            url = urlsplit(urljoin(page.url, href))
            if url.netloc == urlsplit(base).netloc and not SKIP.search(url.path) and not url.path.startswith("/api/"):
                queue.append(url.path + (f"?{url.query}" if url.query else ""))
    return visited, wrong


def problems_on(page) -> list[str]:
    found = []
    if overflow(page) > 0:
        found.append(f"{overflow(page)} px wider than the phone: {page.evaluate(WIDEST)}")
    html = MEANT_AS_CODE.sub("", page.content())
    found += [f"repr {m.group(0)!r}" for m in REPR.finditer(html)]
    found += [f"audit code {m.group(0)!r}" for m in AUDIT_CODE.finditer(html)]
    return found + accessibility_problems(page)


def test_every_kind_of_page_fits_a_phone_says_things_in_words_and_is_accessible(demo, new_page):  # noqa: F811
    """One demo load for every person (it is most of the test's time). Before axe-core was run here, 31 kinds
    of page had 7 kinds of fault, most of them text below 4.5:1 contrast (white on the brand's blue, the
    status badges' colours on their tints)."""
    developer = new_page(viewport=PHONE, locale="zh-CN")
    sign_in(developer, "developer@example.com")
    csrf = next(c["value"] for c in developer.context.cookies() if c["name"] == "csrftoken")
    developer.request.post("/accounts/language/", form={"language": "zh-hans"}, headers={"X-CSRFToken": csrf})
    reviewer = new_page(viewport=PHONE)
    sign_in_staff(reviewer, "reviewer@example.com")
    operator = new_page(viewport=PHONE)
    sign_in_staff(operator, "operator@example.com")

    for page, limit, at_least in ((developer, 30, 20), (reviewer, 8, 6), (operator, 8, 4)):
        statuses, wrong = walk(page, "/", limit)

        assert {path: status for path, status in statuses.items() if status >= 500 or status in (400, 405)} == {}
        assert wrong == {}
        assert len(statuses) >= at_least, statuses  # the walk really went through the console
    assert developer.evaluate("document.documentElement.lang") == "zh-hans"


def test_the_signed_out_pages_are_accessible(new_page):
    page = new_page(viewport=PHONE)
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/docs/findings/",
                 "/no-such-page/"):
        page.goto(path)
        assert accessibility_problems(page) == [], path


def test_the_first_tab_skips_the_menu_to_the_page(new_page, org):
    """Keyboard users met some twenty menu links before each page's own; the first Tab now offers to skip them."""
    from conftest import PASSWORD
    from console.tests.test_browser_journey import sign_in as sign_in_with

    page = new_page()
    sign_in_with(page, email="owner@acme.test", password=PASSWORD)
    page.goto(f"/orgs/{org.slug}/members/")

    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert skip.is_visible() and skip.inner_text() == "Skip to the content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")

    assert page.evaluate("document.activeElement.closest('main')?.id") == "content"
