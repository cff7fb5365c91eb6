"""The auto-approval policy and its periodic run: dry run, real approvals, refusals, idempotence."""

from datetime import timedelta

import pytest
from django.utils import timezone

from console.models import AuditEvent
from console.tests.factories import OrganisationFactory
from programs.models import Version
from programs.tests.factories import MiniProgramFactory, VersionFactory
from reviews.autoapproval import auto_review_run
from reviews.models import AutoApprovalEvaluation, AutoApprovalPolicy, ReviewDecision
from reviews.services import review_request_changes
from reviews.tasks import auto_approve_waiting
from reviews.tests.factories import ClaimFactory, WaitingVersionFactory, metadata, released_version, scan_report

pytestmark = pytest.mark.django_db
S = Version.Status
Outcome = AutoApprovalEvaluation.Outcome


@pytest.fixture
def policy():
    policy = AutoApprovalPolicy.current()
    policy.enabled, policy.dry_run = True, False
    policy.max_risk_score, policy.min_prior_releases, policy.require_verified_org = 10, 2, True
    policy.save()
    return policy


@pytest.fixture
def trusted_org():
    org = OrganisationFactory(name="Trusted", verified=True)
    for n in range(2):  # two earlier releases of another program
        VersionFactory(program=MiniProgramFactory(organisation=org), status=S.SUPERSEDED if n else S.RELEASED,
                       released_at=timezone.now() - timedelta(days=60))
    return org


def _update(org, *, risk=3, permissions=(), domains=("api.example.com",), categories=("tools",),
            meta_domains=None) -> Version:
    """An update of a released program of `org` with exactly the released files, except as told."""
    program = MiniProgramFactory(organisation=org)
    released_version(program)
    return WaitingVersionFactory(
        program=program, risk_score=risk, categories=categories,
        scan_report=scan_report(risk=risk, permissions=permissions, domains=domains),
        submitted_metadata=metadata(categories=categories, domains=meta_domains))


def _evaluation(version) -> AutoApprovalEvaluation:
    return AutoApprovalEvaluation.objects.get(version=version)


def _failed_checks(version) -> set[str]:
    return {c["check"] for c in _evaluation(version).reasons if not c["ok"]}


def test_real_mode_approves_a_low_risk_update_from_a_trusted_org(policy, trusted_org):
    version = _update(trusted_org)
    counts = auto_review_run()
    version.refresh_from_db()
    assert version.status == S.APPROVED
    assert counts[Outcome.APPROVED] == 1
    decision = ReviewDecision.objects.get(version=version)
    assert (decision.automatic, decision.dry_run, decision.reviewer) == (True, False, None)
    assert {c["check"] for c in decision.policy_reasons} >= {"risk", "prior_releases", "verified_org", "update",
                                                            "permissions", "domains", "categories"}
    assert all(c["ok"] for c in decision.policy_reasons)
    event = AuditEvent.objects.get(action="version.approve", target_id=str(version.pk))
    assert event.actor_label == "system" and event.after["automatic"] is True


def test_dry_run_records_but_does_not_approve(policy, trusted_org):
    policy.dry_run = True
    policy.save()
    version = _update(trusted_org)
    auto_review_run()
    version.refresh_from_db()
    assert version.status == S.IN_REVIEW
    decision = ReviewDecision.objects.get(version=version)
    assert (decision.dry_run, decision.automatic, decision.kind) == (True, True, "approve")
    assert _evaluation(version).outcome == Outcome.WOULD_APPROVE
    assert not AuditEvent.objects.filter(action="version.approve").exists()


def test_a_disabled_policy_does_nothing(policy, trusted_org):
    policy.enabled = False
    policy.save()
    version = _update(trusted_org)
    auto_review_run()
    assert not AutoApprovalEvaluation.objects.exists()
    version.refresh_from_db()
    assert version.status == S.IN_REVIEW


@pytest.mark.parametrize(("change", "failed"), [
    ({"permissions": ["scope.userLocation"]}, "permissions"),
    ({"domains": ["api.example.com", "tracker.example.net"]}, "domains"),
    ({"meta_domains": {"request": ["https://api.example.com", "https://new.example.org"]}}, "domains"),
    ({"categories": ("tools", "finance")}, "categories"),
    ({"risk": 11}, "risk"),
])
def test_refuses_updates_that_bring_something_new_or_risky(policy, trusted_org, change, failed):
    version = _update(trusted_org, **change)
    auto_review_run()
    version.refresh_from_db()
    assert version.status == S.IN_REVIEW
    assert _evaluation(version).outcome == Outcome.NOT_ELIGIBLE
    assert _failed_checks(version) == {failed}
    assert not ReviewDecision.objects.filter(version=version).exists()


def test_allowing_new_permissions_lets_them_through(policy, trusted_org):
    policy.allow_new_permissions = True
    policy.save()
    version = _update(trusted_org, permissions=["scope.camera"])
    auto_review_run()
    version.refresh_from_db()
    assert version.status == S.APPROVED


def test_refuses_first_releases_unverified_and_young_orgs(policy, trusted_org):
    first = WaitingVersionFactory(org=trusted_org, risk_score=0)
    unverified = _update(OrganisationFactory(verified=False))
    auto_review_run()
    assert _failed_checks(first) == {"update"}
    assert _failed_checks(unverified) == {"verified_org", "prior_releases"}


def test_each_submission_is_evaluated_once(policy, trusted_org):
    version = _update(trusted_org, risk=50)
    auto_review_run()
    auto_review_run()
    assert AutoApprovalEvaluation.objects.filter(version=version).count() == 1
    # A new submission of the same version (withdrawn and submitted again) is evaluated again.
    Version.objects.filter(pk=version.pk).update(submitted_at=timezone.now())
    auto_review_run()
    assert AutoApprovalEvaluation.objects.filter(version=version).count() == 2


def test_leaves_versions_a_reviewer_holds_or_has_worked_on(policy, trusted_org, reviewer):
    held = _update(trusted_org)
    ClaimFactory(version=held, reviewer=reviewer)
    asked = _update(trusted_org)
    review_request_changes(version=asked, reviewer=reviewer, text="?")
    Version.objects.filter(pk=asked.pk).update(awaiting_developer=False)  # the developer answered
    auto_review_run()
    held.refresh_from_db()
    asked.refresh_from_db()
    assert (held.status, asked.status) == (S.IN_REVIEW, S.IN_REVIEW)
    assert not AutoApprovalEvaluation.objects.exists()


def test_the_periodic_task_runs_the_policy(policy, trusted_org):
    version = _update(trusted_org)
    assert auto_approve_waiting.delay().get()[Outcome.APPROVED] == 1
    version.refresh_from_db()
    assert version.status == S.APPROVED


def test_the_beat_schedule_runs_it_every_five_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["auto-approve-reviews"]
    assert entry == {"task": "reviews.tasks.auto_approve_waiting", "schedule": 300.0}


def test_the_policy_is_a_single_row():
    first = AutoApprovalPolicy.current()
    AutoApprovalPolicy(enabled=True).save()
    assert AutoApprovalPolicy.objects.count() == 1
    assert AutoApprovalPolicy.current().pk == first.pk
