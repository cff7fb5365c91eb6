"""The reviews API: queue, claim and decision for reviewers (session only); the version thread for developers."""

import pytest
from django.urls import reverse

from console.models import Membership
from console.roles import Role, Scope
from console.services import api_key_create
from programs.models import Version
from programs.tests.factories import MiniProgramFactory, VersionFactory
from reviews.models import ReviewMessage
from reviews.services import review_approve, review_request_changes
from reviews.tests.factories import ClaimFactory, WaitingVersionFactory

pytestmark = pytest.mark.django_db
S = Version.Status


def _claim_url(version):
    return reverse("api_review_claim", args=[version.pk])


def _decision_url(version):
    return reverse("api_review_decision", args=[version.pk])


def _messages_url(version):
    return reverse("api_version_messages", args=[version.program.appid, version.version])


# ---------------------------------------------------------------- queue


def test_queue_shape(reviewer_api, other_reviewer):
    version = WaitingVersionFactory(program=MiniProgramFactory(name="Shape"), categories=("games",), risk_score=12,
                                    expedited=True)
    ClaimFactory(version=version, reviewer=other_reviewer)
    body = reviewer_api.get(reverse("api_review_queue")).json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == version.pk
    assert item["appid"] == version.program.appid
    assert (item["program"], item["version"], item["risk_score"], item["expedited"]) == (
        "Shape", version.version, 12, True)
    assert item["organisation"]["slug"] == version.program.organisation.slug
    assert item["categories"] == ["games"]
    assert item["overdue"] is False
    assert item["claim"]["reviewer"] == "sam@platform.test"
    assert item["review_page"].endswith(reverse("review_detail", args=[version.pk]))


def test_queue_filters_as_query_parameters(reviewer_api):
    fast = WaitingVersionFactory(expedited=True, risk_score=40)
    WaitingVersionFactory(expedited=True, risk_score=90)
    WaitingVersionFactory(risk_score=40)
    body = reviewer_api.get(reverse("api_review_queue"), {"expedited": "true", "risk_max": 50}).json()
    assert [item["id"] for item in body["results"]] == [fast.pk]


def test_queue_rejects_bad_parameters_in_the_error_shape(reviewer_api):
    response = reviewer_api.get(reverse("api_review_queue"), {"risk_min": "high"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "risk_min" in response.json()["error"]["fields"]


def test_non_reviewers_get_403(api, member):
    api.force_login(member)
    response = api.get(reverse("api_review_queue"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_anonymous_gets_401(api):
    assert api.get(reverse("api_review_queue")).status_code == 401


def test_an_organisation_api_key_never_reaches_the_review_api(api, org, owner, reviewer):
    Membership.objects.create(organisation=org, user=reviewer, role=Role.OWNER)
    _key, raw = api_key_create(org=org, user=reviewer, role=Role.OWNER, name="k", scopes=[Scope.PROGRAMS_READ])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(reverse("api_review_queue")).status_code == 403


# ---------------------------------------------------------------- claim


def test_claim_returns_the_lock(reviewer_api, reviewer):
    version = WaitingVersionFactory()
    response = reviewer_api.post(_claim_url(version))
    assert response.status_code == 200
    assert response.json()["reviewer"] == reviewer.email
    assert response.json()["version_id"] == version.pk


def test_claim_held_by_another_is_409(reviewer_api, other_reviewer):
    version = WaitingVersionFactory()
    ClaimFactory(version=version, reviewer=other_reviewer)
    response = reviewer_api.post(_claim_url(version))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert "Sam Second" in response.json()["error"]["message"]


def test_the_fourth_claim_is_400(reviewer_api, reviewer):
    for _ in range(3):
        ClaimFactory(reviewer=reviewer)
    response = reviewer_api.post(_claim_url(WaitingVersionFactory()))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "claim_limit"
    assert "3 claims" in response.json()["error"]["message"]


def test_claiming_a_version_not_in_review_is_409_wrong_state(reviewer_api):
    """A state refusal, as on the lifecycle calls: not bad input (400)."""
    version = WaitingVersionFactory()
    Version.objects.filter(pk=version.pk).update(status=Version.Status.APPROVED)

    response = reviewer_api.post(_claim_url(version))

    assert response.status_code == 409
    assert response.json()["error"] == {"code": "wrong_state", "message": "Only a version in review can be claimed.",
                                        "fields": {}}


def test_release_by_delete(reviewer_api, reviewer):
    version = WaitingVersionFactory()
    ClaimFactory(version=version, reviewer=reviewer)
    assert reviewer_api.delete(_claim_url(version)).status_code == 204
    assert reviewer_api.post(_claim_url(version)).status_code == 200


def test_own_organisation_is_403_and_unknown_is_404(reviewer_api, reviewer, org):
    Membership.objects.create(organisation=org, user=reviewer, role=Role.DEVELOPER)
    response = reviewer_api.post(_claim_url(WaitingVersionFactory(org=org)))
    assert response.status_code == 403
    assert "member of Acme Apps" in response.json()["error"]["message"]
    assert reviewer_api.post(reverse("api_review_claim", args=[999999])).status_code == 404


# ---------------------------------------------------------------- decision


def test_approve_by_api(reviewer_api, reviewer):
    version = WaitingVersionFactory()
    response = reviewer_api.post(_decision_url(version), {"decision": "approve", "hosts": ["alipay"]}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["decision"], body["hosts"], body["version_status"], body["reviewer"]) == (
        "approve", ["alipay"], "approved", reviewer.email)


def test_reject_by_api(reviewer_api):
    version = WaitingVersionFactory()
    response = reviewer_api.post(_decision_url(version), {
        "decision": "reject", "reasons": ["prohibited-content"], "text": "Gambling"}, format="json")
    assert response.status_code == 201
    assert response.json()["reasons"] == ["prohibited-content"]
    assert response.json()["version_status"] == "rejected"


def test_reject_without_reasons_is_400_with_the_field(reviewer_api):
    response = reviewer_api.post(_decision_url(WaitingVersionFactory()), {"decision": "reject"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["reasons"] == ["Choose at least one reason."]


def test_request_changes_by_api(reviewer_api):
    version = WaitingVersionFactory()
    response = reviewer_api.post(_decision_url(version), {
        "decision": "request_changes", "text": "Which page uses the camera?"}, format="json")
    assert response.status_code == 201
    assert (response.json()["version_status"], response.json()["awaiting_developer"]) == ("in_review", True)


def test_someone_else_decided_first_is_409(reviewer_api, other_reviewer):
    version = WaitingVersionFactory()
    review_approve(version=version, reviewer=other_reviewer)
    response = reviewer_api.post(_decision_url(version), {"decision": "reject", "reasons": ["unstable"]},
                                 format="json")
    assert response.status_code == 409
    assert response.json()["error"]["message"].startswith("Sam Second already decided this version (approved at")


def test_deciding_while_another_holds_the_claim_is_409(reviewer_api, other_reviewer):
    version = WaitingVersionFactory()
    ClaimFactory(version=version, reviewer=other_reviewer)
    response = reviewer_api.post(_decision_url(version), {"decision": "approve"}, format="json")
    assert response.status_code == 409


def test_unknown_decision_is_400(reviewer_api):
    response = reviewer_api.post(_decision_url(WaitingVersionFactory()), {"decision": "maybe"}, format="json")
    assert response.status_code == 400
    assert "decision" in response.json()["error"]["fields"]


# ---------------------------------------------------------------- the thread, developer side


@pytest.fixture
def asked(org, owner, reviewer):
    version = WaitingVersionFactory(org=org)
    review_request_changes(version=version, reviewer=reviewer, text="Send a test account.",
                           reasons=["test-account-missing"])
    return version


def test_members_read_the_thread_with_reviewers_anonymous(api, member, asked):
    api.force_login(member)
    response = api.get(_messages_url(asked))
    assert response.status_code == 200
    [message] = response.json()
    assert (message["author"], message["from_reviewer"], message["decision"]) == ("Reviewer", True, "request_changes")
    assert message["body"] == "Send a test account."
    assert message["reasons"][0]["code"] == "test-account-missing"


def test_a_members_answer_puts_the_version_back_in_the_queue(api, member, asked):
    api.force_login(member)
    response = api.post(_messages_url(asked), {"body": "demo / 1234"}, format="json")
    assert response.status_code == 201
    assert response.json()["from_reviewer"] is False
    assert response.json()["author"] == "Devi Developer"
    asked.refresh_from_db()
    assert not asked.awaiting_developer


def test_api_key_with_scopes_reads_and_writes_the_thread(api_with_key, asked):
    assert api_with_key.get(_messages_url(asked)).status_code == 200
    assert api_with_key.post(_messages_url(asked), {"body": "answer"}, format="json").status_code == 201


def test_a_viewer_reads_but_cannot_answer(api, viewer, asked):
    api.force_login(viewer)
    assert api.get(_messages_url(asked)).status_code == 200
    assert api.post(_messages_url(asked), {"body": "hi"}, format="json").status_code == 403


def test_outsider_gets_404_on_the_messages_api(api, outsider, asked):
    api.force_login(outsider)
    assert api.get(_messages_url(asked)).status_code == 404
    assert api.post(_messages_url(asked), {"body": "hi"}, format="json").status_code == 404
    assert not ReviewMessage.objects.filter(author=outsider).exists()


def test_empty_messages_are_refused(api, member, asked):
    api.force_login(member)
    response = api.post(_messages_url(asked), {"body": "   "}, format="json")
    assert response.status_code == 400


def test_a_version_never_submitted_has_no_thread_to_answer(api, member, org):
    # Found by the API contract run: the 409 was answered but not in the schema.
    ready = VersionFactory(program=MiniProgramFactory(organisation=org), status=S.READY)
    api.force_login(member)
    response = api.post(_messages_url(ready), {"body": "hello?"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "wrong_state"
    assert not ReviewMessage.objects.filter(version=ready).exists()
    schema = api.get(reverse("api_schema"), {"format": "json"}).json()
    assert "409" in schema["paths"]["/api/v1/programs/{appid}/versions/{version}/messages/"]["post"]["responses"]


def test_the_schema_documents_the_review_calls(api, reviewer):
    api.force_login(reviewer)
    schema = api.get(reverse("api_schema"), {"format": "json"}).json()
    for path in ["/api/v1/reviews/queue/", "/api/v1/reviews/{version_id}/claim/",
                 "/api/v1/reviews/{version_id}/decision/", "/api/v1/programs/{appid}/versions/{version}/messages/"]:
        assert path in schema["paths"], path
