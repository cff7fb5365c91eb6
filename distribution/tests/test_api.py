"""The distribution API: SPEC §9's scenes, whitelist requests and distribution matrix, and the operators' calls."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from console.roles import Role
from console.services import api_key_create
from distribution.models import Grant, WhitelistRequest
from distribution.tests.conftest import grant_scene, pdf, request_scene


def _requests_url(program):
    return reverse("api_whitelist_requests", args=[program.appid])


def test_scenes_lists_every_scene_with_its_rule(api_with_key):
    response = api_with_key.get(reverse("api_scenes"))

    assert response.status_code == 200
    feed = next(s for s in response.json() if s["code"] == "weibo.feed")
    assert feed["host"] == "weibo"
    assert feed["rule"]["share_cap"] == 1 and feed["rule"]["share_window_seconds"] == 3600
    assert feed["rule"]["service_types_only"] is True


def test_post_a_request_as_json(api_with_key, service_program):
    response = api_with_key.post(_requests_url(service_program), {
        "scene": "weibo.profile", "justification": "City accounts pin our card."}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["scene"], body["status"], body["host"]) == ("weibo.profile", "pending", "weibo")


def test_post_a_request_with_evidence_as_multipart(api_with_key, service_program):
    response = api_with_key.post(_requests_url(service_program), {
        "scene": "weibo.feed", "justification": "Bikes near you.", "evidence": [pdf()]}, format="multipart")

    assert response.status_code == 201, response.json()
    assert response.json()["evidence"] == [{"name": "licence.pdf", "content_type": "application/pdf", "size": 20}]


def test_a_non_service_program_gets_the_reason_code(api_with_key, tools_program):
    response = api_with_key.post(_requests_url(tools_program), {
        "scene": "weibo.feed", "justification": "Useful.", "evidence": [pdf()]}, format="multipart")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "not_service_type"
    assert "service-type" in error["message"]


def test_a_second_pending_request_is_409_naming_the_one_waiting(api_with_key, service_program):
    data = {"scene": "weibo.profile", "justification": "Again."}
    first = api_with_key.post(_requests_url(service_program), data, format="json").json()

    response = api_with_key.post(_requests_url(service_program), data, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    # A CI job retrying a request that went through can find it.
    assert f"already waiting for an operator: request {first['id']}, made " in response.json()["error"]["message"]


def test_an_unknown_scene_is_a_400_naming_the_field(api_with_key, service_program):
    response = api_with_key.post(_requests_url(service_program), {"scene": "weibo.nope", "justification": "x"},
                                 format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"scene": ["No such scene."]}
    assert not WhitelistRequest.objects.exists()


def test_a_key_without_the_distribution_scope_may_read_but_not_request(api, org, owner, service_program):
    _key, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="ro", scopes=["programs:read"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert api.get(_requests_url(service_program)).status_code == 200
    response = api.post(_requests_url(service_program), {"scene": "weibo.profile", "justification": "x"},
                        format="json")
    assert response.status_code == 403
    assert not WhitelistRequest.objects.exists()


def test_a_developer_role_cannot_request(api, member, service_program):
    api.force_login(member)

    response = api.post(_requests_url(service_program), {"scene": "weibo.profile", "justification": "x"},
                        format="json")

    assert response.status_code == 403


def test_the_distribution_matrix(api_with_key, service_program, owner, operator):
    grant_scene(service_program, "weibo.profile", owner, operator, share_cap=1, share_window_seconds=3600)

    response = api_with_key.get(reverse("api_program_distribution", args=[service_program.appid]))

    assert response.status_code == 200
    rows = {s["scene"]: s for host in response.json() for s in host["scenes"]}
    assert rows["weibo.profile"]["state"] == "granted"
    assert rows["weibo.profile"]["grant"]["share_cap"] == 1
    assert [p["account_name"] for p in rows["weibo.profile"]["grant"]["placements"]] == ["City Daily", "Bike Club"]
    assert rows["weibo.feed"]["state"] == "eligible" and rows["weibo.feed"]["can_request"] is True
    assert rows["alipay.city_service"]["reason"] == "org_not_verified"


def test_every_time_of_the_distribution_matrix_has_the_platforms_offset():
    """A request's times were written as they came (UTC, rendered "…Z") beside the grant's "+08:00" in the same
    answer; the serializer now writes them as DRF writes every other time."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from rest_framework.renderers import JSONRenderer

    from distribution.models import WhitelistRequest
    from distribution.serializers import SceneStateOutput

    moment = datetime(2026, 12, 2, 16, 0, 43, tzinfo=UTC)
    request = WhitelistRequest(pk=7, status="rejected", created_at=moment, decided_at=moment, decision_text="")

    shown = json.loads(JSONRenderer().render(SceneStateOutput().get_request(SimpleNamespace(request=request))))

    assert (shown["created_at"], shown["decided_at"]) == ("2026-12-03T00:00:43+08:00", "2026-12-03T00:00:43+08:00")



def test_withdraw_through_the_api(api_with_key, service_program, owner):
    request = request_scene(service_program, "weibo.profile", owner)

    response = api_with_key.post(reverse("api_whitelist_request_withdraw", args=[service_program.appid, request.pk]))

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


def test_withdrawing_a_request_no_longer_pending_is_409_wrong_state(api_with_key, service_program, owner):
    """A state refusal, as on the lifecycle calls: not bad input (400)."""
    request = request_scene(service_program, "weibo.profile", owner)
    url = reverse("api_whitelist_request_withdraw", args=[service_program.appid, request.pk])
    api_with_key.post(url)

    response = api_with_key.post(url)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "wrong_state"


@pytest.mark.parametrize("name, args, method", [
    ("api_program_distribution", [], "get"), ("api_whitelist_requests", [], "get"),
    ("api_whitelist_requests", [], "post"), ("api_whitelist_request", ["rid"], "get"),
    ("api_whitelist_request_withdraw", ["rid"], "post"),
])
def test_outsider_gets_404_on_every_program_endpoint(api, outsider, service_program, owner, name, args, method):
    request = request_scene(service_program, "weibo.profile", owner)
    api.force_login(outsider)
    values = {"rid": request.pk}

    response = getattr(api, method)(reverse(name, args=[service_program.appid, *[values[a] for a in args]]),
                                    {"scene": "weibo.profile", "justification": "x"}, format="json")

    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == "pending"


def test_outsiders_key_gets_404(api, outsider, other_org, service_program):
    _key, raw = api_key_create(org=other_org, user=outsider, role=Role.OWNER, name="x",
                               scopes=["programs:read", "distribution:write"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert api.get(reverse("api_program_distribution", args=[service_program.appid])).status_code == 404


# ---------------------------------------------------------------- operators


def test_operator_queue_and_decision_through_the_api(api, operator, service_program, owner):
    request = request_scene(service_program, "weibo.profile", owner)
    api.force_login(operator)

    queue = api.get(reverse("api_distribution_queue"))
    decision = api.post(reverse("api_distribution_decision", args=[request.pk]), {
        "decision": "approve", "valid_until": (timezone.now() + timedelta(days=20)).isoformat(), "share_cap": 1,
        "share_window_seconds": 3600, "placements": [{"account_uid": "1", "account_name": "One"},
                                                     {"account_uid": "2", "account_name": "Two"}]}, format="json")

    assert queue.status_code == 200
    assert [r["id"] for r in queue.json()["results"]] == [request.pk]
    assert decision.status_code == 201, decision.json()
    assert decision.json()["status"] == "approved"
    grant = Grant.objects.get(request=request)
    revoke = api.post(reverse("api_distribution_revoke", args=[grant.pk]), {"reason": "user-complaints"},
                      format="json")
    assert revoke.status_code == 200
    assert revoke.json()["status"] == "revoked"


def test_operator_api_refuses_org_api_keys_and_non_operators(api_with_key, api, member, service_program, owner):
    request = request_scene(service_program, "weibo.profile", owner)

    assert api_with_key.get(reverse("api_distribution_queue")).status_code == 403
    api.credentials()
    api.force_login(member)
    response = api.post(reverse("api_distribution_decision", args=[request.pk]), {"decision": "reject",
                                                                                   "reason": "scene-rules"})
    assert response.status_code == 403


def test_an_operator_of_another_host_gets_404_for_the_request(api, alipay_operator, service_program, owner):
    request = request_scene(service_program, "weibo.profile", owner)
    api.force_login(alipay_operator)

    response = api.post(reverse("api_distribution_decision", args=[request.pk]),
                        {"decision": "reject", "reason": "scene-rules"}, format="json")

    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == "pending"


def test_operator_replaces_a_grants_accounts_through_the_api(api, operator, service_program, owner):
    grant = grant_scene(service_program, "weibo.profile", owner, operator)
    api.force_login(operator)

    response = api.put(reverse("api_distribution_placements", args=[grant.pk]),
                       [{"account_uid": "42", "account_name": "New Account"}], format="json")

    assert response.status_code == 200, response.json()
    assert [p["account_uid"] for p in response.json()["placements"]] == ["42"]


def test_operator_changes_a_grants_caps_through_the_api(api, operator, alipay_operator, service_program, owner):
    grant = grant_scene(service_program, "weibo.profile", owner, operator)
    api.force_login(alipay_operator)
    elsewhere = api.put(reverse("api_distribution_terms", args=[grant.pk]), {"share_cap": 9}, format="json")
    api.force_login(operator)

    response = api.put(reverse("api_distribution_terms", args=[grant.pk]),
                       {"share_cap": 3, "share_window_seconds": 86400, "rollout_percent": 40}, format="json")
    refused = api.put(reverse("api_distribution_terms", args=[grant.pk]), {"rollout_percent": 0}, format="json")

    assert elsewhere.status_code == 404
    assert response.status_code == 200, response.content
    assert (response.json()["share_cap"], response.json()["share_window_seconds"],
            response.json()["rollout_percent"]) == (3, 86400, 40)
    assert refused.status_code == 400 and "rollout_percent" in refused.json()["error"]["fields"]


def test_caps_past_what_a_column_holds_are_a_400_not_a_500(api, operator, service_program, owner):
    """Schemathesis sent daily_cap 9,250,147,349: PostgreSQL's integer column refused it, a 500."""
    grant = grant_scene(service_program, "weibo.profile", owner, operator)
    request = request_scene(service_program, "weibo.feed", owner)
    api.force_login(operator)

    terms = api.put(reverse("api_distribution_terms", args=[grant.pk]), {"daily_cap": 9250147349}, format="json")
    decision = api.post(reverse("api_distribution_decision", args=[request.pk]), {
        "decision": "approve", "valid_until": (timezone.now() + timedelta(days=5)).isoformat(),
        "share_cap": 2**31, "share_window_seconds": 10**9}, format="json")

    assert terms.status_code == 400 and "daily_cap" in terms.json()["error"]["fields"]
    assert decision.status_code == 400
    assert {"share_cap", "share_window_seconds"} <= set(decision.json()["error"]["fields"])


def test_the_service_refuses_caps_past_their_range_whoever_calls_it(operator, service_program, owner):
    from django.core.exceptions import ValidationError

    from distribution.services import grant_set_terms

    grant = grant_scene(service_program, "weibo.profile", owner, operator)

    with pytest.raises(ValidationError, match="at most 1,000,000"):
        grant_set_terms(grant=grant, operator=operator, share_cap=None, share_window_seconds=None,
                        daily_cap=2_000_000, rollout_percent=100)
