"""Per-organisation isolation: outsiders get 404 on every page and endpoint inside an organisation,
anonymous visitors are sent to sign in (pages) or get 401 (API), and the admin site is staff-only."""

import re

import pytest
from django.urls import URLPattern, URLResolver, reverse

from console import urls as console_urls
from console.models import ApiKey, Invitation, Membership, Organisation
from console.roles import Role
from console.tests.factories import InvitationFactory, UserFactory

# (method, url name, ids the url needs, POST data)
ORG_PAGES = [
    ("get", "organisation_dashboard", [], None),
    ("get", "organisation_settings", [], None),
    ("post", "organisation_settings", [], {"name": "Pwned", "kind": "individual"}),
    ("get", "members", [], None),
    ("post", "members", [], {"email": "spy@evil.test", "role": "viewer"}),
    ("post", "member_role", ["member_id"], {"role": "viewer"}),
    ("post", "member_remove", ["member_id"], None),
    ("post", "invitation_revoke", ["invitation_id"], None),
    ("get", "api_keys", [], None),
    ("post", "api_keys", [], {"name": "stolen", "scopes": ["org:read"]}),
    ("get", "api_key_created", ["key_id"], None),
    ("post", "api_key_revoke", ["key_id"], None),
    ("get", "audit_log", [], None),
]
PAGE_IDS = [f"{method}-{name}" for method, name, _, _ in ORG_PAGES]


@pytest.fixture
def objects(org, owner, member, owner_key):
    return {
        "member_id": Membership.objects.get(organisation=org, user=member).pk,
        "invitation_id": InvitationFactory(organisation=org, invited_by=owner, email="pending@acme.test").pk,
        "key_id": owner_key[0].pk,
    }


def _url(org, name, id_names, objects):
    return reverse(name, args=[org.slug, *[objects[i] for i in id_names]])


def _snapshot(org):
    org.refresh_from_db()
    return (
        org.name,
        sorted(org.memberships.values_list("user__email", "role")),
        sorted(Invitation.objects.filter(organisation=org).values_list("email", "revoked_at")),
        sorted(ApiKey.objects.filter(organisation=org).values_list("name", "revoked_at")),
    )


@pytest.mark.parametrize("method, name, id_names, data", ORG_PAGES, ids=PAGE_IDS)
def test_outsider_gets_404_and_changes_nothing(client_for, outsider, org, objects, method, name, id_names, data):
    before = _snapshot(org)

    response = getattr(client_for(outsider), method)(_url(org, name, id_names, objects), data or {})

    assert response.status_code == 404
    assert _snapshot(org) == before


@pytest.mark.parametrize("method, name, id_names, data", ORG_PAGES, ids=PAGE_IDS)
def test_outsider_gets_the_same_404_as_for_an_organisation_that_does_not_exist(
    client_for, outsider, org, objects, method, name, id_names, data
):
    client = client_for(outsider)
    ghost = Organisation(slug="no-such-org")

    real = getattr(client, method)(_url(org, name, id_names, objects), data or {})
    missing = getattr(client, method)(_url(ghost, name, id_names, objects), data or {})

    assert (real.status_code, real.content) == (missing.status_code, missing.content)


@pytest.mark.parametrize("method, name, id_names, data", ORG_PAGES, ids=PAGE_IDS)
def test_anonymous_visitor_is_sent_to_sign_in(client, org, objects, method, name, id_names, data):
    before = _snapshot(org)
    url = _url(org, name, id_names, objects)

    response = getattr(client, method)(url, data or {})

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"
    assert _snapshot(org) == before


def _routes(patterns, prefix=""):
    """Every route of `patterns` (those under /orgs/<slug>/, say), including those other apps include there, as
    (name, path template)."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern)


ALL_ORG_ROUTES = sorted(set(_routes(console_urls.org_patterns)))


def _fill(template, org_slug):
    """A concrete path for a route template: the org's slug and a plausible value for every other part."""
    samples = {"int": "1", "str": "x", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000000", "path": "x"}
    path = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: samples[m.group(1) or "str"], template)
    return f"/orgs/{org_slug}/{path}"


@pytest.mark.parametrize("name, template", ALL_ORG_ROUTES, ids=[n for n, _ in ALL_ORG_ROUTES])
def test_outsider_gets_404_on_every_route_inside_an_organisation(client_for, outsider, org, name, template):
    client = client_for(outsider)
    url = _fill(template, org.slug)

    assert client.post(url).status_code == 404
    assert client.get(url).status_code in (404, 405)  # 405: POST-only, answered before any lookup


@pytest.mark.parametrize("name, template", ALL_ORG_ROUTES, ids=[n for n, _ in ALL_ORG_ROUTES])
def test_anonymous_visitor_is_sent_to_sign_in_from_every_route_inside_an_organisation(client, org, name, template):
    url = _fill(template, org.slug)

    response = client.post(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_the_foundation_pages_are_all_checked_with_real_objects():
    foundation = {"organisation_dashboard", "organisation_settings", "members", "member_role", "member_remove",
                  "invitation_revoke", "api_keys", "api_key_created", "api_key_revoke", "audit_log"}

    assert foundation <= {name for name, _ in ALL_ORG_ROUTES}
    assert foundation == {name for _, name, _, _ in ORG_PAGES}


ORG_APIS = ["api_audit_events", "api_members"]


@pytest.mark.parametrize("name", ORG_APIS)
def test_outsider_gets_404_on_the_organisations_api(client_for, outsider, org, name):
    response = client_for(outsider).get(reverse(name, args=[org.slug]))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("name", ORG_APIS)
def test_outsiders_key_gets_404_on_the_organisations_api(api, outsider, other_org, org, name):
    from console.services import api_key_create

    _, raw = api_key_create(org=other_org, user=outsider, role=Role.OWNER, name="x", scopes=["org:read"])

    response = api.get(reverse(name, args=[org.slug]), HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 404


@pytest.mark.parametrize("url", [reverse("api_me"), *(reverse(name, args=["acme-apps"]) for name in ORG_APIS)])
def test_anonymous_api_call_is_401(api, org, url):
    response = api.get(url)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("url", [reverse("dashboard"), reverse("organisation_create"), reverse("password_change")])
def test_anonymous_visitor_is_sent_to_sign_in_from_account_pages(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_switch_is_sent_to_sign_in(client, org):
    response = client.post(reverse("organisation_switch"), {"org": org.slug})

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# ------------------------------------------------------------------ staff-only admin site


@pytest.mark.parametrize("url", ["/admin/", "/admin/console/user/", "/admin/console/auditevent/"])
def test_admin_site_sends_non_staff_to_the_admin_login(client_for, owner, url):
    response = client_for(owner).get(url)

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_admin_site_sends_anonymous_visitors_to_the_admin_login(client, db):
    response = client.get("/admin/console/organisation/")

    assert response.status_code == 302
    assert response.url == "/admin/login/?next=/admin/console/organisation/"


def test_staff_without_permissions_gets_403_on_model_pages(client_for, db):
    staff = UserFactory(email="staff@platform.test", is_staff=True)

    client = client_for(staff)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/console/user/").status_code == 403
    assert client.get("/admin/console/apikey/").status_code == 403


# ------------------------------------------------------------------ every API route that names an org or a program


OWNED_API_ROUTES = sorted(
    (name, template) for name, template in set(_routes(console_urls.api_v1_patterns))
    if "<slug:org_slug>" in template or "<str:appid>" in template
)


def _fill_api(template, org_slug, appid):
    samples = {"int": "1", "str": "1.0.0", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000000",
               "path": "x"}
    path = template.replace("<slug:org_slug>", org_slug).replace("<str:appid>", appid)
    return "/api/v1/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: samples[m.group(1) or "str"], path)


def test_every_api_route_naming_an_organisation_or_a_program_is_checked():
    names = {name for name, _ in OWNED_API_ROUTES}

    assert {"api_program_detail", "api_program_testers", "api_program_logo", "api_webhooks",
            "api_webhook_redeliver", "api_program_stats"} <= names
    assert len(OWNED_API_ROUTES) >= 32


@pytest.mark.parametrize("name, template", OWNED_API_ROUTES, ids=[n for n, _ in OWNED_API_ROUTES])
def test_an_outsider_and_their_key_get_404_on_every_api_route_of_an_organisation(org, outsider, other_org, name,
                                                                                template):
    """Every method, with a session and with a key holding every scope: 404 (or 405 for a method the route does
    not have), never 403, which would say that the program exists."""
    from rest_framework.test import APIClient

    from console.roles import scopes_for_role
    from console.services import api_key_create
    from programs.tests.factories import MiniProgramFactory, VersionFactory

    program = MiniProgramFactory(organisation=org)
    VersionFactory(program=program, version="1.0.0")
    url = _fill_api(template, org.slug, program.appid)
    _, raw = api_key_create(org=other_org, user=outsider, role=Role.OWNER, name="x",
                            scopes=scopes_for_role(Role.OWNER))
    session, keyed = APIClient(), APIClient()
    session.force_authenticate(outsider)
    keyed.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    for client in (session, keyed):
        for method in ("get", "post", "put", "patch", "delete"):
            response = getattr(client, method)(url)
            assert response.status_code in (404, 405), (method, url, response.status_code, response.content[:200])
