"""The Django admin site: every console model registered, changelists load and search works."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from console.models import AuditEvent, User

CONSOLE_MODELS = list(apps.get_app_config("console").get_models())
FOUNDATION = {"user", "organisation", "membership", "invitation", "apikey", "auditevent"}  # rows made by `admin_data`


@pytest.mark.parametrize("model", CONSOLE_MODELS, ids=lambda m: m.__name__)
def test_every_console_model_is_registered(model):
    assert admin.site.is_registered(model), model


# (model name, search term, how many rows it finds)
SEARCHES = [
    ("user", "mallory", 1),
    ("user", "Olive", 1),
    ("organisation", "acme", 1),
    ("organisation", "mallory@evil.test", 1),
    ("membership", "acme-apps", 2),
    ("invitation", "other-invitee", 1),
    ("apikey", "Evil deploy", 1),
    ("apikey", "owner@acme.test", 1),
    ("auditevent", "api_key.create", 2),
    ("auditevent", "Evil Corp", 2),
]


@pytest.mark.parametrize("model_name", sorted({m._meta.model_name for m in CONSOLE_MODELS}))
def test_changelist_loads_for_a_superuser(admin_client_, admin_data, model_name):
    response = admin_client_.get(reverse(f"admin:console_{model_name}_changelist"))

    assert response.status_code == 200
    if model_name in FOUNDATION:
        assert response.context["cl"].result_count > 0


@pytest.mark.parametrize("model_name, term, found", SEARCHES, ids=[f"{m}-{t}" for m, t, _ in SEARCHES])
def test_changelist_search(admin_client_, admin_data, model_name, term, found):
    url = reverse(f"admin:console_{model_name}_changelist")

    everything = admin_client_.get(url).context["cl"].result_count
    response = admin_client_.get(url, {"q": term})

    assert response.status_code == 200
    assert response.context["cl"].result_count == found
    assert found < everything


@pytest.mark.parametrize("model_name", ["user", "organisation", "membership", "invitation", "apikey"])
def test_change_page_loads(admin_client_, admin_data, model_name):
    obj = apps.get_model("console", model_name).objects.first()

    response = admin_client_.get(reverse(f"admin:console_{model_name}_change", args=[obj.pk]))

    assert response.status_code == 200


def test_audit_events_are_read_only_in_the_admin(admin_client_, admin_data):
    event = AuditEvent.objects.first()

    change = admin_client_.get(reverse("admin:console_auditevent_change", args=[event.pk]))
    add = admin_client_.get(reverse("admin:console_auditevent_add"))
    delete = admin_client_.post(reverse("admin:console_auditevent_delete", args=[event.pk]), {"post": "yes"})

    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert add.status_code == 403
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_can_add_a_user_by_email(admin_client_, db):
    response = admin_client_.post(reverse("admin:console_user_add"), {
        "email": "added@platform.test", "password1": "a-long-unusual-passphrase-42",
        "password2": "a-long-unusual-passphrase-42", "usable_password": "true",
    })

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user = User.objects.get(email="added@platform.test")
    assert user.check_password("a-long-unusual-passphrase-42")


def test_verifying_an_organisation_in_the_admin_is_audited(admin_client_, superuser, org):
    response = admin_client_.post(reverse("admin:console_organisation_changelist"), {
        "action": "verify", "_selected_action": [org.pk]})

    assert response.status_code == 302
    org.refresh_from_db()
    assert org.verified is True
    assert org.verified_at is not None
    event = AuditEvent.objects.get(action="organisation.verify")
    assert (event.actor, event.before, event.after) == (superuser, {"verified": False}, {"verified": True})


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: f"{m._meta.app_label}.{m.__name__}")
def test_the_change_page_of_every_registered_model_opens(admin_client_, a_row_of_most_models, model):
    """The fault: every version's admin page was a 500 (its private package file has no URL to show)."""
    obj = model._default_manager.first()
    if obj is None:
        pytest.skip(f"no {model.__name__} row in this test's data")
    info = (model._meta.app_label, model._meta.model_name)

    response = admin_client_.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))

    assert response.status_code == 200


def test_a_versions_admin_page_links_its_package_to_the_members_download(admin_client_, org):
    from reviews.tests.factories import WaitingVersionFactory

    version = WaitingVersionFactory(org=org)
    page = admin_client_.get(reverse("admin:programs_version_change", args=[version.pk])).content.decode()

    assert f'href="{reverse("package_download", args=[version.program.appid, version.version])}"' in page
