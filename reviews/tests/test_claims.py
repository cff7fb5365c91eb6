"""Claims: an expiring lock per version, at most three per reviewer, never on one's own organisation."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from console.exceptions import Conflict
from console.models import AuditEvent, Membership
from console.roles import Role
from programs.models import Version
from reviews.models import ReviewClaim
from reviews.services import (
    ClaimLimitReached,
    claims_delete_expired,
    review_claim,
    review_claim_refresh,
    review_claim_release,
)
from reviews.tests.factories import ClaimFactory, WaitingVersionFactory

pytestmark = pytest.mark.django_db


def test_claim_locks_the_version_for_fifteen_minutes(reviewer, settings):
    version = WaitingVersionFactory()
    before = timezone.now()
    claim = review_claim(version=version, reviewer=reviewer)
    assert claim.reviewer == reviewer
    assert timedelta(minutes=14) < claim.expires_at - before <= timedelta(minutes=settings.REVIEW_CLAIM_MINUTES, seconds=5)
    event = AuditEvent.objects.get(action="review.claim", target_id=str(version.pk))
    assert event.actor == reviewer
    assert event.organisation is None  # reviewer workflow: not in the developer's audit log


def test_claiming_again_extends_the_same_claim(reviewer):
    version = WaitingVersionFactory()
    first = review_claim(version=version, reviewer=reviewer)
    ReviewClaim.objects.filter(pk=first.pk).update(expires_at=timezone.now() + timedelta(minutes=1))
    again = review_claim(version=version, reviewer=reviewer)
    assert again.pk == first.pk
    assert again.expires_at > timezone.now() + timedelta(minutes=14)
    assert ReviewClaim.objects.count() == 1


def test_another_reviewer_cannot_claim_a_held_version(reviewer, other_reviewer):
    version = WaitingVersionFactory()
    review_claim(version=version, reviewer=other_reviewer)
    with pytest.raises(Conflict, match="Sam Second is reviewing this version"):
        review_claim(version=version, reviewer=reviewer)
    assert ReviewClaim.objects.get(version=version).reviewer == other_reviewer


def test_an_expired_claim_can_be_taken_over(reviewer, other_reviewer):
    version = WaitingVersionFactory()
    ClaimFactory(version=version, reviewer=other_reviewer, expires_at=timezone.now() - timedelta(seconds=1))
    claim = review_claim(version=version, reviewer=reviewer)
    assert claim.reviewer == reviewer
    assert ReviewClaim.objects.get(version=version).reviewer == reviewer


def test_at_most_three_claims_per_reviewer(reviewer, settings):
    assert settings.REVIEW_MAX_CLAIMS == 3
    for _ in range(3):
        review_claim(version=WaitingVersionFactory(), reviewer=reviewer)
    with pytest.raises(ClaimLimitReached, match="already hold 3 claims"):
        review_claim(version=WaitingVersionFactory(), reviewer=reviewer)
    assert ReviewClaim.objects.filter(reviewer=reviewer).count() == 3


def test_expired_claims_do_not_count_towards_the_limit(reviewer):
    for _ in range(3):
        ClaimFactory(reviewer=reviewer, expires_at=timezone.now() - timedelta(minutes=1))
    claim = review_claim(version=WaitingVersionFactory(), reviewer=reviewer)
    assert claim.is_live


def test_a_reviewer_never_claims_their_own_organisations_version(reviewer, org):
    Membership.objects.create(organisation=org, user=reviewer, role=Role.VIEWER)
    version = WaitingVersionFactory(org=org)
    with pytest.raises(PermissionDenied, match="You are a member of Acme Apps"):
        review_claim(version=version, reviewer=reviewer)
    assert not ReviewClaim.objects.exists()


def test_only_reviewers_claim(member):
    with pytest.raises(PermissionDenied):
        review_claim(version=WaitingVersionFactory(), reviewer=member)


def test_only_versions_in_review_can_be_claimed(reviewer):
    with pytest.raises(ValidationError):
        review_claim(version=WaitingVersionFactory(status=Version.Status.APPROVED), reviewer=reviewer)


def test_refresh_extends_a_live_claim(reviewer):
    version = WaitingVersionFactory()
    claim = ClaimFactory(version=version, reviewer=reviewer, expires_at=timezone.now() + timedelta(minutes=2))
    refreshed = review_claim_refresh(version=version, reviewer=reviewer)
    assert refreshed.pk == claim.pk
    assert refreshed.expires_at > timezone.now() + timedelta(minutes=14)


def test_refresh_after_someone_else_took_the_lapsed_claim_is_a_conflict(reviewer, other_reviewer):
    version = WaitingVersionFactory()
    ClaimFactory(version=version, reviewer=other_reviewer)
    with pytest.raises(Conflict):
        review_claim_refresh(version=version, reviewer=reviewer)


def test_release_frees_the_version(reviewer, other_reviewer):
    version = WaitingVersionFactory()
    review_claim(version=version, reviewer=reviewer)
    assert review_claim_release(version=version, reviewer=reviewer)
    assert review_claim(version=version, reviewer=other_reviewer).reviewer == other_reviewer
    assert not review_claim_release(version=version, reviewer=reviewer)  # not theirs any more


def test_housekeeping_deletes_only_expired_rows(reviewer):
    live = ClaimFactory(reviewer=reviewer)
    ClaimFactory(reviewer=reviewer, expires_at=timezone.now() - timedelta(hours=1))
    assert claims_delete_expired() == 1
    assert list(ReviewClaim.objects.all()) == [live]


# ---------------------------------------------------------------- pages


def test_claim_button_then_heartbeat(reviewer_client, reviewer):
    version = WaitingVersionFactory()
    response = reviewer_client.post(reverse("review_claim", args=[version.pk]), follow=True)
    assert "You are reviewing this version." in response.content.decode()
    assert ">Release the claim</button>" in response.content.decode()  # "Release" read as releasing the version
    assert 'data-claim-refresh="' + reverse("review_claim_refresh", args=[version.pk]) in response.content.decode()
    beat = reviewer_client.post(reverse("review_claim_refresh", args=[version.pk]))
    assert beat.status_code == 200
    assert beat.json()["held"] is True


def test_heartbeat_tells_when_another_reviewer_holds_it(reviewer_client, other_reviewer):
    version = WaitingVersionFactory()
    ClaimFactory(version=version, reviewer=other_reviewer)
    beat = reviewer_client.post(reverse("review_claim_refresh", args=[version.pk]))
    assert beat.status_code == 409
    assert "Sam Second" in beat.json()["message"]


def test_the_page_shows_who_holds_the_version(reviewer_client, other_reviewer):
    version = WaitingVersionFactory()
    ClaimFactory(version=version, reviewer=other_reviewer)
    body = reviewer_client.get(reverse("review_detail", args=[version.pk])).content.decode()
    assert "Sam Second is reviewing this version" in body
    assert 'action="' + reverse("review_decide", args=[version.pk]) not in body  # no decision forms


def test_the_fourth_claim_shows_a_clear_error(reviewer_client, reviewer):
    for _ in range(3):
        ClaimFactory(reviewer=reviewer)
    version = WaitingVersionFactory()
    response = reviewer_client.post(reverse("review_claim", args=[version.pk]), follow=True)
    assert "You already hold 3 claims: decide or release one first." in response.content.decode()


def test_release_button(reviewer_client, reviewer):
    version = WaitingVersionFactory()
    ClaimFactory(version=version, reviewer=reviewer)
    response = reviewer_client.post(reverse("review_claim_release", args=[version.pk]))
    assert response.status_code == 302
    assert not ReviewClaim.objects.exists()


def test_own_organisation_review_page_is_403(reviewer_client, reviewer, org):
    Membership.objects.create(organisation=org, user=reviewer, role=Role.DEVELOPER)
    version = WaitingVersionFactory(org=org)
    assert reviewer_client.get(reverse("review_detail", args=[version.pk])).status_code == 403
    assert reviewer_client.post(reverse("review_claim", args=[version.pk])).status_code == 403


def test_a_version_never_submitted_is_404(reviewer_client):
    version = WaitingVersionFactory(status=Version.Status.READY, submitted_at=None)
    assert reviewer_client.get(reverse("review_detail", args=[version.pk])).status_code == 404
