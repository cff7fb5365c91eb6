"""Every host route: unsigned calls get 401, and the schema documents each with the three-header scheme."""

import re

import pytest
import yaml
from django.urls import URLPattern, URLResolver, reverse

from console import urls as console_urls


def _host_routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _host_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and (prefix + str(entry.pattern)).startswith("hosts/<"):
            yield entry.name, prefix + str(entry.pattern)


HOST_ROUTES = sorted(set(_host_routes(console_urls.api_v1_patterns)))


def test_the_host_routes_are_found():
    assert {"api_host_share_check", "api_host_placements"} <= {name for name, _ in HOST_ROUTES}


@pytest.mark.parametrize("name, template", HOST_ROUTES, ids=[n for n, _ in HOST_ROUTES])
def test_an_unsigned_call_to_any_host_route_is_401(client, db, name, template):
    url = "/api/v1/" + re.sub(r"<(?:\w+:)?\w+>", "weibo", template)

    for response in (client.get(url), client.post(url, {}, content_type="application/json")):
        assert response.status_code == 401, url
        assert response.json()["error"]["code"] == "not_authenticated"


def test_the_schema_documents_the_host_calls_and_their_signature(client, db):
    schema = yaml.safe_load(client.get(reverse("api_schema")).content)

    schemes = schema["components"]["securitySchemes"]
    assert schemes["HostKey"] == {"type": "apiKey", "in": "header", "name": "X-Host-Key",
                                  "description": "The host credential's key id."}
    assert schemes["HostSignature"]["name"] == "X-Host-Signature"
    assert schemes["HostTimestamp"]["name"] == "X-Host-Timestamp"
    share = schema["paths"]["/api/v1/hosts/{host}/share-checks/"]["post"]
    assert share["security"] == [{"HostKey": [], "HostTimestamp": [], "HostSignature": []}]
    assert set(share["responses"]) >= {"200", "401", "404", "429"}
    reasons = schema["components"]["schemas"]["GateReasonEnum"]["enum"]
    assert {"allowed", "scene_paused", "share_cap", "daily_cap", "outside_rollout", "grant_expired"} <= set(reasons)
    placements = schema["paths"]["/api/v1/hosts/{host}/placements/"]["get"]
    assert {p["name"] for p in placements["parameters"]} >= {"host", "scene", "account", "topic"}
