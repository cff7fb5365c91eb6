"""A GET of the API reads only the query parameters its schema documents; any other is a 400 that names it.

They were dropped in silence: `?granularty=week` answered the daily series, `…/testers/?email=x` (a filter
that did not exist) every tester, so a script that deleted the first result removed the wrong person."""

import re

import pytest
from django.urls import URLPattern, URLResolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from console import urls as console_urls
from console.api_access import allowed_query_parameters
from programs.models import TrialTester
from programs.tests.factories import MiniProgramFactory


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and getattr(entry.callback, "cls", None) is not None:
            yield "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", prefix + str(entry.pattern)), entry.callback.cls


VIEWS = dict(_routes(console_urls.urlpatterns))
SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
GETS = sorted(path for path, item in SCHEMA["paths"].items() if "get" in item and not path.startswith("/api/v1/hosts/"))


@pytest.mark.parametrize("path", GETS)
def test_what_a_get_reads_is_what_its_schema_documents(path):
    documented = {p["name"] for p in SCHEMA["paths"][path]["get"].get("parameters", []) if p["in"] == "query"}

    assert allowed_query_parameters(VIEWS[path]) == documented


def test_every_get_of_the_api_is_checked():
    assert len(GETS) >= 28


@pytest.fixture
def program(org):
    return MiniProgramFactory(organisation=org)


@pytest.mark.parametrize("url, unknown", [
    ("/api/v1/programs/{appid}/stats/?granularty=week", "granularty"),
    ("/api/v1/programs/{appid}/testers/?mail=a@b.test", "mail"),
    ("/api/v1/programs/?org=acme-apps", "org"),
    ("/api/v1/programs/{appid}/versions/?status=ready", "status"),
    ("/api/v1/programs/{appid}/?fields=name", "fields"),
])
def test_an_unknown_query_parameter_is_a_400_naming_it_and_what_the_call_reads(api_with_key, program, url,
                                                                              unknown):
    response = api_with_key.get(url.format(appid=program.appid))

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid", [unknown])
    assert "Unknown query parameter" in error["message"]


def test_the_message_names_what_the_call_reads(api_with_key, program):
    message = api_with_key.get(f"/api/v1/programs/{program.appid}/stats/?granularty=week").json()["error"]["message"]

    assert message == "Unknown query parameter: this call reads from, granularity, host, scene, to."


def test_the_testers_email_filter_finds_one_or_none(api_with_key, program):
    for email in ("ann@example.com", "bob@example.com"):
        TrialTester.objects.create(program=program, email=email)
    url = f"/api/v1/programs/{program.appid}/testers/"

    assert [t["email"] for t in api_with_key.get(url, {"email": "BOB@example.com"}).json()["results"]] == [
        "bob@example.com"]
    assert api_with_key.get(url, {"email": "nobody@example.com"}).json()["results"] == []


def test_a_delivery_status_that_does_not_exist_is_a_400(api_with_key, org):
    from console.notify.webhooks import webhook_endpoint_create

    endpoint = webhook_endpoint_create(organisation=org, actor=None, url="https://h.test/", events=["scan.finished"])

    response = api_with_key.get(f"/api/v1/orgs/{org.slug}/webhooks/{endpoint.pk}/deliveries/", {"status": "bogus"})

    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def test_an_anonymous_caller_still_gets_401_and_an_outsider_404(outsider, program):
    anonymous, stranger = APIClient(), APIClient()
    stranger.force_authenticate(outsider)

    assert anonymous.get(f"/api/v1/programs/{program.appid}/?x=1").status_code == 401
    assert stranger.get(f"/api/v1/programs/{program.appid}/").status_code == 404


def test_host_calls_keep_reading_what_they_read(db):
    """SPEC §9: host calls are not checked (placements read `scene` and `account` or `topic`)."""
    assert "/api/v1/hosts/{host}/placements/" in SCHEMA["paths"]
    assert not any(path.startswith("/api/v1/hosts/") for path in GETS)


@pytest.mark.parametrize("url, repeated", [
    ("/api/v1/programs/?page_size=10&page_size=50", ["page_size"]),
    ("/api/v1/programs/{appid}/stats/?granularity=week&granularity=day&from=2026-11-01&from=2026-11-02",
     ["from", "granularity"]),
    ("/api/v1/programs/{appid}/testers/?email=a@b.test&email=c@d.test", ["email"]),
])
def test_a_query_parameter_given_twice_is_a_400_naming_it(api_with_key, program, url, repeated):
    """The last value was kept in silence: `?page_size=10&page_size=50` answered pages of 50."""
    response = api_with_key.get(url.format(appid=program.appid))

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], sorted(error["fields"])) == ("invalid", repeated)
    assert error["message"] == "Query parameter given more than once: this call reads one value of each."


def test_an_outsider_giving_a_parameter_twice_still_gets_404(api_with_key):
    other = MiniProgramFactory()

    assert api_with_key.get(f"/api/v1/programs/{other.appid}/testers/?email=a@b.test&email=c@d.test"
                            ).status_code == 404
