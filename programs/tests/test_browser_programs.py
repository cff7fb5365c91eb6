"""Issue 3's journey in headless Chromium: a developer creates a program, uploads a good package
and sees it become ready with its report, then uploads a broken one and reads its findings."""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from programs.models import MiniProgram, Version
from programs.samples import build_package

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
