"""Hostile or careless input to the programs API: always a clear JSON error, never a 500 or an HTML page."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from programs.domains import MAX_DOMAINS_PER_KIND
from programs.models import Category, MiniProgram
from programs.services import CATEGORIES_MAX
from programs.tests.factories import MiniProgramFactory, category

URL = "/api/v1/programs/"


@pytest.fixture
def key_client(owner_key):
    """A plain Django client (no DRF test encoding) that sends raw bodies with the org's API key."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {owner_key[1]}", raise_request_exception=False)


def _error(response):
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]


def test_deeply_nested_json_is_a_json_400_not_a_recursion_error(key_client):
    body = "[" * 100_000 + "]" * 100_000

    response = key_client.post(URL, body, content_type="application/json")

    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "parse_error"
    assert "nested" in error["message"]


def test_json_nested_within_the_limit_still_parses(key_client, org):
    category("tools")
    body = {"name": "Nest Ok", "categories": ["tools"], "domains": {"request": []}}

    response = key_client.post(URL, json.dumps(body), content_type="application/json")

    assert response.status_code == 201, response.content


def test_a_json_body_over_the_memory_limit_is_a_json_413(key_client, settings):
    body = json.dumps({"name": "Big", "description": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})

    response = key_client.post(URL, body, content_type="application/json")

    assert response.status_code == 413
    error = _error(response)
    assert error["code"] == "request_too_large"
    assert "2.5" in error["message"]


def test_a_form_body_with_too_many_fields_is_a_json_400(key_client, settings):
    body = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 5))

    response = key_client.post(URL, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert _error(response)["code"] == "too_many_fields"


def test_a_privacy_policy_url_over_the_model_limit_is_a_field_error(api_with_key, org):
    category("tools")
    url = "https://example.com/" + "p" * 300
    limit = MiniProgram._meta.get_field("privacy_policy_url").max_length

    response = api_with_key.post(URL, {"name": "Long Policy", "categories": ["tools"], "privacy_policy_url": url},
                                 format="json")

    assert response.status_code == 400
    assert _error(response)["fields"] == {
        "privacy_policy_url": [f"Ensure this field has no more than {limit} characters."]}
    assert not MiniProgram.objects.filter(name="Long Policy").exists()


def test_the_service_refuses_a_privacy_policy_url_over_the_model_limit(org, owner):
    from django.core.exceptions import ValidationError

    from programs.services import program_create

    with pytest.raises(ValidationError) as exc:
        program_create(org=org, actor=owner, name="Long Policy", categories=[category("tools")],
                       privacy_policy_url="https://example.com/" + "p" * 300)
    assert list(exc.value.message_dict) == ["privacy_policy_url"]


def test_a_nested_domains_error_is_readable_with_a_dotted_field_name(api_with_key, org):
    category("tools")

    response = api_with_key.post(URL, {"name": "Nested Err", "categories": ["tools"],
                                       "domains": {"request": ["https://ok.example.com", 7, "x" * 300]}},
                                 format="json")

    assert response.status_code == 400
    fields = _error(response)["fields"]
    assert "ErrorDetail" not in json.dumps(fields)
    assert fields == {"domains.request.2": ["Ensure this field has no more than 200 characters."]}


def test_domain_lists_longer_than_the_rule_are_refused_by_the_serializer(api_with_key, org):
    category("tools")
    entries = [f"https://a{i}.example.com" for i in range(MAX_DOMAINS_PER_KIND + 1)]

    response = api_with_key.post(URL, {"name": "Many Domains", "categories": ["tools"],
                                       "domains": {"request": entries}}, format="json")

    assert response.status_code == 400
    assert _error(response)["fields"] == {
        "domains.request": [f"Ensure this field has no more than {MAX_DOMAINS_PER_KIND} elements."]}


def test_more_categories_than_the_rule_are_refused_by_the_serializer(api_with_key, org):
    codes = [Category.objects.create(code=f"cat{i}", name=f"Cat {i}").code for i in range(CATEGORIES_MAX + 1)]

    response = api_with_key.post(URL, {"name": "Many Cats", "categories": codes}, format="json")

    assert response.status_code == 400
    assert _error(response)["fields"] == {
        "categories": [f"Ensure this field has no more than {CATEGORIES_MAX} elements."]}


@pytest.mark.parametrize("value", ["null", "abc", "0", "-1", "1.5", "100000"])
def test_page_size_must_be_an_integer_within_bounds(api_with_key, org, value):
    MiniProgramFactory(organisation=org)

    response = api_with_key.get(URL, {"page_size": value})

    assert response.status_code == 400
    error = _error(response)
    assert list(error["fields"]) == ["page_size"]
    assert "between 1 and 200" in error["fields"]["page_size"][0]


def test_a_valid_page_size_pages(api_with_key, org):
    for i in range(3):
        MiniProgramFactory(organisation=org, name=f"Paged {i}")

    response = api_with_key.get(URL, {"page_size": "2"})

    assert response.status_code == 200
    assert (response.json()["count"], len(response.json()["results"])) == (3, 2)


def test_the_schema_documents_page_size_as_a_bounded_integer(api_with_key):
    schema = api_with_key.get(reverse("api_schema"), {"format": "json"}).json()

    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/programs/"]["get"]["parameters"]}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}


def test_the_schema_documents_the_list_limits(api_with_key):
    schema = api_with_key.get(reverse("api_schema"), {"format": "json"}).json()

    program_input = schema["components"]["schemas"]["ProgramInput"]["properties"]
    assert program_input["categories"]["maxItems"] == CATEGORIES_MAX
    assert program_input["privacy_policy_url"]["oneOf"][0]["maxLength"] == 200
    assert program_input["name"]["maxLength"] == MiniProgram._meta.get_field("name").max_length
    assert program_input["domains"]["additionalProperties"]["maxItems"] == MAX_DOMAINS_PER_KIND
