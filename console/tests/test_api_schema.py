"""The OpenAPI schema (/api/schema/) and the offline docs page (/api/docs/)."""

import json
import re

import yaml
from django.urls import reverse


def test_schema_is_openapi_3_yaml_describing_the_me_endpoint(client, db):
    response = client.get(reverse("api_schema"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Mini-program developer console API"
    assert "get" in schema["paths"]["/api/v1/me/"]
    assert "get" in schema["paths"]["/api/v1/orgs/{org_slug}/audit/"]


def test_schema_as_json_names_bearer_key_authentication(client, db):
    response = client.get(reverse("api_schema"), {"format": "json"})

    schema = json.loads(response.content)
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http", "scheme": "bearer", "description": "An organisation API key (mpk_…)."}
    assert {"ApiKey": []} in schema["paths"]["/api/v1/me/"]["get"]["security"]
    audit = schema["paths"]["/api/v1/orgs/{org_slug}/audit/"]["get"]
    assert {p["name"] for p in audit["parameters"]} >= {"org_slug", "page", "page_size"}


def test_docs_page_loads_and_uses_only_local_assets(client, db):
    response = client.get(reverse("api_docs"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    sources = re.findall(r'<(?:script|link|img)\b[^>]*?(?:src|href)="([^"]+)"', html)
    assert any(s.endswith("swagger-ui-bundle.js") for s in sources)
    assert sources, "the page loads assets"
    assert [s for s in sources if re.match(r"(https?:)?//", s)] == []
    assert "cdn." not in html


def test_docs_page_assets_and_init_script_are_served(client, db):
    html = client.get(reverse("api_docs")).content.decode()
    script_urls = re.findall(r'<script src="([^"]+)"', html)

    init = [u for u in script_urls if u.startswith(reverse("api_docs"))]
    assert len(init) == 1, "the init script is a separate URL, so the CSP needs no inline script"
    init_script = client.get(init[0])
    assert init_script.status_code == 200
    assert reverse("api_schema") in init_script.content.decode()
    for url in script_urls:
        if url.startswith("/static/"):
            from django.contrib.staticfiles import finders

            assert finders.find(url.removeprefix("/static/")), url


def test_docs_page_works_under_the_content_security_policy(client, db):
    response = client.get(reverse("api_docs"))

    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "<script>" not in response.content.decode(), "inline scripts would be blocked by the CSP"


def test_docs_page_leads_back_to_the_console_and_to_the_schema(client, db):
    html = client.get(reverse("api_docs")).content.decode()

    assert f'href="{reverse("dashboard")}"' in html and "Back to the console" in html
    assert f'href="{reverse("api_schema")}" download' in html
    assert 'id="swagger-ui"' in html  # the reference itself is still drf-spectacular's page


def test_docs_page_in_chinese_says_why_the_reference_is_english(client, db):
    html = client.get(reverse("api_docs"), HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()

    assert "返回控制台" in html
    assert "英文" in html


def _operations(client):
    schema = json.loads(client.get(reverse("api_schema"), {"format": "json"}).content)
    return [(method.upper(), path, op) for path, item in schema["paths"].items()
            for method, op in item.items() if method in {"get", "post", "put", "patch", "delete"}]


def test_swagger_can_send_the_package_as_a_file(client, db):
    """`format: uri` made "Try it out" offer a text box for the package; a file needs `binary`."""
    schema = json.loads(client.get(reverse("api_schema"), {"format": "json"}).content)
    body = schema["paths"]["/api/v1/programs/{appid}/versions/"]["post"]["requestBody"]["content"]
    ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][ref]["properties"]["package"]["format"] == "binary"
    evidence = schema["components"]["schemas"]["WhitelistRequestInput"]
    assert evidence["properties"]["evidence"]["items"]["format"] == "binary"


def test_org_api_operations_say_which_key_scope_they_need(client, db):
    described = {(m, p): op.get("description", "") for m, p, op in _operations(client)}
    assert "API key scope: `programs:write`" in described["POST", "/api/v1/programs/{appid}/versions/{version}/submit/"]
    assert "API key scope: `programs:read`" in described["GET", "/api/v1/programs/{appid}/"]
    assert "API key scope: `stats:read`" in described["GET", "/api/v1/programs/{appid}/stats/"]
    assert "API key scope: `distribution:write`" in described["POST", "/api/v1/programs/{appid}/whitelist-requests/"]
    assert "API key scope: `org:read`" in described["GET", "/api/v1/orgs/{org_slug}/audit/"]
    assert "no scope needed" in described["GET", "/api/v1/me/"]
    org_ops = [(m, p) for m, p, _ in _operations(client) if p.startswith(("/api/v1/programs", "/api/v1/orgs"))]
    assert [key for key in org_ops if "API key scope" not in described[key]] == []


def test_operation_descriptions_are_for_api_users_not_developers(client, db):
    internal = ("Reach a program through", "POST to act on one version", "check the scope for the method")
    leaked = [(m, p) for m, p, op in _operations(client) if any(s in op.get("description", "") for s in internal)]
    assert leaked == []


def test_summaries_are_plain_text(client, db):
    """Swagger shows a summary as plain text: backticks would show as backticks."""
    assert [(m, p, op.get("summary")) for m, p, op in _operations(client)
            if not op.get("summary") or "`" in op["summary"]] == []


def test_lifecycle_answers_say_what_the_version_became(client, db):
    responses = {p: op["responses"] for m, p, op in _operations(client) if m == "POST"}
    for action in ("submit", "release", "rollback"):
        ok = responses[f"/api/v1/programs/{{appid}}/versions/{{version}}/{action}/"]["200"]
        assert ok["description"].strip(), action


def test_every_response_says_what_it_holds(client, db):
    """Swagger and Redoc show a response's description as its only explanation: an empty one told an
    integrator nothing about what a success returns (32 of the 42 operations had one)."""
    responses = [(m, p, code, r) for m, p, op in _operations(client) for code, r in op["responses"].items()]
    assert len(responses) > 200
    assert [(m, p, code) for m, p, code, r in responses if not r.get("description", "").strip()] == []


def test_describing_a_list_answer_keeps_its_operation_id(client, db):
    """drf-spectacular names a GET `…_list` only for a bare list serializer; wrapped in OpenApiResponse (for its
    description) it became `…_retrieve`, and the thread's and requests' ids collided (console/openapi.py)."""
    ids = [op["operationId"] for _m, _p, op in _operations(client)]
    assert len(ids) == len(set(ids))
    assert {"categories_list", "scenes_list", "programs_distribution_list", "programs_whitelist_requests_list",
            "programs_versions_messages_list", "programs_list", "reviews_queue_list"} <= set(ids)


def test_docs_page_says_its_language(client, db):
    """axe-core: the page had no `lang` (drf-spectacular's template). The reference is English; the bar is the reader's."""
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("api_docs"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert re.search(r'<html lang="en">', html)
    assert 'class="docs-bar" lang="zh-hans"' in html


def test_every_request_body_but_the_host_calls_refuses_unknown_fields_and_says_so(client, db):
    """Host calls keep SPEC §9's contract as it is (a host may send fields a later version reads); every other
    body is read by a StrictInput serializer, whose component says `additionalProperties: false`."""
    schema = json.loads(client.get(reverse("api_schema"), {"format": "json"}).content)
    components = schema["components"]["schemas"]
    bodies = {
        (path.startswith("/api/v1/hosts/"), content["schema"].get("items", content["schema"])["$ref"].rsplit("/", 1)[1])
        for path, item in schema["paths"].items() for operation in item.values() if isinstance(operation, dict)
        for content in operation.get("requestBody", {}).get("content", {}).values()
    }

    assert len(bodies) >= 18
    for host_call, name in bodies:
        assert components[name].get("additionalProperties") is (None if host_call else False), name


def test_no_description_in_the_schema_speaks_of_our_code(client, db):
    """A mixin's docstring became the description of every request body that used it ("A request body's
    serializer … Mixed in before `serializers.Serializer` …"): words for us, not for API users."""
    schema = client.get(reverse("api_schema"), {"format": "json"}).content.decode().lower()

    for word in ("serializer", "mixed in", "docstring", "drf "):
        assert word not in schema, word
