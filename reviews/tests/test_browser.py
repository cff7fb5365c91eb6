"""The reviewer's pages in headless Chromium: work the queue by keyboard, claim, read the diff, reject with
a reason, land on the next version; the claim heartbeat; another reviewer locked out; the queue on a phone."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from console.tests.browser import PHONE, press_key
from console.tests.otp import browser_second_step
from programs.models import Version
from programs.tests.factories import MiniProgramFactory
from reviews.models import ReviewClaim
from reviews.tests.factories import ClaimFactory, WaitingVersionFactory, metadata, released_version, scan_report

pytestmark = pytest.mark.browser


def sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_second_step(page, user)  # reviewers are staff: a code from their authenticator


@pytest.fixture
def two_waiting():
    program = MiniProgramFactory(name="Tea Timer")
    released_version(program, version="1.0.0")
    first = WaitingVersionFactory(
        program=program, version="1.1.0", review_due_at=timezone.now() - timedelta(hours=2),
        scan_report=scan_report(files={"app.json": 120, "pages/index/index.js": 2048, "pages/map/map.js": 4096},
                                permissions=["scope.userLocation"]),
        submitted_metadata=metadata())
    second = WaitingVersionFactory(program=MiniProgramFactory(name="Night Market"))
    return first, second


def test_reviewer_works_the_queue_by_keyboard(page, screenshot, reviewer, two_waiting):
    first, second = two_waiting
    sign_in(page, reviewer)
    page.goto("/reviews/")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.locator(".queue-row.is-overdue")).to_contain_text("Tea Timer")
    screenshot(page, "queue")

    press_key(page, "j")
    expect(page.locator("[data-queue-row]").first).to_be_focused()
    press_key(page, "Enter")
    expect(page).to_have_url(re.compile(rf"/reviews/{first.pk}/$"))
    expect(page.locator("#diff")).to_contain_text("scope.userLocation")
    expect(page.locator("#diff")).to_contain_text("pages/map/map.js")

    press_key(page, "t")
    expect(page.locator("#claim")).to_contain_text("You are reviewing this version.")
    assert ReviewClaim.objects.get(version=first).reviewer == reviewer
    screenshot(page, "claimed")

    press_key(page, "r")
    reject = page.locator("#decide-reject")
    expect(reject).to_have_attribute("open", "")
    reject.get_by_label("Unstable or crashes").check()
    reject.get_by_label("Details for the developer").fill("The map page stays blank.")
    screenshot(page, "rejecting")
    reject.get_by_role("button", name="Reject").click()

    expect(page).to_have_url(re.compile(rf"/reviews/{second.pk}/$"))
    expect(page.locator(".messages")).to_contain_text("Rejected Tea Timer 1.1.0.")
    first.refresh_from_db()
    assert first.status == Version.Status.REJECTED
    screenshot(page, "next-version")

    press_key(page, "a")
    expect(page.locator("#decide-approve")).to_have_attribute("open", "")
    press_key(page, "Escape")
    expect(page.locator("#decide-approve")).not_to_have_attribute("open", "")
    expect(page.locator("#decide-approve summary")).to_be_focused()  # not the top of the page
    press_key(page, "q")
    expect(page).to_have_url(re.compile(r"/reviews/$"))

    # Single-key shortcuts can be turned off (speech input), and stay off in this browser.
    page.locator("[data-shortcuts-toggle]").uncheck()
    page.reload()
    press_key(page, "j")
    expect(page.locator("[data-queue-row]").first).not_to_be_focused()
    expect(page.locator("[data-shortcuts-toggle]")).not_to_be_checked()


@pytest.fixture
def held(reviewer, settings):
    """A version the reviewer holds for two more minutes, the page's heartbeat every second."""
    settings.REVIEW_HEARTBEAT_SECONDS = 1
    version = WaitingVersionFactory(program=MiniProgramFactory(name="Harbour Ferry"))
    return ClaimFactory(version=version, reviewer=reviewer, expires_at=timezone.now() + timedelta(minutes=2))


def open_review(new_page, user, version):
    page = new_page()
    sign_in(page, user)
    page.goto(f"/reviews/{version.pk}/")
    return page


def test_the_open_page_keeps_the_claim_alive_and_others_out(new_page, screenshot, reviewer, other_reviewer, held):
    claim, version = held, held.version
    mine = open_review(new_page, reviewer, version)
    expect(mine.locator("#claim")).to_contain_text("You are reviewing this version.")
    mine.wait_for_timeout(2500)  # a heartbeat or two
    claim.refresh_from_db()
    assert claim.expires_at > timezone.now() + timedelta(minutes=14)

    theirs = open_review(new_page, other_reviewer, version)
    expect(theirs.locator("#claim")).to_contain_text("Riley Reviewer is reviewing this version")
    expect(theirs.locator("#decide")).to_contain_text("holds this version")
    screenshot(theirs, "locked-out")

    # Mine lapses while its reviewer types (a laptop asleep), and the other reviewer claims the version: the
    # next heartbeat says so where they type, stops the buttons and leaves the text to copy.
    press_key(mine, "r")
    mine.locator("#reject-text").fill("Three findings, written at length.")
    ReviewClaim.objects.filter(version=version).update(reviewer=other_reviewer,
                                                       expires_at=timezone.now() + timedelta(minutes=15))
    expect(mine.locator("#decide [role=alert]")).to_contain_text("Sam Second is reviewing this version")
    expect(mine.locator("#decide [role=alert]")).to_contain_text("what you wrote stays here to copy")
    expect(mine.locator("#claim")).not_to_contain_text("You are reviewing this version.")
    expect(mine.locator("#claim form")).to_have_count(0)  # no "Release the claim" of a claim it lost
    expect(mine.locator("#decide-reject button")).to_be_disabled()
    expect(mine.locator("#reject-text")).to_have_value("Three findings, written at length.")
    screenshot(mine, "claim-lost")


def test_a_page_left_alone_stops_renewing_its_claim(new_page, reviewer, settings, held):
    """A reviewer gone to lunch with the tab open held the version for everyone else."""
    settings.REVIEW_CLAIM_IDLE_MINUTES = 0  # idle at once: no key, click or scroll after the page loaded
    claim = held
    page = open_review(new_page, reviewer, claim.version)
    expect(page.locator("#claim")).to_contain_text("the claim is no longer renewed and lapses at")
    before = claim.expires_at
    page.wait_for_timeout(1500)
    claim.refresh_from_db()
    assert claim.expires_at == before


def test_the_queue_on_a_phone(new_page, screenshot, reviewer, two_waiting):
    phone = new_page(viewport=PHONE)
    sign_in(phone, reviewer)
    phone.goto("/reviews/")
    expect(phone.locator("[data-queue-row]")).to_have_count(2)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "queue-phone")
    phone.locator("[data-queue-row]").first.click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "review-phone")
