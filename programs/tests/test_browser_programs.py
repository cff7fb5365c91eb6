"""Issue 3's journey in headless Chromium: a developer creates a program, uploads a good package
and sees it become ready with its report, then uploads a broken one and reads its findings."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from console.tests.browser import PHONE
from programs.models import MiniProgram, Version
from programs.samples import build_package
from programs.tests.factories import MiniProgramFactory, VersionFactory

pytestmark = pytest.mark.browser


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def upload(page, tmp_path, data: bytes, version: str):
    path = tmp_path / f"{version}.zip"
    path.write_bytes(data)
    page.get_by_role("link", name=re.compile("Upload a version")).first.click()
    page.locator("input[name=package]").set_input_files(str(path))
    page.locator("input[name=version]").fill(version)
    page.locator("[data-upload-submit]").click()
    expect(page).to_have_url(re.compile(rf"/versions/{re.escape(version)}/$"), timeout=30_000)


def test_developer_creates_a_program_uploads_and_reads_the_report(page, screenshot, live_server, owner, org, tmp_path):
    sign_in(page, owner.email)
    page.goto(f"/orgs/{org.slug}/programs/")
    screenshot(page, "program-list-empty")
    page.goto(f"/orgs/{org.slug}/programs/new/")
    page.locator("input[name=name]").fill("Harbour Bikes")
    page.get_by_label("Tools").check()
    page.locator("textarea[name=request_domains]").fill("https://api.example.com")
    page.locator("textarea[name=upload_domains]").fill("https://api.example.com")
    page.locator("textarea[name=download_domains]").fill("https://api.example.com")
    page.locator("textarea[name=socket_domains]").fill("wss://ws.example.com")
    screenshot(page, "program-form")
    page.locator("form button[type=submit]").last.click()
    program = MiniProgram.objects.get(name="Harbour Bikes")
    expect(page).to_have_url(re.compile(rf"/programs/{program.appid}/$"))
    screenshot(page, "program-page")

    # The sample package asks for the user's location: declare it (and why) before uploading.
    page.goto(f"/orgs/{org.slug}/programs/{program.appid}/edit/#privacy")
    page.get_by_label("Location", exact=True).fill("Show the bike stations nearest to you")
    screenshot(page, "privacy-declaration-form")
    page.get_by_role("button", name="Save the privacy declaration").click()
    expect(page.get_by_text("Privacy declaration saved")).to_be_visible()
    page.goto(f"/orgs/{org.slug}/programs/{program.appid}/")
    expect(page.get_by_text("Show the bike stations nearest to you")).to_be_visible()

    upload(page, tmp_path, build_package("alipay", code="\n// 1.0.0\n"), "1.0.0")
    expect(page.locator(".status-ready").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Main package").first).to_be_visible()
    screenshot(page, "good-version-ready")
    assert Version.objects.get(program=program, version="1.0.0").status == Version.Status.READY

    page.goto(f"/orgs/{org.slug}/programs/{program.appid}/")
    broken = build_package("alipay", code='\neval("2+2");\nmy.request({url: "http://203.0.113.9/x"});\n')
    upload(page, tmp_path, broken, "1.0.1")
    expect(page.locator(".status-scan_failed").first).to_be_visible(timeout=30_000)
    for code in ("code.eval", "network.insecure"):
        expect(page.get_by_text(code).first).to_be_visible()
    screenshot(page, "broken-version-findings")
    page.locator("form.findings-filters select[name=severity]").select_option("error")
    page.locator("form.findings-filters button").click()
    expect(page).to_have_url(re.compile(r"severity=error"))
    expect(page.locator(".finding-group-warning")).to_have_count(0)
    screenshot(page, "broken-version-errors-only")


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_version_table_fits_a_phone_and_keeps_its_columns_on_a_desktop(new_page, screenshot, live_server, owner,
                                                                            org, locale):
    """At 390 px each version is a small card (version and status, then findings and when) that fits the
    screen; English's "3 weeks, 3 days ago" pushed the last column out of the card, which scrolled sideways.
    At 1280 px it is still the table with all six column headers."""
    program = MiniProgramFactory(organisation=org, name="City Bikes")
    for number, status, days in [("1.0.0", "released", 24), ("1.1.0", "ready", 3), ("1.2.0", "scan_failed", 1)]:
        VersionFactory(program=program, version=number, status=status, description="Ride history, fixed",
                       uploaded_by=owner, errors=2 if status == "scan_failed" else 0, risk_score=10,
                       created_at=timezone.now() - timedelta(days=days))
    path = f"/orgs/{org.slug}/programs/{program.appid}/"
    for viewport in (PHONE, None):
        page = new_page(viewport=viewport, locale=locale)
        page.goto("/accounts/login/")
        page.locator("#id_username").fill(owner.email)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("button.btn-primary[type=submit]").click()
        page.goto(path)
        table = page.locator(".versions-table")
        screenshot(page, f"versions-{locale}-{(viewport or {}).get('width', 1280)}")
        assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth"), "the table scrolls"
        headers = table.locator("thead th")
        expect(headers).to_have_count(6)
        if viewport == PHONE:
            expect(table.locator("thead")).to_be_hidden()
            when = table.locator("tbody tr").first.locator("td").nth(5).bounding_box()
            assert when["x"] + when["width"] <= PHONE["width"], when
        else:
            for header in headers.all():
                expect(header).to_be_visible()
