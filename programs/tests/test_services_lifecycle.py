"""The version state machine (programs/lifecycle.py): one table, one path, compare-and-swap, audit events."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from console.models import AuditEvent
from programs.lifecycle import TRANSITIONS, TransitionConflict, TransitionError, can_transition, version_transition
from programs.models import Version
from programs.tests.factories import VersionFactory

pytestmark = pytest.mark.django_db

S = Version.Status
ALLOWED = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets)
REFUSED = sorted(pair for pair in itertools.product(S.values, S.values) if pair not in set(ALLOWED))


def test_the_table_covers_every_status():
    assert set(TRANSITIONS) == set(S.values)
    assert all(set(targets) <= set(S.values) for targets in TRANSITIONS.values())


@pytest.mark.parametrize(
    "current, target",
    [
        (S.UPLOADED, S.SCANNING), (S.SCANNING, S.READY), (S.SCANNING, S.SCAN_FAILED), (S.SCANNING, S.UPLOADED),
        (S.READY, S.IN_REVIEW), (S.IN_REVIEW, S.APPROVED), (S.IN_REVIEW, S.REJECTED), (S.IN_REVIEW, S.READY),
        (S.APPROVED, S.PHASED), (S.APPROVED, S.RELEASED), (S.PHASED, S.RELEASED), (S.RELEASED, S.SUPERSEDED),
        (S.RELEASED, S.ROLLED_BACK),
    ],
)
def test_the_spec_lifecycle_moves_are_allowed(current, target):
    assert can_transition(current, target)


@pytest.mark.parametrize(
    "current, target",
    [
        (S.UPLOADED, S.READY), (S.SCAN_FAILED, S.READY), (S.SCAN_FAILED, S.SCANNING), (S.READY, S.RELEASED),
        (S.READY, S.APPROVED), (S.REJECTED, S.IN_REVIEW), (S.ROLLED_BACK, S.RELEASED), (S.RELEASED, S.READY),
        (S.IN_REVIEW, S.RELEASED), (S.READY, S.READY),
    ],
)
def test_shortcuts_and_moves_out_of_terminal_states_are_not(current, target):
    assert not can_transition(current, target)


@pytest.mark.parametrize("current, target", ALLOWED)
def test_every_allowed_move_updates_the_row_and_writes_an_audit_event(current, target):
    version = VersionFactory(status=current, status_changed_at=timezone.now() - timedelta(days=1))
    before = version.status_changed_at
    version_transition(version, to=target)
    row = Version.objects.get(pk=version.pk)
    assert row.status == target
    assert row.status_changed_at > before
    event = AuditEvent.objects.get(target_type="programs.version", target_id=str(version.pk))
    assert event.action == f"version.{target}"
    assert (event.before, event.after) == ({"status": current}, {"status": target})
    assert event.organisation == version.program.organisation


@pytest.mark.parametrize("current, target", REFUSED[::7])
def test_a_move_the_table_does_not_allow_is_refused_and_changes_nothing(current, target):
    version = VersionFactory(status=current)
    with pytest.raises(TransitionError) as exc:
        version_transition(version, to=target)
    assert "cannot become" in exc.value.messages[0]
    assert Version.objects.get(pk=version.pk).status == current
    assert version.status == current
    assert not AuditEvent.objects.exists()


def test_changes_and_note_travel_with_the_move(owner):
    version = VersionFactory(status=S.READY)
    version_transition(version, to=S.IN_REVIEW, actor=owner, action="submit",
                       changes={"submit_notes": "please", "expedited": True}, note={"expedited": True})
    row = Version.objects.get(pk=version.pk)
    assert (row.status, row.submit_notes, row.expedited) == (S.IN_REVIEW, "please", True)
    assert (version.status, version.submit_notes) == (S.IN_REVIEW, "please")
    event = AuditEvent.objects.get(action="version.submit")
    assert event.actor == owner
    assert event.after == {"status": "in_review", "expedited": True}


def test_a_stale_version_whose_status_changed_underneath_raises_a_conflict():
    version = VersionFactory(status=S.READY)
    stale = Version.objects.get(pk=version.pk)
    version_transition(version, to=S.IN_REVIEW)
    with pytest.raises(TransitionConflict):
        version_transition(stale, to=S.IN_REVIEW)
    assert AuditEvent.objects.filter(action="version.in_review").count() == 1


def test_of_two_racing_actors_only_the_first_wins():
    version = VersionFactory(status=S.IN_REVIEW)
    approver = Version.objects.get(pk=version.pk)
    rejecter = Version.objects.get(pk=version.pk)
    version_transition(approver, to=S.APPROVED)
    with pytest.raises(TransitionConflict):
        version_transition(rejecter, to=S.REJECTED)
    assert Version.objects.get(pk=version.pk).status == S.APPROVED
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["version.approved"]


def test_a_conflict_leaves_the_stale_objects_fields_alone():
    version = VersionFactory(status=S.SCANNING)
    stale = Version.objects.get(pk=version.pk)
    Version.objects.filter(pk=version.pk).update(status=S.READY)
    with pytest.raises(TransitionConflict):
        version_transition(stale, to=S.SCAN_FAILED, changes={"errors": 3})
    assert (stale.status, stale.errors) == (S.SCANNING, 0)
    assert Version.objects.get(pk=version.pk).errors == 0
