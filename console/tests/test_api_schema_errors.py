"""The schema documents every status the API answers, in the one error shape (console/openapi.py).

Each test names what a client trusting the schema once met undocumented (the contract run found the
last two). The rules took the schema from 35 documented (operation, status) pairs to 117.
"""

import json

import pytest
from django.urls import reverse

from console.tests.factories import UserFactory
from programs.tests.factories import MiniProgramFactory, VersionFactory

ERROR_REF = {"$ref": "#/components/schemas/ErrorOutput"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(client, db):
    return json.loads(client.get(reverse("api_schema"), {"format": "json"}).content)


def _operations(schema):
    return [(method.upper(), path, op) for path, item in schema["paths"].items()
            for method, op in item.items() if method in METHODS]


def test_every_error_response_has_the_error_shape(schema):
    shape = schema["components"]["schemas"]["ErrorDetailOutput"]
    assert set(shape["required"]) == {"code", "message", "fields"}
    errors = [(m, p, code, r) for m, p, op in _operations(schema) for code, r in op["responses"].items()
              if int(code) >= 400]
    assert len(errors) > 60
    assert [(m, p, code) for m, p, code, r in errors
            if r.get("content", {}).get("application/json", {}).get("schema") != ERROR_REF] == []


def _host_signed(op) -> bool:
    return "HostSignature" in {name for requirement in op.get("security", []) for name in requirement}


def test_every_operation_documents_401_and_403(schema):
    """A missing or revoked key (401) and a missing scope (403) were answered by every operation, undocumented."""
    missing = [(m, p) for m, p, op in _operations(schema)
               if not _host_signed(op) and not {"401", "403"} <= set(op["responses"])]
    assert missing == []


def test_host_calls_document_401_and_no_403(schema):
    """A host-signed call is authenticated or refused with 401: their 403 said "the API key lacks the scope",
    which no host could meet (nor read as anything but a wrong key)."""
    host_calls = [(m, p, op) for m, p, op in _operations(schema) if _host_signed(op)]
    assert len(host_calls) == 3
    assert [(m, p) for m, p, op in host_calls if "401" not in op["responses"] or "403" in op["responses"]] == []


def test_operations_naming_an_object_document_404(schema):
    missing = [(m, p) for m, p, op in _operations(schema) if "{" in p and "404" not in op["responses"]]
    assert missing == []
    assert "404" in schema["paths"]["/api/v1/programs/"]["get"]["responses"], "a page past the end is 404"


def test_operations_reading_a_body_document_400_and_415(schema):
    """Host calls read their body as JSON whatever its content type (hosts.negotiation.JsonOnly): no 415."""
    body_ops = [(m, p, op) for m, p, op in _operations(schema) if "requestBody" in op]
    assert len(body_ops) >= 6
    host_calls = {p for _, p, _ in body_ops if p.startswith("/api/v1/hosts/")}
    assert host_calls == {"/api/v1/hosts/{host}/share-checks/", "/api/v1/hosts/{host}/events/"}
    assert [(m, p) for m, p, op in body_ops
            if p not in host_calls and not {"400", "415"} <= set(op["responses"])] == []
    assert [(m, p) for m, p, op in body_ops if p in host_calls and ("415" in op["responses"]
                                                                    or "400" not in op["responses"])] == []


def test_lifecycle_actions_document_refusals_and_conflicts(schema):
    """A refusal because of the version's state is 409 `wrong_state`; 400 is for a body that is not valid."""
    paths = schema["paths"]
    for action in ("submit", "withdraw", "trial", "release", "cancel-release", "rollback"):
        responses = paths[f"/api/v1/programs/{{appid}}/versions/{{version}}/{action}/"]["post"]["responses"]
        assert "409" in responses, action
        assert "wrong_state" in responses["409"]["description"], action
        # Every write takes an Idempotency-Key, whose 400 the body-less actions describe as the key's alone.
        body_400 = responses["400"]["description"].startswith("The input is not valid")
        assert body_400 == (action in ("submit", "release")), action
    assert "400" in paths["/api/v1/reviews/queue/"]["get"]["responses"], "a bad filter is 400"
    upload = paths["/api/v1/programs/{appid}/versions/"]["post"]["responses"]
    assert {"413", "429"} <= set(upload)
    assert upload["413"]["description"] == "The package is larger than the organisation's upload limit."


def test_the_review_api_names_only_the_session(schema):
    """Reviewers never use API keys (403): the schema no longer offers a bearer key there."""
    queue = schema["paths"]["/api/v1/reviews/queue/"]["get"]
    assert queue["security"] == [{"cookieAuth": []}]
    assert {"ApiKey": []} in schema["paths"]["/api/v1/programs/"]["get"]["security"]


def test_an_unsupported_content_type_is_a_documented_415_in_the_error_shape(api_with_key, schema):
    response = api_with_key.post(reverse("api_programs"), data="name=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert "415" in schema["paths"]["/api/v1/programs/"]["post"]["responses"]


def test_a_version_whose_uploader_was_deleted_shows_null_as_the_schema_says(api_with_key, org, schema):
    """Found by the contract run: `uploaded_by` is null once the account is gone; the schema said string."""
    uploader = UserFactory(email="gone@acme.test")
    version = VersionFactory(program=MiniProgramFactory(organisation=org), version="1.0.0", uploaded_by=uploader)
    uploader.delete()

    response = api_with_key.get(reverse("api_version_detail", args=[version.program.appid, "1.0.0"]))

    assert response.status_code == 200
    assert response.json()["uploaded_by"] is None
    assert schema["components"]["schemas"]["VersionOutput"]["properties"]["uploaded_by"]["nullable"] is True


def test_null_component_fields_pass_a_strict_openapi_3_0_validator(api_with_key, org, schema):
    """A CI developer's generated client refused `"phased_release": null`: the schema wrote it as
    `allOf: [$ref], nullable: true`, where OpenAPI 3.0.3 counts `nullable` only beside a `type`."""
    from console.tests.strict_schema import schema_problems

    program = MiniProgramFactory(organisation=org)
    body = api_with_key.get(reverse("api_program_detail", args=[program.appid])).json()
    assert body["phased_release"] is None
    assert not schema_problems(schema, body, "ProgramOutput")
    phased = {**body, "phased_release": {"version": "1.1.0", "percentage": 10}}
    assert not schema_problems(schema, phased, "ProgramOutput")
    assert schema_problems(schema, {**body, "phased_release": "10%"}, "ProgramOutput")


def test_creating_a_program_in_an_unreachable_organisation_is_a_documented_404(api_with_key, other_org, schema):
    """Found by the contract run: naming another organisation answers 404, which POST did not document."""
    response = api_with_key.post(reverse("api_programs"), {"name": "Sneaky", "categories": ["tools"],
                                                           "organisation": other_org.slug}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "404" in schema["paths"]["/api/v1/programs/"]["post"]["responses"]


# ---------------------------------------------------------------- found after distribution landed


def test_a_nul_character_in_an_api_path_is_a_404_in_the_error_shape(api_with_key):
    """Found by the contract run: PostgreSQL cannot compare text with NUL, so a lookup by such a path was a 500."""
    response = api_with_key.get("/api/v1/programs/%00abc/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_nul_character_in_a_portal_path_is_a_404(client_for, owner, org):
    response = client_for(owner).get(f"/orgs/{org.slug}/programs/%00/")

    assert response.status_code == 404


def test_a_nul_character_in_the_query_is_a_400(api_with_key):
    response = api_with_key.get("/api/v1/programs/", {"organisation": "acme\x00"})

    assert response.status_code == 400
    assert response.json()["error"] == {"code": "invalid", "message": "NUL characters are not allowed in the query.",
                                         "fields": {}}


def test_a_category_code_with_a_nul_character_is_invalid_input_not_a_500(api_with_key):
    """Found by the contract run: the category lookup queried PostgreSQL with the NUL and failed (500)."""
    response = api_with_key.post(reverse("api_programs"), {"name": "Nul Cat", "categories": ["tools\x00"]},
                                 format="json")

    assert response.status_code == 400
    assert [k for k in response.json()["error"]["fields"] if k.startswith("categories")]


def test_operations_reading_query_parameters_document_400(schema):
    """Found by the contract run: the operators' queue answers 400 to a bad filter, undocumented."""
    with_query = [(m, p, op) for m, p, op in _operations(schema)
                  if any(param["in"] == "query" for param in op.get("parameters", []))]
    assert ("GET", "/api/v1/distribution/queue/") in [(m, p) for m, p, _op in with_query]
    assert [(m, p) for m, p, op in with_query if "400" not in op["responses"]] == []


def test_withdrawing_a_request_twice_is_a_documented_409(api_with_key, schema, org, owner):
    """Found by the contract run: the second withdrawal was refused with a status the schema did not list. It is a
    state refusal, 409 `wrong_state`, as on the lifecycle calls."""
    from distribution.tests.conftest import program_in, request_scene

    pending = request_scene(program_in(org, "life-services"), "weibo.feed", owner)
    url = f"/api/v1/programs/{pending.program.appid}/whitelist-requests/{pending.pk}/withdraw/"

    assert api_with_key.post(url).status_code == 200
    again = api_with_key.post(url)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "wrong_state")
    responses = schema["paths"]["/api/v1/programs/{appid}/whitelist-requests/{request_id}/withdraw/"]["post"]
    assert "409" in responses["responses"]


def test_throttled_operations_document_429(schema):
    """Every API operation is throttled per key (429 with Retry-After): the schema says so for each."""
    keyed = [(m, p, op) for m, p, op in _operations(schema) if {"ApiKey": []} in op.get("security", [])]
    assert len(keyed) > 20
    assert [(m, p) for m, p, op in keyed if "429" not in op["responses"]] == []


def test_staff_operations_403_names_the_api_key_not_a_scope(schema):
    """Staff operations take no API key at all: their 403 said "the API key lacks the scope", a scope none has."""
    staff = [(m, p, op) for m, p, op in _operations(schema) if op.get("security") == [{"cookieAuth": []}]]
    assert len(staff) >= 7
    for m, p, op in staff:
        description = op["responses"]["403"]["description"]
        assert "scope" not in description and "API key" in description, (m, p, description)


@pytest.mark.parametrize("component", ["ProgramInput", "PatchedProgramPatchInput"])
def test_a_blank_privacy_policy_url_passes_a_strict_validator(schema, component):
    """"" clears the URL; the schema's `oneOf: [{format: uri}, {maxLength: 0}]` let it match both branches under a
    validator that does not check formats, and `oneOf` refused it."""
    from console.tests.strict_schema import schema_problems

    body = {"name": "Maps", "categories": ["tools"]}
    for url in ("", "https://acme.test/privacy"):
        assert not schema_problems(schema, {**body, "privacy_policy_url": url}, component), url
    assert schema_problems(schema, {**body, "privacy_policy_url": 7}, component)
