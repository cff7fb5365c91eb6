"""The newcomer's journey in headless Chromium: sign up, create an organisation, invite a member who
signs up from the emailed link, create an API key and call the API with it, revoke it; then the same
console on a phone and in Simplified Chinese. Screenshots of every step go to screenshots/."""

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from conftest import PASSWORD
from console.models import ApiKey, Membership, User
from console.tests.browser import PHONE

pytestmark = pytest.mark.browser

OWNER_EMAIL = "lin@lotus.test"
INVITEE_EMAIL = "ivy@lotus.test"
NEW_PASSWORD = "lotus-blossom-2718"
CJK = re.compile(r"[\u4e00-\u9fff]")


def sign_up(page, *, full_name: str, email: str) -> None:
    page.get_by_label("Full name").fill(full_name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()


def sign_in(page, *, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def call_me_api(base_url: str, key: str) -> tuple[int, dict]:
    """GET /api/v1/me/ with the key and no cookies, as a script in CI would."""
    request = urllib.request.Request(f"{base_url}/api/v1/me/", headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_newcomer_signs_up_invites_a_member_and_calls_the_api_with_a_key(
    page, new_page, screenshot, live_server, mailoutbox
):
    # A new person signs up from the sign-in page and is sent on to create an organisation.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    screenshot(page, "sign-in-page")
    page.get_by_role("link", name="Create an account").click()
    sign_up(page, full_name="Lin Lotus", email=OWNER_EMAIL)
    expect(page).to_have_url(re.compile(r"/orgs/new/$"))
    expect(page.get_by_role("status")).to_contain_text("Welcome!")
    screenshot(page, "signed-up")

    page.get_by_label("Name").fill("Lotus Apps")
    page.get_by_label("Kind").select_option("enterprise")
    page.get_by_role("button", name="Create organisation").click()
    expect(page).to_have_url(re.compile(r"/orgs/[\w-]+/$"))
    slug = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Organisation “Lotus Apps” created.")
    expect(page.locator(".topbar-title")).to_have_text("Lotus Apps")
    screenshot(page, "organisation-created")

    # Inviting needs a confirmed address: the members page says so instead of offering the form.
    page.get_by_role("navigation").get_by_role("link", name="Members").click()
    expect(page.locator("main")).to_contain_text("Confirm your email address to invite people")
    expect(page.get_by_role("button", name="Send invitation")).to_have_count(0)
    screenshot(page, "invite-needs-a-confirmed-address")

    # The owner confirms the address from the email sent at sign-up, in another browser, signed out: opening
    # the link only asks (mail scanners open links too); the button confirms.
    assert [(m.to, m.subject) for m in mailoutbox] == [([OWNER_EMAIL], "Confirm your email address")]
    confirm = new_page()
    confirm.goto(re.search(r"https?://\S+/accounts/verify/\S+/", mailoutbox[0].body).group(0))
    expect(confirm.locator("body")).to_contain_text(f"to confirm that {OWNER_EMAIL} is your address")
    screenshot(confirm, "address-confirmation")
    confirm.get_by_role("button", name="Confirm my address").click()
    expect(confirm.get_by_role("status")).to_contain_text(f"Thank you: {OWNER_EMAIL} is confirmed.")

    # The owner invites a developer by email; the link arrives by mail.
    page.reload()
    invite = page.locator("form", has=page.get_by_role("button", name="Send invitation"))
    invite.get_by_label("Email address").fill(INVITEE_EMAIL)
    invite.get_by_label("Role").select_option("developer")
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation sent to {INVITEE_EMAIL}.")
    pending = page.locator(".card", has=page.get_by_role("heading", name="Pending invitations"))
    expect(pending.get_by_role("row", name=INVITEE_EMAIL)).to_contain_text("Developer")
    screenshot(page, "invitation-sent")

    assert [(m.to, m.subject) for m in mailoutbox] == [
        ([OWNER_EMAIL], "Confirm your email address"), ([INVITEE_EMAIL], "You are invited to join Lotus Apps")]
    link = re.search(r"https?://\S+/invitations/\S+/", mailoutbox[1].body).group(0)
    assert link.startswith(live_server.url)

    # The invitee opens the link in their own browser, signs up from it and accepts.
    invitee = new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="Join Lotus Apps")).to_be_visible()
    expect(invitee.locator("main")).to_contain_text(f"{OWNER_EMAIL} invited you as Developer.")
    screenshot(invitee, "invitee-opens-link")
    invitee.get_by_role("link", name="Create an account").click()
    sign_up(invitee, full_name="Ivy Invitee", email=INVITEE_EMAIL)
    expect(invitee).to_have_url(link)
    screenshot(invitee, "invitee-signed-up")
    invitee.get_by_role("button", name="Accept invitation").click()
    expect(invitee).to_have_url(f"{live_server.url}/orgs/{slug}/")
    expect(invitee.get_by_role("status")).to_contain_text("You joined Lotus Apps.")
    expect(invitee.locator(".page-head")).to_contain_text("you are Developer")
    screenshot(invitee, "invitee-joined")
    assert Membership.objects.get(organisation__slug=slug, user__email=INVITEE_EMAIL).role == "developer"

    # The owner sees the new member; the invitation is no longer pending.
    page.reload()
    member_row = page.get_by_role("row", name="Ivy Invitee")
    expect(member_row).to_contain_text(INVITEE_EMAIL)
    expect(member_row.get_by_label("Role")).to_have_value("developer")
    expect(page.get_by_role("heading", name="Pending invitations")).to_have_count(0)
    expect(page.get_by_role("heading", name="2 members")).to_be_visible()
    screenshot(page, "owner-sees-member")

    # The owner creates an API key; it is shown once, on the page after creating it.
    page.get_by_role("navigation").get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("CI pipeline")
    page.get_by_role("checkbox", name=re.compile("Read the organisation")).check()
    page.get_by_role("checkbox", name=re.compile("Read programs")).check()
    create = page.get_by_role("button", name="Create key")
    # A second submit while the first is on its way is held back (a double click made two keys): seen from a
    # listener after console.js's, the first goes through and the second is stopped.
    held = create.evaluate("""(button) => {
        const seen = [];
        const record = (event) => { seen.push(event.defaultPrevented); event.preventDefault(); };
        window.addEventListener("submit", record);
        button.form.requestSubmit(button);
        button.form.requestSubmit(button);
        window.removeEventListener("submit", record);
        delete button.form.dataset.submitting;
        return seen;
    }""")
    assert held == [False, True]
    create.click()
    expect(page.get_by_role("heading", name="API key created")).to_be_visible()
    raw_key = page.get_by_label("API key").input_value()
    assert re.fullmatch(r"mpk_\w+_\S+", raw_key), raw_key
    screenshot(page, "api-key-shown-once")
    assert ApiKey.objects.filter(name="CI pipeline").count() == 1

    status, body = call_me_api(live_server.url, raw_key)
    assert status == 200, body
    assert body["email"] == OWNER_EMAIL
    assert [(o["slug"], o["name"], o["role"]) for o in body["organisations"]] == [(slug, "Lotus Apps", "owner")]
    assert body["api_key"]["name"] == "CI pipeline"
    assert sorted(body["api_key"]["scopes"]) == ["org:read", "programs:read"]

    # Reloading the page that showed it makes no other key, and the secret is not shown again: it goes back to
    # the key list, which shows the prefix and the use; revoking it (after a confirm dialog) locks the API out.
    page.reload()
    expect(page.get_by_role("status")).to_contain_text("cannot be shown again")
    assert raw_key not in page.content()
    assert ApiKey.objects.filter(name="CI pipeline").count() == 1
    key_row = page.get_by_role("row", name="CI pipeline")
    expect(key_row).to_contain_text(f"mpk_{raw_key.split('_')[1]}_…")
    expect(key_row).not_to_contain_text("never")
    page.once("dialog", lambda dialog: dialog.accept())
    key_row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("API key “CI pipeline” revoked.")
    expect(key_row.locator(".badge-err")).to_have_text("revoked")
    screenshot(page, "api-key-revoked")
    assert ApiKey.objects.get(name="CI pipeline").revoked_at is not None

    status, body = call_me_api(live_server.url, raw_key)
    assert status == 401, body
    assert "revoked" in json.dumps(body)


def test_dashboard_on_a_phone_opens_the_navigation_from_the_menu_button(new_page, screenshot, org, owner):
    phone = new_page(viewport=PHONE)
    sign_in(phone, email=owner.email, password=PASSWORD)
    expect(phone).to_have_url(re.compile(rf"/orgs/{org.slug}/$"))
    expect(phone.get_by_role("heading", name="Overview")).to_be_visible()
    page_width = phone.evaluate("document.documentElement.scrollWidth")
    assert page_width <= PHONE["width"], f"the dashboard scrolls sideways on a phone ({page_width}px)"
    sidebar = phone.locator(".sidebar")
    assert sidebar.bounding_box()["x"] + sidebar.bounding_box()["width"] <= 0, "navigation should start closed"
    screenshot(phone, "dashboard-phone")

    phone.get_by_label("Menu", exact=True).click()
    expect(sidebar).to_have_css("transform", "none")  # slid in (the page's CSP forbids wait_for_function)
    screenshot(phone, "navigation-open")
    phone.get_by_role("navigation").get_by_role("link", name="Members").click()
    expect(phone).to_have_url(re.compile(rf"/orgs/{org.slug}/members/$"))
    expect(phone.get_by_role("heading", name="Members", exact=True)).to_be_visible()
    screenshot(phone, "members-phone")


def test_language_switch_to_simplified_chinese_and_back(page, screenshot, org, owner):
    sign_in(page, email=owner.email, password=PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator(".topbar").get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    # Django's own zh_Hans catalog translates the humanized times in "Recent activity" ("现在", "…以前").
    expect(page.locator(".timeline .when").first).to_have_text(CJK)
    if _project_catalog_compiled():
        expect(page.locator(".nav")).to_contain_text(CJK)
        expect(page.locator(".nav")).not_to_contain_text("Members")
    screenshot(page, "dashboard-zh-hans")
    assert User.objects.get(pk=owner.pk).language == "zh-hans"

    page.locator(".topbar").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    assert User.objects.get(pk=owner.pk).language == "en"


def _project_catalog_compiled() -> bool:
    return any((Path(p) / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists() for p in settings.LOCALE_PATHS)


def test_a_role_change_names_the_new_role_and_a_cancel_keeps_the_saved_one(page, owner, org, member):
    sign_in(page, email=owner.email, password=PASSWORD)
    page.goto(f"/orgs/{org.slug}/members/")
    role = page.get_by_role("row", name="Devi Developer").get_by_label("Role")
    questions = []

    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    role.select_option("viewer")
    expect(role).to_have_value("developer")
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    role.select_option("operator")
    expect(page.get_by_role("status")).to_contain_text("Operator")

    assert questions == ["Make Devi Developer Viewer?", "Make Devi Developer Operator?"]
    assert Membership.objects.get(organisation=org, user=member).role == "operator"
