"""Two reviewers acting on one version at the same moment, with real concurrent transactions.

Each thread has its own database connection; a barrier makes both read the version (in review, unclaimed)
before either writes, so both reach the write with the same stale picture. Exactly one must win and the
other must get a Conflict that says what happened. Needs PostgreSQL: SQLite takes a write lock at the
start of every transaction (transaction_mode IMMEDIATE), so two writers can never overlap there.
"""

import pytest

from console.exceptions import Conflict
from programs.models import Version
from programs.tests.concurrency import postgresql_only, race  # noqa: F401 (fixture)
from reviews.models import ReviewClaim, ReviewDecision
from reviews.services import review_approve, review_claim, review_reject, review_request_changes
from reviews.tests.factories import WaitingVersionFactory

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.usefixtures("postgresql_only")]
S = Version.Status
ROUNDS = 5


def _run_race(version, *actions):
    """Every action starts from the same picture: the version in review and unclaimed."""
    return race(*[(action, version.pk) for action in actions], expect_status=S.IN_REVIEW)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_reviewers_deciding_at_once_exactly_one_wins(reviewer, other_reviewer, round_):
    version = WaitingVersionFactory()
    results = _run_race(
        version,
        lambda v: review_approve(version=v, reviewer=reviewer),
        lambda v: review_reject(version=v, reviewer=other_reviewer, reasons=["unstable"]),
    )
    winners = [r for r in results if isinstance(r, ReviewDecision)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    winner = winners[0]
    version.refresh_from_db()
    assert version.status == (S.APPROVED if winner.kind == "approve" else S.REJECTED)
    assert ReviewDecision.objects.filter(version=version).count() == 1
    who = "Riley Reviewer" if winner.reviewer == reviewer else "Sam Second"
    assert str(losers[0]).startswith(f"{who} already decided this version ({winner.kind}")


def test_approve_racing_a_request_for_changes(reviewer, other_reviewer):
    version = WaitingVersionFactory()
    results = _run_race(
        version,
        lambda v: review_request_changes(version=v, reviewer=reviewer, text="Explain the camera."),
        lambda v: review_approve(version=v, reviewer=other_reviewer),
    )
    assert sum(isinstance(r, ReviewDecision) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    version.refresh_from_db()
    assert (version.status, version.awaiting_developer) in {(S.IN_REVIEW, True), (S.APPROVED, False)}


def test_two_reviewers_claiming_at_once_exactly_one_gets_it(reviewer, other_reviewer):
    version = WaitingVersionFactory()
    results = _run_race(
        version,
        lambda v: review_claim(version=v, reviewer=reviewer),
        lambda v: review_claim(version=v, reviewer=other_reviewer),
    )
    claims = [r for r in results if isinstance(r, ReviewClaim)]
    assert len(claims) == 1 and sum(isinstance(r, Conflict) for r in results) == 1, results
    assert ReviewClaim.objects.get(version=version).reviewer == claims[0].reviewer


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_message_double_clicked_is_stored_once(org, owner, reviewer, round_):
    """Two identical posts at the same moment (a double click): one message, one notification."""
    from console.models import Notification
    from reviews.models import ReviewMessage
    from reviews.services import review_message_post

    version = WaitingVersionFactory(org=org)
    body = f"The test account is demo / demo-{round_}."
    results = _run_race(
        version,
        lambda v: review_message_post(version=v, author=owner, body=body),
        lambda v: review_message_post(version=v, author=owner, body=body),
    )
    assert all(isinstance(r, ReviewMessage) for r in results), results
    assert results[0].pk == results[1].pk
    assert list(ReviewMessage.objects.filter(version=version).values_list("body", flat=True)) == [body]
    assert Notification.objects.filter(user=reviewer, event="review.message").count() == 1
