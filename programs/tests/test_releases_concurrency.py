"""Two lifecycle actions on one program at the same moment, with real concurrent transactions.

Each thread has its own connection and its own stale copy of the version; a barrier releases them
together. The services lock the program row first, so the actions serialise and the second one
sees what the first did. Needs PostgreSQL: SQLite serialises every write transaction anyway.
"""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from console.exceptions import WrongState
from console.models import AuditEvent
from programs.lifecycle import TransitionConflict
from programs.models import Version
from programs.releases import version_release, version_submit
from programs.tests.concurrency import postgresql_only, race  # noqa: F401 (fixture)
from programs.tests.factories import MiniProgramFactory, VersionFactory

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.usefixtures("postgresql_only")]
S = Version.Status
ROUNDS = 3


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_versions_submitted_at_once_only_one_gets_into_review(org, owner, member, round_):
    program = MiniProgramFactory(organisation=org)
    first = VersionFactory(program=program, version="1.0.0", status=S.READY)
    second = VersionFactory(program=program, version="1.1.0", status=S.READY)

    results = race((lambda v: version_submit(version=v, actor=owner), first.pk),
                   (lambda v: version_submit(version=v, actor=member), second.pk))

    assert sum(isinstance(r, Version) for r in results) == 1, results
    loser = next(r for r in results if not isinstance(r, Version))
    assert isinstance(loser, ValidationError) and "already in review" in loser.messages[0]
    assert program.versions.filter(status=S.IN_REVIEW).count() == 1
    assert AuditEvent.objects.filter(action="version.submit").count() == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_raises_at_once_never_lose_the_higher_percentage(org, owner, member, round_):
    program = MiniProgramFactory(organisation=org)
    version = VersionFactory(program=program, status=S.PHASED, phased_percentage=10, released_at=timezone.now())

    results = race((lambda v: version_release(version=v, actor=owner, percentage=25), version.pk),
                   (lambda v: version_release(version=v, actor=member, percentage=50), version.pk))

    assert Version.objects.get(pk=version.pk).phased_percentage == 50
    refused = [r for r in results if isinstance(r, Exception)]
    # 25 then 50: both apply. 50 then 25: the 25 is refused, percentages only go up.
    assert all(isinstance(r, ValidationError) and "only go up" in str(r) for r in refused), results
    assert AuditEvent.objects.filter(action="version.release_raise").count() == 2 - len(refused)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_scan_again_twice_at_once_queues_one_scan(org, owner, member, round_):
    """A double click, or two developers: the second finds the version uploaded already and is refused."""
    from programs.scans import version_rescan

    version = VersionFactory(program=MiniProgramFactory(organisation=org), status=S.SCAN_FAILED)

    results = race((lambda v: version_rescan(version=v, actor=owner), version.pk),
                   (lambda v: version_rescan(version=v, actor=member), version.pk))

    assert sum(isinstance(r, Version) for r in results) == 1, results
    loser = next(r for r in results if not isinstance(r, Version))
    assert isinstance(loser, TransitionConflict | WrongState), loser  # WrongState: it read the winner's status
    # (The winner's scan runs at its commit, eagerly here, and fails again on the factory's package.)
    assert AuditEvent.objects.filter(action="version.rescan").count() == 1
    assert AuditEvent.objects.filter(action="version.scan_start").count() == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_programs_submitted_expedited_at_once_cannot_pass_the_last_quota_place_both(org, owner, member,
                                                                                      round_):
    """Each submission locks only its own program; the organisation's quota needs its own lock, or both
    count the same free place and the month has one expedited review more than the quota."""
    from programs.releases import expedited_used_this_month

    org.expedited_reviews_per_month = 1
    org.save(update_fields=["expedited_reviews_per_month"])
    first = VersionFactory(program=MiniProgramFactory(organisation=org), version="1.0.0", status=S.READY)
    second = VersionFactory(program=MiniProgramFactory(organisation=org), version="1.0.0", status=S.READY)

    results = race((lambda v: version_submit(version=v, actor=owner, expedited=True), first.pk),
                   (lambda v: version_submit(version=v, actor=member, expedited=True), second.pk))

    assert sum(isinstance(r, Version) for r in results) == 1, results
    loser = next(r for r in results if not isinstance(r, Version))
    assert "expedited reviews are used up" in loser.messages[0]
    assert expedited_used_this_month(org) == 1
