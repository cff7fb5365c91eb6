"""GET/POST /api/v1/programs/ and GET/PATCH /api/v1/programs/{appid}/ (create, list, read, edit)."""

import re

import pytest
from django.urls import reverse

from console.models import AuditEvent, Membership
from console.roles import Role
from programs.models import MiniProgram
from programs.tests.factories import MiniProgramFactory, category

LIST = "/api/v1/programs/"


def detail(appid: str) -> str:
    return f"/api/v1/programs/{appid}/"


def _create_body(**overrides) -> dict:
    return {"name": "City Bikes", "categories": ["travel"], "slogan": "Ride across town", **overrides}


def _assert_error(response, status: int, code: str) -> dict:
    """The one error shape of the API; returns its `fields`."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]["fields"]


@pytest.fixture
def program(org):
    return MiniProgramFactory(organisation=org, name="Acme Maps", categories=[category("travel")])


# ---------------------------------------------------------------- create


def test_create_with_an_api_key_returns_201_and_a_16_digit_appid(api_with_key, org, owner_key):
    response = api_with_key.post(LIST, _create_body(domains={"request": ["https://api.citybikes.example.com"]}),
                                 format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"\d{16}", body["appid"])
    assert body["url"] == response["Location"] == f"http://testserver{detail(body['appid'])}"
    assert body["organisation"] == org.slug
    assert body["categories"] == ["travel"]
    assert body["domains"]["request"] == ["https://api.citybikes.example.com"]
    assert body["logo"] is None
    program = MiniProgram.objects.get(appid=body["appid"])
    assert (program.organisation, program.name) == (org, "City Bikes")


def test_create_records_an_audit_event_naming_the_api_key(api_with_key, org, owner, owner_key):
    response = api_with_key.post(LIST, _create_body(), format="json")
    event = AuditEvent.objects.get(action="program.create")
    assert event.target_id == str(MiniProgram.objects.get(appid=response.json()["appid"]).pk)
    assert (event.organisation, event.actor) == (org, owner)
    assert event.actor_label == f"API key {owner_key[0].prefix} (CI)"
    assert event.after["name"] == "City Bikes"
    assert event.after["categories"] == ["travel"]


def test_appids_of_two_programs_differ(api_with_key):
    first = api_with_key.post(LIST, _create_body(name="First"), format="json").json()["appid"]
    second = api_with_key.post(LIST, _create_body(name="Second"), format="json").json()["appid"]
    assert first != second


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"name": "ab"}, "name"),
        ({"name": "x" * 21}, "name"),
        ({"categories": []}, "categories"),
        ({"categories": ["games", "tools", "education", "travel", "social"]}, "categories"),
        ({"categories": ["no-such-category"]}, "categories"),
        ({"privacy_policy_url": "not a url"}, "privacy_policy_url"),
        ({"domains": {"request": ["http://api.example.com"]}}, "domains.request.0"),
        ({"domains": {"request": ["https://192.168.1.10"]}}, "domains.request.0"),
        ({"domains": {"request": ["https://[::1]:8443"]}}, "domains.request.0"),
        ({"domains": {"upload": ["https://localhost"]}}, "domains.upload.0"),
        ({"domains": {"download": ["https://cdn.example.com/assets"]}}, "domains.download.0"),
        ({"domains": {"socket": ["https://ws.example.com"]}}, "domains.socket.0"),
        ({"domains": {"request": ["api.example.com", "https://API.example.com"]}}, "domains.request.1"),
        ({"domains": {"telnet": ["x.example.com"]}}, "domains"),
        ({"domains": {"request": ["https://[::1"]}}, "domains.request.0"),
    ],
)
def test_invalid_input_is_a_400_with_the_error_in_fields(api_with_key, overrides, field):
    response = api_with_key.post(LIST, _create_body(**overrides), format="json")
    fields = _assert_error(response, 400, "invalid")
    assert list(fields) == [field]
    assert fields[field][0]
    assert not MiniProgram.objects.exists()


def test_a_missing_name_is_reported_as_required(api_with_key):
    fields = _assert_error(api_with_key.post(LIST, {"categories": ["travel"]}, format="json"), 400, "invalid")
    assert fields == {"name": ["This field is required."]}


def test_a_duplicate_name_in_another_case_is_a_400(api_with_key, other_org):
    MiniProgramFactory(organisation=other_org, name="City Bikes")
    fields = _assert_error(api_with_key.post(LIST, _create_body(name="CITY BIKES"), format="json"), 400, "invalid")
    assert "already called" in fields["name"][0]


def test_a_duplicate_that_passes_the_check_at_the_same_moment_is_a_400_not_a_500(api_with_key, monkeypatch):
    from programs import services

    assert api_with_key.post(LIST, _create_body(), format="json").status_code == 201
    monkeypatch.setattr(services, "program_name_clean", lambda name, exclude_pk=None: name)
    fields = _assert_error(api_with_key.post(LIST, _create_body(name="city bikes"), format="json"), 400, "invalid")
    assert list(fields) == ["name"]
    assert MiniProgram.objects.count() == 1


def test_malformed_json_is_a_400_with_the_error_shape(api_with_key):
    response = api_with_key.post(LIST, data=b'{"name": "City', content_type="application/json")
    _assert_error(response, 400, "parse_error")


# ---------------------------------------------------------------- choosing the organisation


@pytest.fixture
def second_org(owner):
    from console.services import organisation_create

    return organisation_create(user=owner, name="Beta Labs")


def test_a_session_user_in_several_orgs_must_name_the_organisation(client_for, owner, org, second_org):
    client = client_for(owner)
    response = client.post(LIST, _create_body(), content_type="application/json")
    fields = _assert_error(response, 400, "invalid")
    assert list(fields) == ["organisation"]
    assert not MiniProgram.objects.exists()


def test_a_session_user_in_several_orgs_creates_in_the_named_one(client_for, owner, org, second_org):
    response = client_for(owner).post(LIST, _create_body(organisation=second_org.slug),
                                      content_type="application/json")
    assert response.status_code == 201
    assert MiniProgram.objects.get().organisation == second_org


def test_a_session_user_in_one_org_needs_not_name_it(client_for, member, org):
    response = client_for(member).post(LIST, _create_body(), content_type="application/json")
    assert response.status_code == 201
    assert response.json()["organisation"] == org.slug


def test_a_user_without_an_organisation_is_told_so(client_for, db):
    from console.tests.factories import UserFactory

    client = client_for(UserFactory(email="loner@example.test"))
    fields = _assert_error(client.post(LIST, _create_body(), content_type="application/json"), 400, "invalid")
    assert fields == {"organisation": ["You belong to no organisation; create one first."]}


def test_an_api_key_creates_in_its_own_org_even_when_its_creator_has_several(api_with_key, org, second_org):
    response = api_with_key.post(LIST, _create_body(), format="json")
    assert response.status_code == 201
    assert MiniProgram.objects.get().organisation == org


def test_an_api_key_naming_another_org_of_its_creator_gets_404(api_with_key, second_org):
    response = api_with_key.post(LIST, _create_body(organisation=second_org.slug), format="json")
    _assert_error(response, 404, "not_found")
    assert not MiniProgram.objects.exists()


def test_naming_an_org_one_is_not_a_member_of_gets_404(client_for, member, other_org):
    response = client_for(member).post(LIST, _create_body(organisation=other_org.slug),
                                       content_type="application/json")
    _assert_error(response, 404, "not_found")


# ---------------------------------------------------------------- list and read


def test_list_shows_the_callers_live_programs_of_every_org(client_for, owner, org, second_org, other_org, program):
    from django.utils import timezone

    MiniProgramFactory(organisation=second_org, name="Beta App")
    MiniProgramFactory(organisation=org, name="Deleted App", deleted_at=timezone.now())
    MiniProgramFactory(organisation=other_org, name="Evil App")
    response = client_for(owner).get(LIST)
    assert response.status_code == 200
    assert sorted(p["name"] for p in response.json()["results"]) == ["Acme Maps", "Beta App"]


def test_an_api_key_lists_only_its_orgs_programs(api_with_key, org, second_org, program):
    MiniProgramFactory(organisation=second_org, name="Beta App")
    assert [p["appid"] for p in api_with_key.get(LIST).json()["results"]] == [program.appid]


def test_the_organisation_filter_keeps_one_and_is_404_for_one_the_caller_does_not_reach(
        client_for, api_with_key, owner, org, second_org, other_org, program):
    MiniProgramFactory(organisation=second_org, name="Beta App")
    signed_in = client_for(owner)

    assert [p["name"] for p in signed_in.get(LIST, {"organisation": second_org.slug}).json()["results"]] == ["Beta App"]
    for caller, slug in [(signed_in, other_org.slug), (signed_in, "no-such-org"), (api_with_key, second_org.slug)]:
        _assert_error(caller.get(LIST, {"organisation": slug}), 404, "not_found")


def test_detail_returns_the_program(api_with_key, program):
    response = api_with_key.get(detail(program.appid))
    assert response.status_code == 200
    body = response.json()
    assert (body["appid"], body["name"], body["categories"]) == (program.appid, "Acme Maps", ["travel"])
    assert body["domains"] == {"request": [], "upload": [], "download": [], "socket": []}


def test_a_deleted_program_is_404(api_with_key, program):
    from django.utils import timezone

    program.deleted_at = timezone.now()
    program.save()
    _assert_error(api_with_key.get(detail(program.appid)), 404, "not_found")


def test_a_404_names_what_is_missing_and_reads_the_same_for_another_orgs_program(api_with_key, program, other_org):
    theirs = MiniProgramFactory(organisation=other_org, name="Evil App")

    for appid in (theirs.appid, "2099999999999999"):
        response = api_with_key.get(detail(appid))
        assert response.status_code == 404
        assert response.json()["error"] == {"code": "not_found", "fields": {},
                                            "message": "No program with this AppID that you can reach."}
    missing_version = api_with_key.get(f"{detail(program.appid)}versions/9.9.9/")
    assert missing_version.json()["error"]["message"] == f"Program {program.appid} has no version 9.9.9."
    assert api_with_key.get(f"{detail(theirs.appid)}versions/9.9.9/").json()["error"]["message"] == (
        "No program with this AppID that you can reach.")


# ---------------------------------------------------------------- edit


def test_patch_changes_only_the_given_fields_and_audits_before_and_after(api_with_key, program, owner_key):
    response = api_with_key.patch(
        detail(program.appid), {"slogan": "Maps for all", "domains": {"request": ["api.maps.example.com"]}},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["slogan"] == "Maps for all"
    assert body["name"] == "Acme Maps"
    assert body["domains"]["request"] == ["https://api.maps.example.com"]
    event = AuditEvent.objects.get(action="program.update")
    assert event.before == {"slogan": "", "request_domains": []}
    assert event.after == {"slogan": "Maps for all", "request_domains": ["https://api.maps.example.com"]}
    assert event.actor_label.startswith(f"API key {owner_key[0].prefix}")


def test_patch_categories_replaces_them(api_with_key, program):
    response = api_with_key.patch(detail(program.appid), {"categories": ["games", "tools"]}, format="json")
    assert sorted(response.json()["categories"]) == ["games", "tools"]
    program.refresh_from_db()
    assert sorted(program.categories.values_list("code", flat=True)) == ["games", "tools"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "no"}, "name"),
        ({"categories": []}, "categories"),
        ({"domains": {"socket": ["wss://10.1.1.1"]}}, "domains.socket.0"),
        ({"domains": {"request": ["https://a.example.com", "https://a.example.com"]}}, "domains.request.1"),
    ],
)
def test_patch_with_invalid_input_is_a_400_and_changes_nothing(api_with_key, program, body, field):
    fields = _assert_error(api_with_key.patch(detail(program.appid), body, format="json"), 400, "invalid")
    assert list(fields) == [field]
    program.refresh_from_db()
    assert program.name == "Acme Maps"
    assert list(program.categories.values_list("code", flat=True)) == ["travel"]
    assert not AuditEvent.objects.filter(action="program.update").exists()


def test_domain_errors_are_named_by_where_each_entry_was_in_the_request(api_with_key, program):
    body = {"domains": {"request": ["https://ok.example.com", "https://ok.example.com", "http://x.example.com"],
                        "socket": ["https://ws.example.com"]}}
    fields = _assert_error(api_with_key.patch(detail(program.appid), body, format="json"), 400, "invalid")

    assert sorted(fields) == ["domains.request.1", "domains.request.2", "domains.socket.0"]
    assert "listed twice" in fields["domains.request.1"][0]
    assert "must use https://" in fields["domains.request.2"][0]
    assert "must use wss://" in fields["domains.socket.0"][0]


def test_patch_to_a_name_taken_elsewhere_is_a_400(api_with_key, program, other_org):
    MiniProgramFactory(organisation=other_org, name="Taken Name")
    fields = _assert_error(api_with_key.patch(detail(program.appid), {"name": "taken name"}, format="json"),
                           400, "invalid")
    assert list(fields) == ["name"]


def test_patch_refuses_the_appid_and_organisation_naming_both(api_with_key, program, other_org):
    """They cannot change; a PATCH naming them once answered 200 having ignored them (console/api_fields.py)."""
    response = api_with_key.patch(detail(program.appid), {"appid": "1111222233334444", "organisation": other_org.slug},
                                  format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"appid", "organisation"}
    program.refresh_from_db()
    assert program.appid != "1111222233334444"
    assert program.organisation_id != other_org.pk


def test_a_developer_may_edit_through_the_session(client_for, member, program):
    response = client_for(member).patch(detail(program.appid), {"slogan": "Dev edit"},
                                        content_type="application/json")
    assert response.status_code == 200
    program.refresh_from_db()
    assert program.slogan == "Dev edit"


def test_categories_endpoint_lists_active_categories(api_with_key):
    games = category("games")
    games.active = False
    games.save()
    codes = [c["code"] for c in api_with_key.get(reverse("api_categories")).json()]
    assert "travel" in codes and "e-commerce" in codes
    assert "games" not in codes


def test_the_member_fixture_is_a_developer(org, member):
    assert Membership.objects.get(organisation=org, user=member).role == Role.DEVELOPER


def test_the_list_is_paginated_and_filters_by_organisation(api, owner, org, second_org, program):
    MiniProgramFactory(organisation=second_org, name="Beta App")
    api.force_authenticate(owner)
    body = api.get(LIST, {"page_size": 1}).json()
    assert (body["count"], len(body["results"]), body["next"] is not None) == (2, 1, True)
    only_org = api.get(LIST, {"organisation": org.slug}).json()
    assert [p["appid"] for p in only_org["results"]] == [program.appid]


def test_create_answers_201_through_the_development_server(org, owner_key):
    """The Location header was DRF's Hyperlink, a str subclass: wsgiref (make run) answered 500 after creating."""
    import json

    from console.tests.wsgi import wsgi_request

    status, headers, content = wsgi_request(
        "POST", LIST, json.dumps(_create_body()).encode(), "application/json",
        HTTP_AUTHORIZATION=f"Bearer {owner_key[1]}")

    assert status.startswith("201"), content
    appid = json.loads(content)["appid"]
    assert dict(headers)["Location"] == f"http://testserver{detail(appid)}"


def test_a_slogan_with_a_right_to_left_override_is_refused(api_with_key, program):
    created = api_with_key.post(LIST, _create_body(name="Acme Rides", slogan="Ride\u202eedir"), format="json")
    edited = api_with_key.patch(detail(program.appid), {"slogan": "S\u202eevil"}, format="json")

    for response in (created, edited):
        assert "U+202E RIGHT-TO-LEFT OVERRIDE" in _assert_error(response, 400, "invalid")["slogan"][0]
    program.refresh_from_db()
    assert program.slogan == ""


def test_every_refused_field_is_named_at_once(api_with_key, program):
    """A CI job mended the name, sent again, and only then heard of its domains."""
    body = _create_body(name="x", domains={"request": ["http://1.2.3.4", "https://localhost"]})
    fields = _assert_error(api_with_key.post(LIST, body, format="json"), 400, "invalid")
    assert set(fields) == {"name", "domains.request.0", "domains.request.1"}
    assert not MiniProgram.objects.exclude(pk=program.pk).exists()

    patch = {"name": "y", "domains": {"request": ["http://api.example.com"]}}
    fields = _assert_error(api_with_key.patch(f"{LIST}{program.appid}/", patch, format="json"), 400, "invalid")
    assert set(fields) == {"name", "domains.request.0"}
    program.refresh_from_db()
    assert program.name == "Acme Maps"


def test_categories_cannot_change_while_a_version_is_in_review_but_may_be_sent_again(api_with_key, program):
    """Found by a CI developer's walk: adding `medical` (which needs a licence) during a review was a 200, past the
    submission's check of documents."""
    from programs.models import Version
    from programs.tests.factories import VersionFactory

    before = sorted(program.categories.values_list("code", flat=True))
    VersionFactory(program=program, version="1.0.0", status=Version.Status.IN_REVIEW)

    changed = api_with_key.patch(detail(program.appid), {"categories": [*before, "e-commerce"]}, format="json")
    same = api_with_key.patch(detail(program.appid), {"categories": before, "slogan": "Still fine"}, format="json")

    assert changed.status_code == 409 and changed.json()["error"]["code"] == "wrong_state"
    assert "in review" in changed.json()["error"]["message"]
    assert same.status_code == 200
    program.refresh_from_db()
    assert sorted(program.categories.values_list("code", flat=True)) == before
    assert program.slogan == "Still fine"
