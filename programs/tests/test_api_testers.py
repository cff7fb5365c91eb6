"""Trial testers through the API: list, add (again without harm), read, remove; scopes, roles and outsiders."""

import pytest
from rest_framework.test import APIClient

from console.models import AuditEvent, Membership
from console.roles import Role, Scope
from console.services import api_key_create
from programs.models import TrialTester
from programs.tests.factories import MiniProgramFactory


@pytest.fixture
def program(org):
    return MiniProgramFactory(organisation=org, name="Acme Maps")


def _testers(program):
    return f"/api/v1/programs/{program.appid}/testers/"


def test_a_key_adds_a_tester_and_the_list_shows_them(api_with_key, program, owner_key):
    response = api_with_key.post(_testers(program), {"email": " Tess@Example.COM "}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "tess@example.com"
    assert body["added_by"] == "owner@acme.test"
    assert response["Location"] == body["url"] == f"http://testserver{_testers(program)}{body['id']}/"
    listed = api_with_key.get(_testers(program)).json()
    assert [t["email"] for t in listed["results"]] == ["tess@example.com"]
    event = AuditEvent.objects.get(action="program.tester_add")
    assert event.after == {"email": "tess@example.com"}
    assert owner_key[0].prefix in event.actor_label  # the audit log names the key that did it


def test_adding_a_tester_again_changes_nothing_and_says_200(api_with_key, program):
    first = api_with_key.post(_testers(program), {"email": "tess@example.com"}, format="json")

    again = api_with_key.post(_testers(program), {"email": "TESS@example.com"}, format="json")

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert TrialTester.objects.filter(program=program).count() == 1
    assert AuditEvent.objects.filter(action="program.tester_add").count() == 1


def test_removing_a_tester_is_204_and_a_second_time_404(api_with_key, program):
    tester = api_with_key.post(_testers(program), {"email": "tess@example.com"}, format="json").json()

    assert api_with_key.get(tester["url"]).json()["email"] == "tess@example.com"
    assert api_with_key.delete(tester["url"]).status_code == 204
    again = api_with_key.delete(tester["url"])

    assert again.status_code == 404
    assert again.json()["error"]["code"] == "not_found"
    assert not TrialTester.objects.filter(program=program).exists()
    assert AuditEvent.objects.get(action="program.tester_remove").before == {"email": "tess@example.com"}


@pytest.mark.parametrize("body, field", [
    ({}, "email"), ({"email": "not-an-address"}, "email"), ({"email": ["a@b.test"]}, "email"),
    ({"email": "a" * 250 + "@b.test"}, "email"),
])
def test_a_bad_address_is_a_field_error_and_adds_no_one(api_with_key, program, body, field):
    response = api_with_key.post(_testers(program), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not TrialTester.objects.exists()


def test_a_read_only_key_lists_but_cannot_add_or_remove(api, org, owner, program):
    tester = TrialTester.objects.create(program=program, email="tess@example.com")
    _, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="read", scopes=[Scope.PROGRAMS_READ])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert api.get(_testers(program)).status_code == 200
    added = api.post(_testers(program), {"email": "x@example.com"}, format="json")
    removed = api.delete(f"{_testers(program)}{tester.pk}/")

    assert (added.status_code, removed.status_code) == (403, 403)
    assert list(TrialTester.objects.values_list("email", flat=True)) == ["tess@example.com"]


def test_a_viewer_lists_but_cannot_add(client_for, org, program, django_user_model):
    viewer = django_user_model.objects.create_user(email="vic@acme.test", password="x-9-long-password")
    Membership.objects.create(organisation=org, user=viewer, role=Role.VIEWER)
    client = APIClient()
    client.force_authenticate(viewer)

    assert client.get(_testers(program)).status_code == 200
    assert client.post(_testers(program), {"email": "x@example.com"}, format="json").status_code == 403
    assert not TrialTester.objects.exists()


def test_an_outsider_and_their_key_get_404_and_change_nothing(api, outsider, other_org, program):
    tester = TrialTester.objects.create(program=program, email="tess@example.com")
    detail = f"{_testers(program)}{tester.pk}/"
    _, raw = api_key_create(org=other_org, user=outsider, role=Role.OWNER, name="x",
                            scopes=[Scope.PROGRAMS_READ, Scope.PROGRAMS_WRITE])
    session = APIClient()
    session.force_authenticate(outsider)
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    for client in (session, keyed):
        assert client.get(_testers(program)).status_code == 404
        assert client.post(_testers(program), {"email": "spy@evil.test"}, format="json").status_code == 404
        assert client.get(detail).status_code == 404
        assert client.delete(detail).status_code == 404
    assert list(TrialTester.objects.values_list("email", flat=True)) == ["tess@example.com"]


def test_a_tester_of_another_program_is_404_under_this_one(api_with_key, org, program):
    other = MiniProgramFactory(organisation=org)
    elsewhere = TrialTester.objects.create(program=other, email="tess@example.com")

    response = api_with_key.delete(f"{_testers(program)}{elsewhere.pk}/")

    assert response.status_code == 404
    assert TrialTester.objects.filter(pk=elsewhere.pk).exists()


def test_a_tester_added_by_another_request_at_the_same_moment_is_a_200(api_with_key, program, monkeypatch):
    """Found by an attack walk: eight POSTs of one address at once answered 201, 200 and 400s "already a tester";
    the one that loses the race to the unique constraint now answers as a second POST does."""
    from programs import tester_apis

    original = tester_apis.tester_add

    def raced(**kwargs):
        TrialTester.objects.create(program=kwargs["program"], email=kwargs["email"])  # the other request won
        return original(**kwargs)

    monkeypatch.setattr(tester_apis, "tester_add", raced)

    response = api_with_key.post(_testers(program), {"email": "tess@example.com"}, format="json")

    assert response.status_code == 200, response.content
    assert TrialTester.objects.filter(program=program).count() == 1
