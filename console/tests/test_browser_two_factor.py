"""A reviewer's first sign-in enrols an authenticator app (QR code, recovery codes shown once); the next
sign-in asks for its code after the password, refuses a wrong one, then opens the queue and the admin site."""

import re

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from console.roles import StaffGroup
from console.tests.factories import PASSWORD, UserFactory
from console.tests.otp import next_code
from console.twofactor.services import totp_now

pytestmark = pytest.mark.browser


@pytest.fixture
def reviewer():
    user = UserFactory(email="riley@platform.test", full_name="Riley Reviewer", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=StaffGroup.REVIEWERS)[0])
    return user


def password_step(page, user):
    page.goto("/reviews/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_staff_sign_in_with_a_second_factor(page, reviewer, screenshot):
    password_step(page, reviewer)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/\?next=%2Freviews%2F$"))
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_alt_text("QR code for your authenticator app")).to_be_visible()
    screenshot(page, "enrol-qr-code")

    pending = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    page.get_by_label("Code").fill(totp_now(pending))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    screenshot(page, "recovery-codes-shown-once")
    page.get_by_role("link", name="I saved them, continue").click()
    expect(page).to_have_url(re.compile(r"/reviews/$"))
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()

    page.locator("summary.avatar").click()
    page.get_by_role("button", name="Sign out").click()
    password_step(page, reviewer)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/\?next=%2Freviews%2F$"))
    screenshot(page, "asks-for-the-code")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    screenshot(page, "wrong-code-refused")

    page.wait_for_timeout(1100)  # django-otp makes a guesser wait after every wrong code
    page.get_by_label("Code").fill(next_code(TOTPDevice.objects.get(user=reviewer, confirmed=True)))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/reviews/$"))
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    screenshot(page, "admin-site-after-the-code")
