"""Every JSON body the API reads goes through its parsers: nesting limit, text only, and (outside host calls) no
key named twice. A view that named DRF's plain JSONParser (the whitelist requests, the share gate's host API)
answered `[[[…]]]` 100,000 deep with a 500 (RecursionError)."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from console import urls as console_urls
from console.parsers import DepthLimitedJSONParser, StrictJSONParser
from programs.tests.factories import MiniProgramFactory


def _views(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            view = getattr(entry.callback, "cls", None) or getattr(entry.callback, "view_class", None)
            if isinstance(view, type) and issubclass(view, APIView):
                yield entry.name, view


API_VIEWS = sorted(set(_views(console_urls.urlpatterns)), key=lambda item: item[0] or "")


@pytest.mark.parametrize("name, view", API_VIEWS, ids=[n or v.__name__ for n, v in API_VIEWS])
def test_every_api_view_reads_json_only_through_the_limited_parser(name, view):
    for parser in view.parser_classes:
        if "json" in parser.media_type:
            assert issubclass(parser, DepthLimitedJSONParser), (name, parser)


def test_the_default_parser_is_the_strict_one():
    assert api_settings.DEFAULT_PARSER_CLASSES[0] is StrictJSONParser
    assert len(API_VIEWS) >= 50


@pytest.fixture
def key_client(owner_key):
    return Client(HTTP_AUTHORIZATION=f"Bearer {owner_key[1]}", raise_request_exception=False)


def test_deep_json_to_the_whitelist_requests_is_a_400(key_client, org):
    program = MiniProgramFactory(organisation=org)

    response = key_client.post(f"/api/v1/programs/{program.appid}/whitelist-requests/", "[" * 100_000 + "]" * 100_000,
                               content_type="application/json")

    assert response.status_code == 400
    assert "nested" in response.json()["error"]["message"]


@pytest.mark.parametrize("body, repeated", [
    ('{"slogan": "Ours", "slogan": "Theirs"}', "slogan"),
    ('{"domains": {"request": [], "request": ["https://evil.test"]}}', "request"),
])
def test_a_key_named_twice_is_a_400_naming_it_and_changes_nothing(key_client, org, body, repeated):
    program = MiniProgramFactory(organisation=org, slogan="Before")

    response = key_client.patch(f"/api/v1/programs/{program.appid}/", body, content_type="application/json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parse_error" and f"twice in one object: {repeated}" in error["message"]
    program.refresh_from_db()
    assert program.slogan == "Before"


def test_the_same_key_in_two_objects_is_fine(key_client, org):
    program = MiniProgramFactory(organisation=org)

    response = key_client.put(f"/api/v1/programs/{program.appid}/privacy/",
                              '{"items": [{"kind": "location", "purpose": "a"}, {"kind": "camera", "purpose": "b"}]}',
                              content_type="application/json")

    assert response.status_code == 200, response.content
