"""The stats dashboard in headless Chromium: a month of simulated traffic, charts drawn, filters, phone, Chinese."""

import re
import time

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from programs.models import Version
from programs.tests.factories import MiniProgramFactory, VersionFactory
from programs.tests.test_browser_programs import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def busy_program(org):
    program = MiniProgramFactory(organisation=org, appid="2026000000000042", name="Harbour Bikes")
    VersionFactory(program=program, version="1.0.0", status=Version.Status.RELEASED)
    call_command("simulate_traffic", "--days", "30", "--users-per-day", "15", "--appid", program.appid)
    return program


def _chart_drawn(page, canvas_id: str, timeout: float = 10) -> bool:
    """Whether Chart.js drew on the canvas, asked until `timeout` (the scripts are deferred; the page's CSP
    forbids Playwright's wait_for_function)."""
    deadline = time.monotonic() + timeout
    while True:
        if page.evaluate(f"() => !!(window.Chart && Chart.getChart('{canvas_id}'))"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def test_a_developer_reads_a_month_of_stats(page, new_page, screenshot, owner, org, busy_program):
    sign_in(page, owner.email)
    page.goto(f"/orgs/{org.slug}/programs/{busy_program.appid}/")
    page.get_by_role("link", name=re.compile("Open stats")).click()
    expect(page.get_by_role("heading", name="Stats", exact=True)).to_be_visible()
    visits = page.locator(".stats-cards .stat").first.locator(".value")
    assert int(visits.inner_text().replace(",", "")) > 100
    assert _chart_drawn(page, "chart-traffic") and _chart_drawn(page, "chart-sharing")
    assert _chart_drawn(page, "chart-revenue") and _chart_drawn(page, "chart-depths")
    assert page.evaluate("() => Chart.getChart('chart-depths').options.scales.x.title.text").startswith("Depth")
    assert page.locator(".retention tbody tr").count() >= 20
    expect(page.locator("details.chain").first).to_be_visible()
    screenshot(page, "dashboard-30-days")
    page.set_viewport_size({"width": 1280, "height": 900})  # a laptop: the by-scene table's ten columns fit
    breakdown = page.locator("table.wrap-heads").locator("..")
    assert breakdown.evaluate("wrap => wrap.scrollWidth <= wrap.clientWidth"), "the by-scene table scrolls at 1280 px"

    page.locator("select[name=granularity]").select_option("week")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile("granularity=week"))
    assert _chart_drawn(page, "chart-traffic")
    assert page.evaluate("() => Chart.getChart('chart-traffic').data.labels.length") in (5, 6)
    page.get_by_role("link", name="Last 7 days").click()
    expect(page).to_have_url(re.compile("days=7"))
    page.wait_for_load_state()
    assert _chart_drawn(page, "chart-traffic")
    assert page.evaluate("() => Chart.getChart('chart-traffic').data.labels.length") <= 2
    screenshot(page, "weekly-last-7-days")

    with page.expect_download() as download:
        page.locator("a", has_text="CSV").nth(1).click()
    assert download.value.suggested_filename.startswith(f"{busy_program.appid}-breakdown-")

    phone = new_page(viewport={"width": 390, "height": 844})
    sign_in(phone, owner.email)
    phone.locator(".topbar").get_by_role("button", name="简体中文").click()
    expect(phone.locator("html")).to_have_attribute("lang", "zh-hans")
    phone.goto(f"/orgs/{org.slug}/programs/{busy_program.appid}/stats/")
    assert _chart_drawn(phone, "chart-traffic")
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 400, f"the page is {width} px wide on a 390 px phone"
    # The retention table is wider than the phone: its right side fades out until it is scrolled there.
    retention = phone.locator(".table-wrap", has=phone.locator("table.retention"))
    expect(retention).to_have_class(re.compile(r"\bmore-right\b"))
    expect(retention).not_to_have_class(re.compile(r"\bmore-left\b"))
    retention.evaluate("wrap => wrap.scrollLeft = wrap.scrollWidth")
    expect(retention).to_have_class(re.compile(r"\bmore-left\b"))
    expect(retention).not_to_have_class(re.compile(r"\bmore-right\b"))
    screenshot(phone, "phone")
