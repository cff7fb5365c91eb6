"""One rule, many readers: every reason a program is refused a scene, and every state of the matrix."""

from datetime import timedelta

import pytest
from django.utils import timezone

from console.models import Organisation
from distribution.eligibility import Reason, State, program_facts, scene_refusal
from distribution.models import Grant
from distribution.selectors import program_distribution, scene_row
from distribution.services import NotEligible, grant_expire, grant_revoke, whitelist_approve, whitelist_reject
from distribution.tests.conftest import grant_scene, program_in, request_scene, scene
from hosts.models import Scene
from hosts.services import scene_set_status
from programs.models import Version


def _refusal(program, code):
    result = scene_refusal(scene(code), program_facts(program))
    return result.code if result else None


def test_a_released_service_program_may_ask_for_the_feed(service_program):
    assert _refusal(service_program, "weibo.feed") is None


def test_an_unreleased_program_is_refused_with_not_released(org):
    program = program_in(org, "life-services", release=False)

    assert _refusal(program, "weibo.feed") == Reason.NOT_RELEASED


def test_a_first_release_still_phasing_in_counts_as_released(org):
    program = program_in(org, "life-services", release=False)
    from distribution.tests.conftest import released
    released(program, status=Version.Status.PHASED)

    assert _refusal(program, "weibo.feed") is None


def test_a_release_approved_only_for_alipay_is_refused_on_weibo(org):
    program = program_in(org, "life-services", hosts=["alipay"])

    assert _refusal(program, "weibo.feed") == Reason.NOT_APPROVED_FOR_HOST
    assert _refusal(program, "alipay.hot_search") is None


def test_a_non_service_category_is_refused_the_feed_with_the_category_named(tools_program):
    refusal = scene_refusal(scene("weibo.feed"), program_facts(tools_program))

    assert refusal.code == Reason.NOT_SERVICE_TYPE
    assert "Tools" in refusal.message


def test_a_category_outside_the_allowed_list_is_refused(org):
    Organisation.objects.filter(pk=org.pk).update(verified=True)
    org.refresh_from_db()
    program = program_in(org, "life-services", "travel")

    assert _refusal(program, "alipay.city_service") == Reason.CATEGORY_NOT_ALLOWED


def test_an_unverified_organisation_is_refused_city_services(org):
    program = program_in(org, "life-services")

    assert _refusal(program, "alipay.city_service") == Reason.ORG_NOT_VERIFIED
    Organisation.objects.filter(pk=org.pk).update(verified=True)
    program.organisation.refresh_from_db()
    assert _refusal(program, "alipay.city_service") is None


def test_a_paused_scene_refuses_everyone(service_program, superuser):
    scene_set_status(scene=scene("weibo.feed"), actor=superuser, status=Scene.Status.PAUSED)

    assert _refusal(service_program, "weibo.feed") == Reason.SCENE_PAUSED


def _states(program) -> dict[str, str]:
    return {row.scene.code: row.state for block in program_distribution(program) for row in block.rows}


def test_the_matrix_lists_every_scene_of_every_active_host(service_program):
    states = _states(service_program)

    assert set(states) == set(Scene.objects.filter(host__active=True).values_list("code", flat=True))
    assert states["weibo.private_message"] == State.OPEN
    assert states["taobao.share"] == State.OPEN
    assert states["weibo.feed"] == State.ELIGIBLE
    assert states["alipay.city_service"] == State.NOT_ELIGIBLE


def test_the_matrix_shows_requested_granted_expiring_rejected_revoked_and_expired(service_program, owner, operator,
                                                                                 alipay_operator):
    request_scene(service_program, "weibo.feed", owner)
    grant_scene(service_program, "weibo.profile", owner, operator, days=30)
    grant_scene(service_program, "weibo.lottery", owner, operator, days=3,
                placements=[{"topic": "ny", "title": "NY", "starts_at": timezone.now(),
                             "ends_at": timezone.now() + timedelta(days=2), "landing_page": "pages/claim/index"}])
    rejected = request_scene(service_program, "weibo.hot_search", owner)
    whitelist_reject(request=rejected, operator=operator, reason="scene-rules", text="No.")
    revoked = grant_scene(service_program, "alipay.hot_search", owner, alipay_operator,
                          placements=[{"topic": "t", "starts_at": timezone.now(),
                                       "ends_at": timezone.now() + timedelta(days=1), "landing_page": "pages/a"}])
    grant_revoke(grant=revoked, operator=alipay_operator, reason="user-complaints")

    states = _states(service_program)

    assert states["weibo.feed"] == State.REQUESTED
    assert states["weibo.profile"] == State.GRANTED
    assert states["weibo.lottery"] == State.EXPIRING
    assert states["weibo.hot_search"] == State.REJECTED
    assert states["alipay.hot_search"] == State.REVOKED


def test_an_expired_grant_shows_expired_even_before_the_beat_task_runs(service_program, owner, operator):
    grant = grant_scene(service_program, "weibo.profile", owner, operator)
    Grant.objects.filter(pk=grant.pk).update(valid_until=timezone.now() - timedelta(minutes=1))

    assert _states(service_program)["weibo.profile"] == State.EXPIRED
    grant.refresh_from_db()
    assert grant_expire(grant=grant) is True
    row = scene_row(service_program, scene("weibo.profile"))
    assert (row.state, row.can_renew) == (State.EXPIRED, True)


def test_the_matrix_costs_the_same_queries_whatever_the_history(service_program, owner, operator,
                                                                django_assert_max_num_queries):
    grant_scene(service_program, "weibo.profile", owner, operator)
    request_scene(service_program, "weibo.feed", owner)

    with django_assert_max_num_queries(8):
        program_distribution(service_program)


def test_the_decision_checks_the_rule_again_with_the_same_code(service_program, owner, operator):
    """Requested while released; the release is rolled back before the operator decides: refused, not granted."""
    request = request_scene(service_program, "weibo.feed", owner)
    Version.objects.filter(program=service_program).update(status=Version.Status.ROLLED_BACK)

    with pytest.raises(NotEligible) as refused:
        whitelist_approve(request=request, operator=operator, valid_until=timezone.now() + timedelta(days=5))

    assert refused.value.refusal.code == Reason.NOT_RELEASED
    request.refresh_from_db()
    assert request.status == "pending"
    assert not Grant.objects.filter(program=service_program).exists()
