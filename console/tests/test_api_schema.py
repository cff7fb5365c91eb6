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
