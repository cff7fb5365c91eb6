"""Organisations: create (/orgs/new/), settings, slugs, switching (/orgs/switch/) and the dashboard (/)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import resolve, reverse
from django.utils import timezone

from console.models import AuditEvent, Membership, Organisation
from console.roles import Role
from console.services import organisation_create, organisation_update
from console.tests.factories import MembershipFactory


def test_creating_an_organisation_makes_the_creator_its_owner(client_for, owner):
    response = client_for(owner).post(reverse("organisation_create"), {"name": "  Blue Whale  ", "kind": "enterprise"})

    org = Organisation.objects.get(name="Blue Whale")
    assert response.status_code == 302
    assert response.url == reverse("organisation_dashboard", args=[org.slug])
    assert org.slug == "blue-whale"
    assert org.kind == Organisation.Kind.ENTERPRISE
    assert org.verified is False
    assert org.created_by == owner
    assert list(org.memberships.values_list("user__email", "role")) == [("owner@acme.test", Role.OWNER)]


def test_creating_an_organisation_writes_an_audit_event(owner):
    org = organisation_create(user=owner, name="Blue Whale", kind=Organisation.Kind.ENTERPRISE)

    event = AuditEvent.objects.get(action="organisation.create", target_id=str(org.pk))
    assert event.organisation == org
    assert event.actor == owner
    assert event.actor_label == "owner@acme.test"
    assert event.target_type == "console.organisation"
    assert event.target_label == "Blue Whale"
    assert event.before is None
    assert event.after == {"name": "Blue Whale", "kind": "enterprise"}


def test_organisation_form_refuses_an_empty_name(client_for, owner):
    response = client_for(owner).post(reverse("organisation_create"), {"name": "", "kind": "individual"})

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not Organisation.objects.filter(created_by=owner).exclude(name="Acme Apps").exists()


def test_update_changes_name_and_kind_and_audits_before_and_after(org, owner):
    organisation_update(org=org, actor=owner, name="Acme Studio ", kind=Organisation.Kind.INDIVIDUAL)

    org.refresh_from_db()
    assert (org.name, org.kind) == ("Acme Studio", "individual")
    assert org.slug == "acme-apps", "renaming keeps the slug, so links keep working"
    event = AuditEvent.objects.get(action="organisation.update")
    assert event.before == {"name": "Acme Apps", "kind": "enterprise"}
    assert event.after == {"name": "Acme Studio", "kind": "individual"}
    assert event.actor == owner


def test_settings_page_saves_the_organisation(client_for, owner, org):
    response = client_for(owner).post(
        reverse("organisation_settings", args=[org.slug]), {"name": "Acme Renamed", "kind": "individual"}
    )

    assert response.status_code == 302
    assert response.url == reverse("organisation_settings", args=[org.slug])
    org.refresh_from_db()
    assert org.name == "Acme Renamed"
    assert AuditEvent.objects.filter(action="organisation.update", organisation=org).count() == 1


def test_settings_page_cannot_set_the_verified_flag(client_for, owner, org):
    client_for(owner).post(
        reverse("organisation_settings", args=[org.slug]), {"name": "Acme", "kind": "enterprise", "verified": "on"}
    )

    org.refresh_from_db()
    assert org.verified is False


def test_organisations_with_the_same_name_get_distinct_slugs(owner, outsider):
    first = organisation_create(user=owner, name="Same Name")
    second = organisation_create(user=outsider, name="Same Name")
    third = organisation_create(user=owner, name="same  name!")

    assert [first.slug, second.slug, third.slug] == ["same-name", "same-name-2", "same-name-3"]


def test_a_name_without_latin_letters_still_gets_a_slug(owner):
    first = organisation_create(user=owner, name="微博小程序")
    second = organisation_create(user=owner, name="支付宝")

    assert first.slug == "org"
    assert second.slug == "org-2"


@pytest.mark.parametrize("name", ["New", "Switch"])
def test_an_organisation_named_like_a_fixed_page_still_reaches_its_dashboard(client_for, owner, name):
    response = client_for(owner).post(reverse("organisation_create"), {"name": name, "kind": "individual"})

    org = Organisation.objects.get(name=name)
    assert org.slug == f"{name.lower()}-2"
    assert response.url == reverse("organisation_dashboard", args=[org.slug])
    assert resolve(response.url).url_name == "organisation_dashboard"
    page = client_for(owner).get(response.url)
    assert page.status_code == 200
    assert page.context["membership"].organisation == org


# ------------------------------------------------------------------ switching and the dashboard


def test_dashboard_without_an_organisation_asks_to_create_one(client_for, db):
    from console.tests.factories import UserFactory

    response = client_for(UserFactory()).get(reverse("dashboard"))

    assert response.status_code == 302
    assert response.url == reverse("organisation_create")


def test_dashboard_redirects_to_the_last_used_organisation(client_for, owner, org, other_org):
    Membership.objects.create(organisation=other_org, user=owner, role=Role.VIEWER)
    client = client_for(owner)

    assert client.get(reverse("audit_log", args=[other_org.slug])).status_code == 200
    assert client.get(reverse("dashboard")).url == reverse("organisation_dashboard", args=[other_org.slug])

    assert client.get(reverse("members", args=[org.slug])).status_code == 200
    assert client.get(reverse("dashboard")).url == reverse("organisation_dashboard", args=[org.slug])


def test_switching_to_an_own_organisation_makes_it_current(client_for, owner, org, other_org):
    Membership.objects.create(organisation=other_org, user=owner, role=Role.VIEWER)
    client = client_for(owner)

    response = client.post(reverse("organisation_switch"), {"org": other_org.slug}, follow=True)

    assert response.redirect_chain[0] == (reverse("organisation_dashboard", args=[other_org.slug]), 302)
    assert response.context["membership"].organisation == other_org
    assert client.get(reverse("dashboard")).url == reverse("organisation_dashboard", args=[other_org.slug])


def test_switching_to_an_organisation_you_are_not_in_is_404(client_for, owner, org, other_org):
    client = client_for(owner)
    client.get(reverse("organisation_dashboard", args=[org.slug]))

    response = client.post(reverse("organisation_switch"), {"org": other_org.slug})

    assert response.status_code == 404
    assert client.get(reverse("dashboard")).url == reverse("organisation_dashboard", args=[org.slug])


def test_switching_to_a_missing_organisation_is_404(client_for, owner, org):
    assert client_for(owner).post(reverse("organisation_switch"), {"org": "no-such-org"}).status_code == 404


def test_dashboard_shows_counts_and_recent_activity(client_for, owner, org, member, owner_key):
    response = client_for(owner).get(reverse("organisation_dashboard", args=[org.slug]))

    assert response.context["member_count"] == 2
    assert response.context["active_key_count"] == 1
    assert [e.action for e in response.context["recent_events"]][:1] == ["api_key.create"]
    assert response.context["can"]["manage_members"] is True
    assert ">Create an API key</a>" in response.content.decode()


def test_the_verification_card_shows_the_state_with_the_kind_labelled(client_for, owner, org):
    """An individual organisation's card showed a bare "Individual" badge (its kind) where the reader expects
    whether it is verified."""
    Organisation.objects.filter(pk=org.pk).update(kind=Organisation.Kind.INDIVIDUAL)
    url = reverse("organisation_dashboard", args=[org.slug])

    unverified = client_for(owner).get(url).content.decode()
    Organisation.objects.filter(pk=org.pk).update(verified=True, verified_at=timezone.now())
    verified = client_for(owner).get(url).content.decode()

    assert '<span class="badge">Not verified yet</span>' in unverified
    assert "Kind: Individual" in unverified and '<span class="badge">Individual</span>' not in unverified
    assert "✓ Verified</span>" in verified and "Not verified yet" not in verified and "Kind: Individual" in verified


def test_dashboard_tells_a_viewer_what_they_cannot_do(client_for, viewer, org):
    response = client_for(viewer).get(reverse("organisation_dashboard", args=[org.slug]))

    assert response.status_code == 200
    assert response.context["can"]["manage_members"] is False
    assert response.context["can"]["view"] is True
    assert ">Create an API key</a>" not in response.content.decode()
    assert ">Invite a member</a>" not in response.content.decode()


def test_org_switcher_lists_only_the_users_organisations(client_for, member, org, other_org):
    MembershipFactory(user=member)  # a second organisation for the member

    response = client_for(member).get(reverse("organisation_dashboard", args=[org.slug]))

    listed = {m.organisation.slug for m in response.context["shell_memberships"]}
    assert org.slug in listed
    assert other_org.slug not in listed
    assert len(listed) == 2


def test_getting_started_ticks_its_steps_and_leaves_once_the_team_and_a_key_are_there(client_for, owner, org, member):
    """An organisation with six programs, its team and its CI key was still told how to start."""
    from console.services import api_key_create

    url = reverse("organisation_dashboard", args=[org.slug])
    before = client_for(owner).get(url)
    assert before.context["getting_started"] == {"invited": True, "has_key": False}
    assert '<li class="done">✓ Invite the people you work with' in before.content.decode()

    api_key_create(org=org, user=owner, role="owner", name="CI", scopes=["org:read"])
    after = client_for(owner).get(url)
    assert after.context["getting_started"] is None
    assert "Getting started" not in after.content.decode()


@pytest.mark.parametrize("name", ["Acme\u202eseliF", "Acme\u200bApps", "Acme\u2066Apps"])
def test_a_name_with_characters_that_turn_or_hide_text_is_refused(client_for, owner, org, name):
    """The name is in every email footer and on reviewers' pages: a right-to-left override would turn them around."""
    create = client_for(owner).post(reverse("organisation_create"), {"name": name, "kind": "individual"})
    settings_page = client_for(owner).post(reverse("organisation_settings", args=[org.slug]),
                                           {"name": name, "kind": "individual"})

    for response in (create, settings_page):
        assert response.status_code == 200
        assert "cannot be seen or that change how text is shown" in response.context["form"].errors["name"][0]
    assert not Organisation.objects.filter(name=name).exists()


def test_names_in_any_script_and_with_ideographic_spaces_are_fine(client_for, owner):
    client_for(owner).post(reverse("organisation_create"), {"name": "蓝鲸　工作室 Ёлка", "kind": "individual"})

    assert Organisation.objects.filter(name="蓝鲸　工作室 Ёлка").exists()


def test_a_verified_organisation_keeps_the_name_and_kind_it_was_verified_with(client_for, owner, org):
    """Renamed "Alipay Official" after verification, the badge would vouch for that name."""
    org.verified = True
    org.save(update_fields=["verified"])
    client = client_for(owner)

    page = client.get(reverse("organisation_settings", args=[org.slug]))
    client.post(reverse("organisation_settings", args=[org.slug]), {"name": "Alipay Official", "kind": "individual"})

    assert page.context["form"].fields["name"].disabled
    assert "ask the platform&#x27;s administrators to change them" in page.content.decode()
    org.refresh_from_db()
    assert (org.name, org.kind) == ("Acme Apps", "enterprise")
    with pytest.raises(ValidationError):
        organisation_update(org=org, actor=owner, name="Alipay Official", kind="enterprise")


def test_a_viewer_is_not_offered_steps_and_buttons_their_role_refuses(client_for, org, viewer, owner):
    """A viewer of a new organisation saw "+ New mini-program" and "Create an API key", both a 403 for them."""
    viewer_page = client_for(viewer).get(reverse("organisation_dashboard", args=[org.slug])).content.decode()
    owner_page = client_for(owner).get(reverse("organisation_dashboard", args=[org.slug])).content.decode()

    assert reverse("program_create", args=[org.slug]) not in viewer_page
    assert "Getting started" not in viewer_page
    assert reverse("program_create", args=[org.slug]) in owner_page and "Getting started" in owner_page
