"""Real concurrent transactions on PostgreSQL: two operators deciding one request, a double-clicked request.

Uses the shared race harness (programs/tests/concurrency.py): each call runs in its own thread and
connection and all are released together. Skipped on SQLite, which serialises write transactions.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from console.exceptions import Conflict
from distribution.models import Grant, WhitelistRequest
from distribution.services import whitelist_approve, whitelist_reject
from distribution.tests.conftest import ACCOUNTS, request_scene
from programs.tests.concurrency import postgresql_only, race  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.usefixtures("postgresql_only")]


def _version_id(program) -> int:
    return program.versions.get().pk


def _approve(request, operator):
    return lambda _version: whitelist_approve(request=request, operator=operator, placements=ACCOUNTS,
                                              valid_until=timezone.now() + timedelta(days=30))


def test_two_operators_approving_at_once_make_exactly_one_grant(service_program, owner, operator, other_operator):
    request = request_scene(service_program, "weibo.profile", owner)
    vid = _version_id(service_program)

    results = race((_approve(request, operator), vid), (_approve(request, other_operator), vid))

    grants = [r for r in results if isinstance(r, Grant)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert (len(grants), len(conflicts)) == (1, 1), results
    assert Grant.objects.filter(program=service_program).count() == 1
    assert grants[0].placements.count() == 2


def test_approve_and_reject_at_once_one_wins_and_the_state_agrees(service_program, owner, operator, other_operator):
    request = request_scene(service_program, "weibo.profile", owner)
    vid = _version_id(service_program)
    reject = lambda _v: whitelist_reject(request=request, operator=other_operator, reason="scene-rules")  # noqa: E731

    results = race((_approve(request, operator), vid), (reject, vid))

    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    request.refresh_from_db()
    granted = Grant.objects.filter(request=request).exists()
    assert (request.status == "approved") == granted
    assert request.status in ("approved", "rejected")


def test_a_double_click_on_request_makes_one_pending_request(service_program, owner):
    vid = _version_id(service_program)
    ask = lambda _v: request_scene(service_program, "weibo.profile", owner)  # noqa: E731

    results = race((ask, vid), (ask, vid))

    assert sum(isinstance(r, WhitelistRequest) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert WhitelistRequest.objects.filter(program=service_program, status="pending").count() == 1


def test_a_caps_change_and_a_revoke_at_once_never_leave_a_revoked_grant_with_new_caps_unannounced(
        service_program, owner, operator, other_operator):
    """The caps change locks the grant: it runs before the revoke (both stand) or after it (a Conflict)."""
    from console.models import AuditEvent
    from distribution.services import grant_revoke, grant_set_terms
    from distribution.tests.conftest import grant_scene

    vid = _version_id(service_program)
    for round_ in range(3):
        grant = grant_scene(service_program, "weibo.profile", owner, operator)
        terms = lambda _v, g=grant, cap=round_ + 1: grant_set_terms(grant=g, operator=operator, share_cap=cap,  # noqa: E731
                                                                   share_window_seconds=3600, daily_cap=None,
                                                                   rollout_percent=100)
        revoke = lambda _v, g=grant: grant_revoke(grant=g, operator=other_operator, reason="scene-rules")  # noqa: E731

        results = race((terms, vid), (revoke, vid))

        grant.refresh_from_db()
        assert grant.status == Grant.Status.REVOKED
        changed = AuditEvent.objects.filter(action="grant.terms", target_id=str(grant.pk)).exists()
        assert changed == (grant.share_cap == round_ + 1), results
        assert changed != isinstance(results[0], Conflict), results
