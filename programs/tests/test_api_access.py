"""Who reaches which program through the programs API: outsiders, other orgs' keys, scopes and roles."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from console.models import Membership
from console.roles import Role, Scope
from console.services import api_key_create
from programs.models import MiniProgram, Version
from programs.tests.factories import MiniProgramFactory, VersionFactory, category, upload

LIST = "/api/v1/programs/"


@pytest.fixture
def program(org):
    return MiniProgramFactory(organisation=org, name="Acme Maps", slogan="Ours")


@pytest.fixture
def version(program):
    return VersionFactory(program=program, version="1.0.0", status=Version.Status.READY)


def _requests(program):
    """(method, path, body) for every programs endpoint that names `program`."""
    base = f"/api/v1/programs/{program.appid}/"
    return {
        "detail": ("get", base, None),
        "patch": ("patch", base, {"slogan": "Hacked"}),
        "versions": ("get", f"{base}versions/", None),
        "upload": ("post", f"{base}versions/", {"package": upload(b"PK\x05\x06" + b"\x00" * 18), "version": "9.0.0"}),
        "version_detail": ("get", f"{base}versions/1.0.0/", None),
    }


ENDPOINTS = ["detail", "patch", "versions", "upload", "version_detail"]


def _send(client, program, endpoint):
    method, path, body = _requests(program)[endpoint]
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, body, format="multipart" if endpoint == "upload" else "json")


def _assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["fields"] == {}


def _assert_untouched(program):
    program.refresh_from_db()
    assert program.slogan == "Ours"
    assert list(program.versions.values_list("version", flat=True)) == ["1.0.0"]


def _key_client(org, user, *, role=Role.OWNER, scopes) -> APIClient:
    _key, raw = api_key_create(org=org, user=user, role=role, name="scoped", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


# ---------------------------------------------------------------- outsiders


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_outsider_gets_404_through_the_session(client_for, outsider, program, version, endpoint):
    _assert_error(_send(client_for(outsider), program, endpoint), 404, "not_found")
    _assert_untouched(program)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_outsiders_api_key_gets_404(outsider, other_org, program, version, endpoint):
    client = _key_client(other_org, outsider, scopes=[Scope.PROGRAMS_READ, Scope.PROGRAMS_WRITE])
    _assert_error(_send(client, program, endpoint), 404, "not_found")
    _assert_untouched(program)


def test_outsider_lists_none_of_the_orgs_programs(client_for, outsider, other_org, program):
    own = MiniProgramFactory(organisation=other_org, name="Evil App")
    response = client_for(outsider).get(LIST)
    assert response.status_code == 200
    assert [p["appid"] for p in response.json()["results"]] == [own.appid]


def test_an_unknown_appid_and_a_foreign_one_look_the_same(client_for, outsider, program):
    client = client_for(outsider)
    foreign = client.get(f"/api/v1/programs/{program.appid}/")
    unknown = client.get("/api/v1/programs/0000000000000000/")
    assert (foreign.status_code, foreign.json()) == (unknown.status_code, unknown.json())


def test_an_unknown_version_of_ones_own_program_is_404(api_with_key, program):
    _assert_error(api_with_key.get(f"/api/v1/programs/{program.appid}/versions/7.7.7/"), 404, "not_found")


# ---------------------------------------------------------------- API keys are confined to their org


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_key_of_org_a_cannot_reach_org_b_even_when_its_creator_is_a_member_of_b(
    api_with_key, owner, other_org, endpoint
):
    Membership.objects.create(organisation=other_org, user=owner, role=Role.OWNER)
    foreign = MiniProgramFactory(organisation=other_org, name="Their App", slogan="Ours")
    VersionFactory(program=foreign, version="1.0.0")
    _assert_error(_send(api_with_key, foreign, endpoint), 404, "not_found")
    _assert_untouched(foreign)


def test_the_same_user_reaches_org_b_through_the_session(client_for, owner, other_org):
    Membership.objects.create(organisation=other_org, user=owner, role=Role.OWNER)
    foreign = MiniProgramFactory(organisation=other_org, name="Their App")
    assert client_for(owner).get(f"/api/v1/programs/{foreign.appid}/").status_code == 200


def test_a_key_of_org_a_lists_no_program_of_org_b(api_with_key, owner, other_org, program):
    Membership.objects.create(organisation=other_org, user=owner, role=Role.OWNER)
    MiniProgramFactory(organisation=other_org, name="Their App")
    assert [p["appid"] for p in api_with_key.get(LIST).json()["results"]] == [program.appid]


# ---------------------------------------------------------------- scopes


@pytest.fixture
def read_only_key(org, owner):
    return _key_client(org, owner, scopes=[Scope.PROGRAMS_READ])


@pytest.mark.parametrize("endpoint", ["detail", "versions", "version_detail"])
def test_a_key_with_programs_read_may_read(read_only_key, program, version, endpoint):
    assert _send(read_only_key, program, endpoint).status_code == 200


def test_a_key_with_programs_read_may_list(read_only_key, program):
    assert [p["appid"] for p in read_only_key.get(LIST).json()["results"]] == [program.appid]


@pytest.mark.parametrize("endpoint", ["patch", "upload"])
def test_a_key_without_programs_write_gets_403_on_writes(read_only_key, program, version, endpoint):
    response = _send(read_only_key, program, endpoint)
    _assert_error(response, 403, "permission_denied")
    assert "programs:write" in response.json()["error"]["message"]
    _assert_untouched(program)


def test_a_key_without_programs_write_cannot_create(read_only_key):
    response = read_only_key.post(LIST, {"name": "Nope App", "categories": ["tools"]}, format="json")
    _assert_error(response, 403, "permission_denied")
    assert not MiniProgram.objects.filter(name="Nope App").exists()


def test_a_key_without_programs_read_cannot_list_or_read(org, owner, program):
    client = _key_client(org, owner, scopes=[Scope.ORG_READ])
    _assert_error(client.get(LIST), 403, "permission_denied")
    _assert_error(client.get(f"/api/v1/programs/{program.appid}/"), 403, "permission_denied")


def test_a_revoked_key_is_refused_with_401(org, owner, program):
    key, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="old", scopes=[Scope.PROGRAMS_READ])
    key.revoked_at = timezone.now()
    key.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    _assert_error(client.get(f"/api/v1/programs/{program.appid}/"), 401, "authentication_failed")


# ---------------------------------------------------------------- roles through the session


def test_a_viewer_may_read(client_for, viewer, program, version):
    client = client_for(viewer)
    assert client.get(f"/api/v1/programs/{program.appid}/").status_code == 200
    assert client.get(f"/api/v1/programs/{program.appid}/versions/1.0.0/").status_code == 200


@pytest.mark.parametrize("endpoint", ["patch", "upload"])
def test_a_viewer_gets_403_on_writes(client_for, viewer, program, version, endpoint):
    _assert_error(_send(client_for(viewer), program, endpoint), 403, "permission_denied")
    _assert_untouched(program)


def test_a_viewer_cannot_create(client_for, viewer, org):
    response = client_for(viewer).post(LIST, {"name": "Viewer App", "categories": ["tools"]},
                                       content_type="application/json")
    _assert_error(response, 403, "permission_denied")
    assert not MiniProgram.objects.exists()


def test_an_operator_cannot_upload(client_for, org, program, version):
    from console.tests.factories import MembershipFactory

    operator = MembershipFactory(organisation=org, role=Role.OPERATOR).user
    _assert_error(_send(client_for(operator), program, "upload"), 403, "permission_denied")


# ---------------------------------------------------------------- anonymous


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_gets_401_with_the_error_shape(api, program, version, endpoint):
    response = _send(api, program, endpoint)
    _assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"
    _assert_untouched(program)


def test_anonymous_cannot_list_or_create(api, db):
    _assert_error(api.get(LIST), 401, "not_authenticated")
    _assert_error(api.post(LIST, {"name": "Anon App", "categories": [category("tools").code]}, format="json"),
                  401, "not_authenticated")
