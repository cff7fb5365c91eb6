"""The console on a 390 px phone and on tablets, as the demo developer: the menu opens and closes (× button,
Escape, a tap beside it) without covering ☰ for good, and no page is wider than the screen; on a phone tables
scroll inside their card so their action buttons stay reachable, on a tablet they fit it."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from conftest import PASSWORD
from console.demo import DEMO_PASSWORD
from console.models import Organisation
from console.tests.browser import PHONE
from programs.models import MiniProgram as Program

pytestmark = pytest.mark.browser

DEVELOPER = "developer@example.com"


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    call_command("demo_data", "--without-traffic", stdout=open("/dev/null", "w"))  # no stats page here
    settings.DEBUG = False


def sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username], input[type=email]").first.fill(email)
    page.locator("input[type=password]").first.fill(password)
    page.locator("main form button[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1
  && e.parentElement.getBoundingClientRect().right <= innerWidth + 1)
  .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def overflow(page) -> int:
    """How many CSS pixels the page is wider than the screen (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_phone_menu_closes_with_the_cross_escape_and_a_tap_beside_it(org, owner, new_page, screenshot):
    page = new_page(viewport=PHONE)
    sign_in(page, owner.email, PASSWORD)
    sidebar = page.locator("#sidebar")
    menu = page.get_by_role("button", name="Menu", exact=True)

    def opened():
        menu.click()
        expect(sidebar).to_be_in_viewport()

    opened()
    screenshot(page, "menu-open")
    page.get_by_role("button", name="Close menu").click()
    expect(sidebar).not_to_be_in_viewport()
    opened()
    page.keyboard.press("Escape")
    expect(sidebar).not_to_be_in_viewport()
    opened()
    page.mouse.click(370, 400)  # beside the 260 px menu
    expect(sidebar).not_to_be_in_viewport()
    screenshot(page, "menu-closed")


def test_phone_menu_by_keyboard_hidden_when_closed_and_holding_focus_when_open(org, owner, new_page):
    """A keyboard walk found the closed menu's links slid off screen but still Tab stops, and an opened menu
    that left focus on ☰ under it, with Tab going on to the dimmed page."""
    page = new_page(viewport=PHONE)
    sign_in(page, owner.email, PASSWORD)
    menu = page.get_by_role("button", name="Menu", exact=True)
    expect(page.locator("#sidebar a").first).to_be_hidden()
    menu.focus()
    page.keyboard.press("Enter")
    close = page.get_by_role("button", name="Close menu")
    expect(close).to_be_focused()
    for _ in range(30):  # past the menu's last link
        page.keyboard.press("Tab")
        assert page.evaluate("document.getElementById('sidebar').contains(document.activeElement)")
    expect(page.locator("#sidebar a.active")).to_have_attribute("aria-current", "page")
    page.keyboard.press("Escape")
    expect(menu).to_be_focused()


def test_no_developer_page_is_wider_than_a_phone(demo, new_page, screenshot):
    page = new_page(viewport=PHONE)
    sign_in(page, DEVELOPER)
    org = Organisation.objects.filter(memberships__user__email=DEVELOPER).order_by("pk").first()
    program = Program.objects.filter(organisation=org).order_by("pk").first()
    version = program.versions.order_by("-pk").first()
    paths = [
        f"/orgs/{org.slug}/",
        f"/orgs/{org.slug}/programs/",
        f"/orgs/{org.slug}/programs/{program.appid}/",
        f"/orgs/{org.slug}/programs/{program.appid}/upload/",
        f"/orgs/{org.slug}/programs/{program.appid}/versions/{version.version}/",
        f"/orgs/{org.slug}/members/",
        f"/orgs/{org.slug}/audit/",
    ]
    wide = {}
    for path in paths:
        page.goto(path)
        screenshot(page, path)
        if overflow(page) > 0:
            wide[path] = page.evaluate(WIDEST)
    assert wide == {}


TABLE_SCROLLS = """[...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth + 1)
  .map(w => w.querySelector('table').className + ' ' + w.scrollWidth + ' > ' + w.clientWidth)"""


def test_on_a_tablet_the_menu_folds_and_the_tables_fit_their_cards(demo, new_page, screenshot, subtests):
    """Between a phone and a desktop: up to 1,000 px the sidebar is the ☰ menu (kept open, it left the page
    430–710 px, and the programs, versions, audit and API-key tables scrolled inside their cards)."""
    org = Organisation.objects.filter(memberships__user__email=DEVELOPER).order_by("pk").first()
    program = Program.objects.filter(organisation=org, versions__isnull=False).order_by("pk").first()
    for width in (768, 1024):  # one demo load for both
        with subtests.test(width=width):
            page = new_page(viewport={"width": width, "height": 1000})
            sign_in(page, DEVELOPER)
            menu = page.get_by_role("button", name="Menu", exact=True)
            scrolling = {}
            for path in [f"/orgs/{org.slug}/programs/", f"/orgs/{org.slug}/programs/{program.appid}/",
                         f"/orgs/{org.slug}/audit/", f"/orgs/{org.slug}/api-keys/"]:
                page.goto(path)
                screenshot(page, f"{width}{path}")
                assert overflow(page) <= 0, page.evaluate(WIDEST)
                tables = page.evaluate(TABLE_SCROLLS)
                if tables:
                    scrolling[path] = tables
            assert scrolling == {}
            if width <= 1000:
                expect(page.locator("#sidebar")).not_to_be_in_viewport()
                menu.click()
                expect(page.locator("#sidebar")).to_be_in_viewport()
            else:
                expect(menu).to_be_hidden()
                expect(page.locator("#sidebar")).to_be_in_viewport()


def sign_in_staff(page, email: str) -> None:
    from console.models import User
    from console.tests.otp import authenticator_for, next_code

    sign_in(page, email)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/"))
    page.locator("main form input[name=code]").first.fill(
        next_code(authenticator_for(User.objects.get(email=email))))
    page.locator("main form button[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/accounts/two-factor/"))


def test_the_reviewer_lands_on_the_queue_and_the_developer_reads_the_audit_log_in_words(
    demo, new_page, screenshot, subtests
):
    org = Organisation.objects.filter(memberships__user__email=DEVELOPER).order_by("pk").first()
    for viewport, locale in [(None, "en-US"), (PHONE, "en-US"), (PHONE, "zh-CN"), ({"width": 1024, "height": 900},
                                                                                   "en-US")]:
        width = (viewport or {}).get("width", "desktop")
        with subtests.test(width=width, locale=locale):  # one demo load for every screen and language
            page = new_page(viewport=viewport, locale=locale)
            sign_in_staff(page, "reviewer@example.com")
            expect(page).to_have_url(re.compile(r"/review/?$|/reviews?/"))
            screenshot(page, f"{width}-{locale}-reviewer-lands-on-the-queue")
            assert overflow(page) <= 0, page.evaluate(WIDEST)

            page = new_page(viewport=viewport, locale=locale)
            sign_in(page, DEVELOPER)
            page.goto(f"/orgs/{org.slug}/audit/")
            screenshot(page, f"{width}-{locale}-audit-log")
            assert overflow(page) <= 0, page.evaluate(WIDEST)
            body = page.content()
            assert "version.scan_finish</code>" not in body and "{'status'" not in body
            page.goto(f"/orgs/{org.slug}/")
            screenshot(page, f"{width}-{locale}-overview")
            assert "<code>version." not in page.content()


def test_a_missing_page_on_a_phone_is_the_styled_404(org, owner, new_page, screenshot):
    page = new_page(viewport=PHONE)
    sign_in(page, owner.email, PASSWORD)
    response = page.goto("/orgs/no-such-org/programs/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    screenshot(page, "404")
    assert overflow(page) <= 0


def _in_chinese_on_a_phone(owner, new_page):
    owner.language = "zh-hans"
    owner.save(update_fields=["language"])
    page = new_page(viewport=PHONE, locale="zh-CN")
    sign_in(page, owner.email, PASSWORD)
    return page


def test_the_upload_pages_ci_command_wraps_on_a_phone(org, owner, new_page, screenshot):
    """A Chinese walk at 390 px: the "通过 CI 上传" curl command ran off the card's right edge, cut off."""
    from programs.tests.factories import MiniProgramFactory

    program = MiniProgramFactory(organisation=org)
    page = _in_chinese_on_a_phone(owner, new_page)
    page.goto(f"/orgs/{org.slug}/programs/{program.appid}/upload/")
    snippet = page.locator("pre.snippet")
    snippet.scroll_into_view_if_needed()
    screenshot(page, "ci-command")

    box = snippet.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert snippet.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the command wraps; nothing hides beside it"
    assert overflow(page) <= 0, page.evaluate(WIDEST)


def test_opening_the_phone_menu_closes_the_account_menu(org, owner, new_page, screenshot):
    """The avatar's menu stayed open behind the ☰ drawer, dimmed under it."""
    page = _in_chinese_on_a_phone(owner, new_page)
    account = page.locator("details.menu")
    account.locator("summary").click()
    expect(account.locator(".menu-panel")).to_be_visible()

    page.locator(".nav-toggle-button").click()
    expect(page.locator("#sidebar")).to_be_in_viewport(ratio=1)  # slid all the way in
    screenshot(page, "drawer-open")

    expect(account).not_to_have_attribute("open", "")
    expect(account.locator(".menu-panel")).to_be_hidden()
