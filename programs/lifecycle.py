"""The version state machine: one table of allowed moves and one path that makes them.

Every status change of a Version goes through `version_transition`, which refuses
moves the table does not allow, applies the change with a compare-and-swap on the
current status (so two actors racing on one version cannot both win), and writes
the audit event in the same transaction.
"""

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from console.exceptions import Conflict, WrongState
from console.services import audit_record
from programs.invalidation import programs_changed
from programs.models import Version

S = Version.Status

TRANSITIONS: dict[str, set[str]] = {
    S.UPLOADED: {S.SCANNING, S.SCAN_FAILED},
    # Back to UPLOADED is the sweeper re-queueing a scan whose worker died.
    S.SCANNING: {S.READY, S.SCAN_FAILED, S.UPLOADED},
    # Scan again (programs.scans.version_rescan): the same package against the program's settings as they
    # are now, after its domains or privacy declaration changed, or after the scanner gave up.
    S.SCAN_FAILED: {S.UPLOADED},
    S.READY: {S.IN_REVIEW},
    S.IN_REVIEW: {S.APPROVED, S.REJECTED, S.READY},
    S.APPROVED: {S.RELEASED, S.PHASED},
    S.REJECTED: set(),
    S.PHASED: {S.RELEASED, S.APPROVED},
    S.RELEASED: {S.SUPERSEDED, S.ROLLED_BACK},
    S.SUPERSEDED: {S.RELEASED},
    S.ROLLED_BACK: set(),
}


class TransitionError(WrongState):
    """The move is not allowed from the version's current status (the API answers 409 `wrong_state`)."""


class TransitionConflict(Conflict):
    """Someone else changed the version first."""


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, set())


# Sent by `version_transition` inside its transaction, with `version`, `before` and `after` (statuses): for the
# apps above programs, which programs may not import (reviews drops a claim when a review ends: a claim on a
# withdrawn version held the reviewer's third slot, and came back claimed with the resubmission).
version_status_changed = Signal()


@transaction.atomic
def version_transition(
    version: Version, *, to: str, actor=None, api_key=None, action: str | None = None,
    changes: dict | None = None, note: dict | None = None, actor_label: str | None = None,
) -> Version:
    """Move `version` to status `to`, updating `changes` fields with it, and record the audit event."""
    current = version.status
    if not can_transition(current, to):
        raise TransitionError(_("A version that is “%(current)s” cannot become “%(target)s”.") % {
            "current": Version.Status(current).label, "target": Version.Status(to).label})
    now = timezone.now()
    fields = {"status": to, "status_changed_at": now, **(changes or {})}
    updated = Version.objects.filter(pk=version.pk, status=current).update(**fields)
    if not updated:
        raise TransitionConflict(_("This version was changed by someone else a moment ago; reload to see it."))
    for name, value in fields.items():
        setattr(version, name, value)
    version_status_changed.send(sender=Version, version=version, before=current, after=to)
    audit_record(
        action=f"version.{action or to}", target=version, actor=actor, api_key=api_key, actor_label=actor_label,
        organisation=version.program.organisation,
        before={"status": current}, after={"status": to, **(note or {})},
    )
    programs_changed()  # a release, rollback, phase or host approval: hosts' caches read it again
    return version
