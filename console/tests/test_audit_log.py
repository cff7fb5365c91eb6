"""The audit log: the service, the page (/orgs/<slug>/audit/) and the API (/api/v1/orgs/<slug>/audit/)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from console.models import AuditEvent
from console.services import audit_record
from console.tests.factories import AuditEventFactory


@pytest.fixture
def events(org, other_org):
    """Events in `org` at known times (newest first: key-1, member-1, org-1), and one in another org."""
    base = timezone.now() - timedelta(days=1)
    AuditEvent.objects.all().delete()
    made = {
        "org-1": AuditEventFactory(organisation=org, action="organisation.update", actor_label="owner@acme.test",
                                   target_type="console.organisation", created_at=base),
        "member-1": AuditEventFactory(organisation=org, action="membership.change_role", actor_label="admin@acme.test",
                                      target_type="console.membership", created_at=base + timedelta(minutes=1)),
        "key-1": AuditEventFactory(organisation=org, action="api_key.create", actor_label="API key abc (CI)",
                                   target_type="console.apikey", created_at=base + timedelta(minutes=2)),
        "theirs": AuditEventFactory(organisation=other_org, action="api_key.create", actor_label="mallory@evil.test",
                                    target_type="console.apikey", target_label="their secret key"),
    }
    return made


def test_audit_record_stores_actor_target_and_change(org, owner):
    event = audit_record(action="organisation.update", target=org, actor=owner, organisation=org,
                         before={"name": "A"}, after={"name": "B"}, ip_address="203.0.113.9")

    event.refresh_from_db()
    assert (event.actor, event.actor_label, event.action) == (owner, "owner@acme.test", "organisation.update")
    assert (event.target_type, event.target_id, event.target_label) == ("console.organisation", str(org.pk), "Acme Apps")
    assert (event.before, event.after, event.ip_address) == ({"name": "A"}, {"name": "B"}, "203.0.113.9")
    assert timezone.now() - event.created_at < timedelta(seconds=10)


def test_audit_record_without_an_actor_is_the_system(org):
    event = audit_record(action="invitation.expire", target=org, organisation=org)

    assert (event.actor, event.actor_label) == (None, "system")


def test_audit_record_names_the_api_key_used(org, owner, owner_key):
    key = owner_key[0]

    event = audit_record(action="organisation.update", target=org, actor=owner, organisation=org, api_key=key)

    assert event.actor == owner
    assert event.actor_label == f"API key {key.prefix} (CI)"


def test_audit_events_outlive_the_actors_account(org, member):
    event = audit_record(action="organisation.update", target=org, actor=member, organisation=org)

    member.delete()

    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_label == "dev@acme.test"


# ------------------------------------------------------------------ page


def _page_events(client, org, **params):
    response = client.get(reverse("audit_log", args=[org.slug]), params)
    assert response.status_code == 200
    return [e.action for e in response.context["page"].object_list], response


def test_page_lists_only_the_organisations_events_newest_first(client_for, member, org, events):
    actions, response = _page_events(client_for(member), org)

    assert actions == ["api_key.create", "membership.change_role", "organisation.update"]
    assert "their secret key" not in response.content.decode()
    assert "mallory@evil.test" not in response.content.decode()
    assert response.context["target_types"] == [
        ("API key", "console.apikey"), ("Member", "console.membership"), ("Organisation", "console.organisation")]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"action": "api_key"}, ["api_key.create"]),
        ({"action": "membership."}, ["membership.change_role"]),
        ({"action": "update"}, []),  # a prefix, not a substring
        ({"actor": "ADMIN@acme"}, ["membership.change_role"]),
        ({"actor": "API key"}, ["api_key.create"]),
        ({"target_type": "console.organisation"}, ["organisation.update"]),
        ({"target_type": "console.apikey", "actor": "owner"}, []),
        ({"action": "  api_key  "}, ["api_key.create"]),
    ],
)
def test_page_filters(client_for, member, org, events, params, expected):
    actions, response = _page_events(client_for(member), org, **params)

    assert actions == expected
    assert response.context["filters"]["action"] == params.get("action", "").strip()


def test_page_paginates_by_25_keeping_filters(client_for, owner, org, events):
    AuditEventFactory.create_batch(30, organisation=org, action="api_key.revoke")
    client = client_for(owner)

    first, response = _page_events(client, org, action="api_key")
    second, page2 = _page_events(client, org, action="api_key", page=2)

    assert len(first) == 25
    assert len(second) == 6
    assert set(first + second) == {"api_key.revoke", "api_key.create"}
    assert response.context["page"].paginator.num_pages == 2
    assert "action=api_key&amp;page=2" in response.content.decode()
    assert "Page 2 of 2" in page2.content.decode()


def test_page_out_of_range_shows_the_last_page(client_for, owner, org, events):
    actions, response = _page_events(client_for(owner), org, page=99)

    assert response.context["page"].number == 1
    assert len(actions) == 3


def test_page_shows_before_and_after(client_for, owner, org):
    audit_record(action="organisation.update", target=org, actor=owner, organisation=org,
                 before={"name": "Old Name"}, after={"name": "New Name"})

    content = client_for(owner).get(reverse("audit_log", args=[org.slug])).content.decode()

    assert "Old Name → New Name" in content
    assert "{'name'" not in content  # a field change in words, not a Python dict


def test_page_and_recent_activity_say_the_action_in_words_not_its_code(client_for, owner, org):
    audit_record(action="version.rollback_from", target=org, actor=owner, organisation=org,
                 before={"status": "released"}, after={"status": "rolled_back"})
    client = client_for(owner)
    log = client.get(reverse("audit_log", args=[org.slug])).content.decode()
    assert "Rolled back from this version" in log
    assert "Status:</span> Released → Rolled back" in log
    assert ">version.rollback_from<" not in log and "'rolled_back'" not in log
    overview = client.get(reverse("organisation_dashboard", args=[org.slug])).content.decode()
    assert "Rolled back from this version" in overview and "<code>version.rollback_from</code>" not in overview


def test_every_audit_action_written_by_the_code_has_words(settings):
    """A new action constant without a label would show up as its code: the registry must know them all."""
    import pathlib
    import re

    from console.audit_words import ACTION_LABELS

    root = pathlib.Path(settings.BASE_DIR)
    written = set()
    for app in ("console", "programs", "reviews", "distribution", "hosts", "stats"):
        for path in (root / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            written |= set(re.findall(r'audit_record\(\s*action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    assert written and written - set(ACTION_LABELS) == set()


# ------------------------------------------------------------------ API


def test_api_lists_the_same_events_with_their_fields(api_with_key, org, events, owner_key):
    AuditEvent.objects.filter(action="api_key.create", organisation=org).exclude(pk=events["key-1"].pk).delete()

    response = api_with_key.get(reverse("api_audit_events", args=[org.slug]))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [e["action"] for e in body["results"]] == ["api_key.create", "membership.change_role", "organisation.update"]
    first = body["results"][0]
    assert set(first) == {"id", "created_at", "actor", "action", "target_type", "target_id", "target", "before",
                          "after"}
    assert first["id"] == str(events["key-1"].pk)
    assert first["actor"] == "API key abc (CI)"
    assert "mallory@evil.test" not in response.content.decode()


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"action": "membership"}, ["membership.change_role"]),
        ({"actor": "owner@"}, ["organisation.update"]),
        ({"target_type": "console.apikey"}, ["api_key.create"]),
    ],
)
def test_api_filters_like_the_page(client_for, member, org, events, params, expected):
    response = client_for(member).get(reverse("api_audit_events", args=[org.slug]), params)

    assert [e["action"] for e in response.json()["results"]] == expected


def test_api_paginates(client_for, owner, org, events):
    AuditEventFactory.create_batch(60, organisation=org, action="api_key.revoke")
    client = client_for(owner)
    url = reverse("api_audit_events", args=[org.slug])

    first = client.get(url).json()
    last = client.get(url, {"page": 2}).json()
    small = client.get(url, {"page_size": 10, "page": 3}).json()

    assert first["count"] == 63
    assert len(first["results"]) == 50
    assert first["previous"] is None
    assert first["next"].endswith("?page=2")
    assert len(last["results"]) == 13
    assert last["next"] is None
    assert len(small["results"]) == 10
    ids = [e["id"] for e in first["results"]] + [e["id"] for e in last["results"]]
    assert len(set(ids)) == 63


def test_api_page_out_of_range_is_404_with_the_error_shape(client_for, owner, org, events):
    response = client_for(owner).get(reverse("api_audit_events", args=[org.slug]), {"page": 9})

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Invalid page.", "fields": {}}}


def test_page_shows_moments_object_types_and_the_system_in_words(client_for, owner, org, settings):
    """Stored ISO moments read as local minutes, `console.organisation` as "Organisation", the actor-less
    "system" as "System", also in the object-type filter."""
    settings.TIME_ZONE = "Asia/Shanghai"
    audit_record(action="invitation.expire", target=org, organisation=org,
                 before={"expires_at": "2026-12-03T13:13:46.344682+00:00"}, after={"expires_at": None})

    client = client_for(owner)
    log = client.get(reverse("audit_log", args=[org.slug])).content.decode()

    assert "Expires:</span> 2026-12-03 21:13 → –" in log
    assert "T13:13:46" not in log
    assert ">Organisation #" in log and '<option value="console.organisation" >Organisation</option>' in log
    assert '<td data-label="Actor">System</td>' in log
    overview = client.get(reverse("organisation_dashboard", args=[org.slug])).content.decode()
    assert "<strong>System</strong>" in overview


def test_an_api_key_that_acted_is_named_in_the_readers_language(client_for, owner, org, owner_key):
    """The page said "API key 4b91be8d0c76 (GitLab CI)" in Chinese; the stored label stays one text for all."""
    key = owner_key[0]
    audit_record(action="organisation.update", target=org, actor=owner, organisation=org, api_key=key)

    html = client_for(owner).get(reverse("audit_log", args=[org.slug]), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()

    assert f"API 密钥“CI”（{key.prefix}）" in html
    assert f"API key {key.prefix}" not in html


def test_a_removed_member_is_labelled_without_english_words_or_a_role_code(client_for, owner, org, member):
    from console.services import membership_remove

    membership_remove(membership=org.memberships.get(user=member), actor=owner)

    event = AuditEvent.objects.get(action="membership.remove")
    assert event.target_label == "dev@acme.test · Acme Apps"
    html = client_for(owner).get(reverse("audit_log", args=[org.slug]), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "开发者" in html  # the role, from the event's before, in the reader's language
    assert "(developer)" not in html
