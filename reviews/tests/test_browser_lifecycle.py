"""Issue 4's whole journey in headless Chromium, two people in two browsers:

developer uploads and submits → reviewer claims, reads the diff, rejects with a reason → developer
replies and submits a new version → reviewer approves → developer releases to 10 %, raises to 100 %,
and rolls back to the previous release. Screenshots of every step go to screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from console.tests.browser import press_key
from console.tests.otp import browser_second_step
from programs.demo import DOMAINS
from programs.lifecycle import version_transition
from programs.models import Category, Version
from programs.releases import version_release, version_submit
from programs.samples import build_package
from programs.scans import version_scan
from programs.services import program_create, program_set_privacy_declaration, version_upload
from programs.tests.worker import wait_for

pytestmark = pytest.mark.browser
S = Version.Status


def sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_second_step(page, user)  # reviewers are staff: a code from their authenticator
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


@pytest.fixture
def released_program(org, owner, reviewer):
    """City Rides with 1.0.0 released, so that there is a diff to read and a release to roll back to."""
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    program = program_create(org=org, actor=owner, name="City Rides", domains=DOMAINS,
                             categories=[Category.objects.get(code="travel")], description="Rides across the city.",
                             privacy_policy_url="https://rides.example.com/privacy")
    program_set_privacy_declaration(program=program, actor=owner, items={"location": "Find rides nearby"})
    data = build_package("alipay", code="\n// 1.0.0\n")
    package = SimpleUploadedFile("p.zip", data)
    package.sha256 = hashlib.sha256(data).hexdigest()
    first = version_upload(program=program, actor=owner, version="1.0.0", description="", package=package,
                           method=Version.UploadMethod.CLI).version
    version_scan(first.pk)
    first.refresh_from_db()
    version_submit(version=first, actor=owner)
    first.refresh_from_db()
    version_transition(first, to=S.APPROVED, actor=reviewer, action="approve")
    version_release(version=first, actor=owner)
    return program


def open_first_in_queue(rev) -> None:
    """Keyboard, as reviewers work: j selects the first row, Enter opens it."""
    press_key(rev, "j")
    press_key(rev, "Enter")
    expect(rev).to_have_url(re.compile(r"/reviews/\d+/$"))


def upload_and_submit(page, screenshot, tmp_path, org, program, version: str, code: str, step: str) -> None:
    path = tmp_path / f"{version}.zip"
    path.write_bytes(build_package("alipay", code=code, files={"pages/map/map.js": f"// map {version}\n"}))
    page.goto(f"/orgs/{org.slug}/programs/{program.appid}/upload/")
    page.locator("input[name=package]").set_input_files(str(path))
    page.locator("input[name=version]").fill(version)
    page.locator("[data-upload-submit]").click()
    expect(page).to_have_url(re.compile(rf"/versions/{re.escape(version)}/$"), timeout=30_000)
    expect(page.get_by_role("button", name="Submit for review")).to_be_visible(timeout=30_000)
    page.get_by_label("Notes for the reviewer").fill("The new map page is under the Map tab.")
    screenshot(page, f"{step}-ready-to-submit")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".status-in_review").first).to_be_visible()
    screenshot(page, f"{step}-submitted")


def test_upload_review_reject_answer_approve_release_raise_and_roll_back(
    page, new_page, screenshot, live_server, owner, org, reviewer, released_program, tmp_path
):
    program = released_program
    dev = page
    dev.on("dialog", lambda dialog: dialog.accept())  # the confirmations of release and rollback
    sign_in(dev, owner)

    # 1. The developer uploads 1.1.0 in the browser and submits it.
    upload_and_submit(dev, screenshot, tmp_path, org, program, "1.1.0", "\n// 1.1.0\n", "01")

    # 2. The reviewer finds it in the queue, claims it, reads the diff and rejects it with a reason.
    rev = new_page()
    sign_in(rev, reviewer)
    rev.goto("/reviews/")
    expect(rev.get_by_role("heading", name="Review queue")).to_be_visible()
    screenshot(rev, "02-queue")
    open_first_in_queue(rev)
    press_key(rev, "t")
    expect(rev.locator("#claim")).to_contain_text("You are reviewing this version.")
    expect(rev.locator("#diff")).to_contain_text("pages/map/map.js")
    screenshot(rev, "03-review-page-with-diff")
    press_key(rev, "r")
    reject = rev.locator("#decide-reject")
    reject.get_by_label("Unstable or crashes").check()
    reject.get_by_label("Details for the developer").fill("The map page stays blank on Android.")
    screenshot(rev, "04-rejecting")
    reject.get_by_role("button", name="Reject").click()
    expect(rev.locator(".messages")).to_contain_text("Rejected City Rides 1.1.0.")
    assert program.versions.get(version="1.1.0").status == S.REJECTED

    # 3. The developer reads the reasons, answers, and submits a fixed 1.1.1.
    dev.reload()
    expect(dev.locator(".status-rejected").first).to_be_visible()
    expect(dev.get_by_text("Unstable or crashes").first).to_be_visible()
    answer = dev.locator("textarea[name=body]")
    if answer.count():
        answer.fill("Fixed: the map now loads its tiles over https. See 1.1.1.")
        answer.locator("xpath=ancestor::form").get_by_role("button").click()
        expect(dev.get_by_text("Fixed: the map now loads").first).to_be_visible()
    screenshot(dev, "05-rejected-and-answered")
    upload_and_submit(dev, screenshot, tmp_path, org, program, "1.1.1", "\n// 1.1.1\n", "06")

    # 4. The reviewer approves 1.1.1.
    rev.goto("/reviews/")
    open_first_in_queue(rev)
    press_key(rev, "t")
    expect(rev.locator("#claim")).to_contain_text("You are reviewing this version.")
    press_key(rev, "a")
    approve = rev.locator("#decide-approve")
    screenshot(rev, "07-approving")
    approve.get_by_role("button", name=re.compile("^Approve")).click()
    wait_for(lambda: program.versions.get(version="1.1.1").status == S.APPROVED, timeout=10)

    # 5. The developer releases to 10 %, raises to 100 %, then rolls back to 1.0.0.
    dev.reload()
    dev.locator("input[name=audience][value=phased]").check()
    dev.get_by_label("Percentage of users").fill("10")
    screenshot(dev, "08-release-form")
    dev.get_by_role("button", name="Release", exact=True).click()
    expect(dev.locator(".status-phased").first).to_be_visible()
    assert program.versions.get(version="1.1.1").phased_percentage == 10
    screenshot(dev, "09-phased-10")
    dev.get_by_role("button", name=re.compile("100 % · everyone")).click()
    expect(dev.locator(".status-released").first).to_be_visible()
    assert program.versions.get(version="1.0.0").status == S.SUPERSEDED
    screenshot(dev, "10-released-100")

    dev.goto(f"/orgs/{org.slug}/programs/{program.appid}/")
    dev.get_by_role("button", name="Roll back to 1.0.0").click()
    wait_for(lambda: program.versions.get(version="1.0.0").status == S.RELEASED, timeout=10)
    assert program.versions.get(version="1.1.1").status == S.ROLLED_BACK
    dev.goto(f"/orgs/{org.slug}/programs/{program.appid}/")
    screenshot(dev, "11-rolled-back")
