"""A body field the call does not read is a 400 that names it, and nothing changes: DRF used to drop it in
silence, so `PATCH {"slogn": …}` answered 200 and a script took its typo for success."""

import pytest

from console.models import WebhookEndpoint
from programs.models import MiniProgram, TrialTester, Version
from programs.tests.factories import MiniProgramFactory, VersionFactory


@pytest.fixture
def program(org):
    return MiniProgramFactory(organisation=org, slogan="Ours", description="A map", privacy_policy_url="https://a.test/p")


def _refused(response, name):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "Unknown field" in error["fields"][name][0]
    return error["fields"][name][0]


def test_a_misspelt_field_of_a_program_edit_is_refused_and_nothing_changes(api_with_key, program):
    response = api_with_key.patch(f"/api/v1/programs/{program.appid}/", {"slogn": "Typo"}, format="json")

    message = _refused(response, "slogn")
    assert "slogan" in message  # it names what the call reads
    program.refresh_from_db()
    assert program.slogan == "Ours"


def test_a_program_cannot_be_moved_to_another_organisation_by_patch(api_with_key, program, other_org):
    response = api_with_key.patch(f"/api/v1/programs/{program.appid}/", {"organisation": other_org.slug,
                                                                         "slogan": "Moved"}, format="json")

    _refused(response, "organisation")
    assert MiniProgram.objects.get(pk=program.pk).organisation_id == program.organisation_id


def test_a_submit_with_a_misspelt_option_is_refused_before_it_submits(api_with_key, program):
    VersionFactory(program=program, version="1.0.0", status=Version.Status.READY)

    response = api_with_key.post(f"/api/v1/programs/{program.appid}/versions/1.0.0/submit/", {"expidited": True},
                                 format="json")

    _refused(response, "expidited")
    assert Version.objects.get(program=program).status == Version.Status.READY


def test_a_release_percentage_sent_under_another_name_is_refused(api_with_key, program):
    VersionFactory(program=program, version="1.0.0", status=Version.Status.APPROVED)

    response = api_with_key.post(f"/api/v1/programs/{program.appid}/versions/1.0.0/release/", {"percent": 10},
                                 format="json")

    _refused(response, "percent")
    assert Version.objects.get(program=program).status == Version.Status.APPROVED


def test_unknown_fields_of_testers_and_webhooks_are_refused(api_with_key, org, program):
    tester = api_with_key.post(f"/api/v1/programs/{program.appid}/testers/", {"email": "t@example.com", "name": "T"},
                               format="json")
    hook = api_with_key.post(f"/api/v1/orgs/{org.slug}/webhooks/",
                             {"url": "https://h.test/", "events": ["scan.finished"], "secret": "mine"}, format="json")

    _refused(tester, "name")
    _refused(hook, "secret")  # the secret is made here, never chosen
    assert not TrialTester.objects.exists() and not WebhookEndpoint.objects.exists()


def test_an_unknown_field_inside_a_privacy_item_is_refused(api_with_key, program):
    before = sorted(program.privacy_items.values_list("kind", "purpose"))

    response = api_with_key.put(f"/api/v1/programs/{program.appid}/privacy/",
                                {"items": [{"kind": "location", "purpose": "Nearby stores", "why": "x"}]}, format="json")

    assert response.status_code == 400
    assert "items.0.why" in response.json()["error"]["fields"]
    assert sorted(program.privacy_items.values_list("kind", "purpose")) == before


def test_a_multipart_upload_with_a_browsers_csrf_field_is_not_refused_for_it(api_with_key, program):
    from programs.tests.factories import upload

    response = api_with_key.post(f"/api/v1/programs/{program.appid}/versions/",
                                 {"package": upload(b"not a zip"), "version": "1.0.0", "csrfmiddlewaretoken": "x"},
                                 format="multipart")

    assert "csrfmiddlewaretoken" not in response.json().get("error", {}).get("fields", {})


def test_host_calls_keep_reading_bodies_with_fields_they_do_not_know(db):
    """SPEC §9's host contract: a host may send more than this version reads (tested in
    stats/tests and distribution/tests with real signatures); here only that their serializers are not strict."""
    from console.api_fields import StrictInput
    from distribution.host_serializers import ShareCheckInput
    from stats.host_apis import EventsInput

    assert not issubclass(ShareCheckInput, StrictInput) and not issubclass(EventsInput, StrictInput)


def test_an_upload_with_file_for_package_hears_of_both_at_once(api_with_key, program):
    """`file=` instead of `package=` was refused only as an unknown field; the client mended it and only then
    heard that `package` is required."""
    from programs.tests.factories import upload

    response = api_with_key.post(f"/api/v1/programs/{program.appid}/versions/",
                                 {"file": upload(b"PK"), "version": "1.0.0"}, format="multipart")

    _refused(response, "file")
    assert response.json()["error"]["fields"]["package"] == ["No file was submitted."]
    assert not Version.objects.exists()


def test_a_program_create_with_a_misspelt_field_names_every_other_refusal_too(api_with_key, org):
    response = api_with_key.post("/api/v1/programs/", {"name": "x", "categories": ["no-such"], "slogn": "Typo",
                                                      "domains": {"request": ["http://1.2.3.4"]}}, format="json")

    _refused(response, "slogn")
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"slogn", "name", "categories", "domains.request.0"}
    assert "3–20 characters" in fields["name"][0] and "no-such" in fields["categories"][0]
    assert not MiniProgram.objects.filter(name="x").exists()
