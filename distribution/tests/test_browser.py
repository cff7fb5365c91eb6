"""The distribution journey in headless Chromium, as a developer and an operator would live it:
the feed refused for a non-service category with the reason; the profile scene requested, approved by an
operator with two accounts and 1 share per hour, seen granted by the developer, then revoked.
(The host's share check between approval and revocation is the integrator's part, after the gate merges.)"""

import re
import time

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from console.tests.browser import PHONE
from console.tests.otp import authenticator_for, browser_second_step
from console.twofactor.services import second_factor_required
from distribution.models import Grant, WhitelistRequest
from distribution.tests.conftest import PDF, program_in
from hosts.client import HostClient
from hosts.models import Host
from hosts.services import credential_create

pytestmark = pytest.mark.browser


def sign_in(page, user) -> None:
    if second_factor_required(user):
        authenticator_for(user)  # operators are staff: enrolled in two-factor sign-in
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_second_step(page, user)
    expect(page.locator(".sidebar")).to_be_attached()  # the signed-in shell (on a phone its menu is closed)


def _row(page, code):
    return page.locator(f'.dist-row[data-scene="{code}"]')


def _host(live_server) -> HostClient:
    """Weibo, as its servers would call the console: signed HTTP calls with its own credential."""
    credential, secret = credential_create(host=Host.objects.get(code="weibo"), actor=None, name="journey")
    return HostClient(live_server.url, credential.key_id, secret)


def test_request_refused_then_granted_then_revoked(new_page, screenshot, owner, org, operator, tmp_path, live_server):
    puzzle = program_in(org, "tools")
    bikes = program_in(org, "life-services")
    evidence = tmp_path / "licence.pdf"
    evidence.write_bytes(PDF)
    dev = new_page()
    sign_in(dev, owner)

    # 1. The feed: not eligible for a tools program, with the reason, before and after asking.
    dev.goto(f"/orgs/{org.slug}/programs/{puzzle.appid}/")
    dev.locator("#distribution-card").get_by_role("link", name="Hosts and scenes").click()
    expect(dev.get_by_role("heading", name="Distribution", exact=True)).to_be_visible()
    feed = _row(dev, "weibo.feed")
    expect(feed).to_have_attribute("data-state", "not_eligible")
    expect(feed.locator("[data-reason]")).to_contain_text("Only service-type categories")
    expect(feed.get_by_role("link", name="Request")).to_have_count(0)
    screenshot(dev, "feed-not-eligible")
    dev.goto(f"/orgs/{org.slug}/programs/{puzzle.appid}/distribution/request/weibo.feed/")
    expect(dev.locator(".alert-error")).to_contain_text("Not eligible")
    dev.get_by_label("Why does the program belong in this scene?").fill("Puzzles for the commute.")
    dev.get_by_label("Evidence files (required for this scene)").set_input_files(str(evidence))
    dev.get_by_role("button", name="Send the request").click()
    expect(dev.locator(".alert-error")).to_have_count(1)
    expect(dev.locator(".alert-error")).to_contain_text("Tools is not one")
    assert not WhitelistRequest.objects.filter(program=puzzle).exists()
    screenshot(dev, "feed-refused")

    # 2. The profile scene for the life-services program: requested.
    dev.goto(f"/orgs/{org.slug}/programs/{bikes.appid}/distribution/")
    _row(dev, "weibo.profile").get_by_role("link", name="Request").click()
    dev.get_by_label("Why does the program belong in this scene?").fill(
        "The city's transport accounts want our bike map on their profile.")
    screenshot(dev, "profile-request-form")
    dev.get_by_role("button", name="Send the request").click()
    expect(dev.locator("[data-request-status]")).to_have_text("Pending")
    request = WhitelistRequest.objects.get(program=bikes)
    screenshot(dev, "profile-requested")

    # 3. The operator approves with two accounts and 1 share per hour.
    ops = new_page()
    sign_in(ops, operator)
    ops.get_by_role("link", name="Distribution queue").click()
    expect(ops.locator(f'[data-request="{request.pk}"]')).to_contain_text("weibo.profile")
    screenshot(ops, "operator-queue")
    ops.get_by_role("link", name=bikes.name).click()
    expect(ops.locator("[data-justification]")).to_contain_text("transport accounts")
    approve = ops.locator("#decide-approve")
    approve.get_by_label("Shares per user").fill("1")
    approve.get_by_label("Window").select_option(label="per hour")
    approve.locator("#p-0-account_uid").fill("1669879400")
    approve.locator("#p-0-account_name").fill("City Daily")
    approve.get_by_role("button", name="+ Add a row").click()
    approve.locator("#p-1-account_uid").fill("2803301701")
    approve.locator("#p-1-account_name").fill("Bike Club")
    screenshot(ops, "operator-approving")
    approve.get_by_role("button", name="Approve").click()
    expect(ops).to_have_url(re.compile(r"/distribution/queue/$"))
    expect(ops.locator(".messages")).to_contain_text("Granted weibo.profile")
    grant = Grant.objects.get(request=request)
    assert (grant.share_cap, grant.share_window_seconds) == (1, 3600)
    assert sorted(grant.placements.values_list("account_name", flat=True)) == ["Bike Club", "City Daily"]

    # 4. The developer sees the grant with its caps and accounts.
    dev.goto(f"/orgs/{org.slug}/programs/{bikes.appid}/distribution/")
    profile = _row(dev, "weibo.profile")
    expect(profile).to_have_attribute("data-state", "granted")
    expect(profile).to_contain_text("At most 1 share per program per user per hour.")
    screenshot(dev, "profile-granted")
    profile.get_by_role("link", name="View grant").click()
    expect(dev.locator("[data-placement]")).to_have_count(2)
    screenshot(dev, "grant-detail")

    # 5. The host: the placements call lists the card for those accounts; the gate allows one share by a
    #    user and denies the next with retry_after (1 share per hour).
    weibo = _host(live_server)
    status, cards = weibo.placements(host="weibo", scene="weibo.profile", account="2803301701")
    assert status == 200 and [c["appid"] for c in cards["cards"]] == [bikes.appid]
    status, cards = weibo.placements(host="weibo", scene="weibo.profile", account="999")
    assert status == 200 and cards["cards"] == []
    ask = {"host": "weibo", "appid": bikes.appid, "scene": "weibo.profile", "user": "wb-5521093"}
    assert weibo.share_check(**ask, share_id="s-1") == (200, {"allow": True, "reason": "allowed", "retry_after": None})
    status, denied = weibo.share_check(**ask, share_id="s-2")
    assert (status, denied["allow"], denied["reason"]) == (200, False, "share_cap")
    assert 3500 <= denied["retry_after"] <= 3600
    assert weibo.share_check(**{**ask, "user": "wb-other"}, share_id="s-3")[1]["allow"] is True

    # 6. The operator revokes; the gate denies at once, and the card is gone.
    ops.goto(f"/distribution/grants/{grant.pk}/")
    expect(ops.locator("#edit-placements #p-1-account_name")).to_have_value("Bike Club")
    screenshot(ops, "operator-grant")
    ops.get_by_label("Reason").select_option(label="User complaints")
    ops.get_by_label("Details for the developer").fill("Users report the card opens a blank page.")
    ops.get_by_role("button", name="Revoke the grant").click()
    expect(ops.locator("[data-grant-status]")).to_have_text("Revoked")
    screenshot(ops, "operator-revoked")
    grant.refresh_from_db()
    assert grant.status == Grant.Status.REVOKED
    # Every gate process re-reads grants within GATE_REFRESH_SECONDS (1 s) of the revocation.
    revoked_at = time.monotonic()
    for attempt in range(30):
        status, after = weibo.share_check(**{**ask, "user": f"wb-new-{attempt}"}, share_id=f"s-4-{attempt}")
        if not after["allow"]:
            break
        time.sleep(0.1)
    assert (status, after["allow"], after["reason"]) == (200, False, "not_whitelisted")
    assert time.monotonic() - revoked_at < 1.5
    assert weibo.placements(host="weibo", scene="weibo.profile", account="2803301701")[1]["cards"] == []

    dev.goto(f"/orgs/{org.slug}/programs/{bikes.appid}/distribution/")
    expect(profile).to_have_attribute("data-state", "revoked")
    expect(profile).to_contain_text("User complaints")
    expect(dev.locator(".bell-badge")).to_be_visible()
    screenshot(dev, "profile-revoked")

    # 6. The same page in Chinese and on a phone.
    dev.get_by_role("button", name="简体中文").click()
    expect(dev.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(_row(dev, "weibo.feed")).to_contain_text("首页信息流")
    screenshot(dev, "distribution-zh-hans")
    phone = new_page(viewport=PHONE)
    sign_in(phone, owner)
    phone.goto(f"/orgs/{org.slug}/programs/{bikes.appid}/distribution/")
    expect(_row(phone, "weibo.profile")).to_have_attribute("data-state", "revoked")
    screenshot(phone, "distribution-phone")
    phone_ops = new_page(viewport=PHONE)
    sign_in(phone_ops, operator)
    phone_ops.goto(f"/distribution/requests/{request.pk}/")
    screenshot(phone_ops, "operator-request-phone")
    phone.goto("/scenes/")
    # The owner chose 简体中文 in step 6, so the phone session reads the rule in Chinese.
    expect(phone.locator('[data-scene="weibo.feed"]')).to_contain_text("每位用户对每个小程序每小时最多分享 1 次。")
    screenshot(phone, "scenes-phone")
