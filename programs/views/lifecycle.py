"""Where a version is in its lifecycle, how it got there and what can happen next (presentation only).

The rules stay in programs/releases.py and programs/lifecycle.py: this module asks them
(`can_transition`, the quotas, `rollback_targets`) so that a page never offers a button the
service would refuse for a reason the page already knows.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from console.models import AuditEvent
from console.roles import Capability, role_can
from console.selectors import with_public_actor
from console.words import list_words
from hosts.selectors import active_hosts, host_names
from programs.lifecycle import can_transition
from programs.models import MiniProgram, Version
from programs.releases import (
    IN_FLIGHT,
    TRIAL_STATUSES,
    expedited_used_this_month,
    missing_for_review,
    rollback_targets,
    withdrawals_used,
)
from programs.scans import REBUILD_PACKAGE, package_must_be_rebuilt
from programs.services import missing_qualifications
from programs.wording import finding_counts, warnings_phrase

S = Version.Status
RAISE_PRESETS = (10, 25, 50, 100)
TIMELINE_LIMIT = 200
# Decisions are the platform's, not one reviewer's: the developer sees who decided as "Platform review".
REVIEW_ACTIONS = {"version.approve", "version.reject", "version.awaiting_developer"}


# ---------------------------------------------------------------- the timeline


@dataclass
class Event:
    when: datetime
    label: str
    tone: str  # ok, warn, err, info, muted: the dot's colour
    actor: str
    detail: str = ""


def _percent(value) -> str:
    return f"{value}%" if value is not None else "?"


def _describe_scan(after: dict) -> tuple[str, str, str]:
    if after.get("status") == S.READY:
        return _("Scan passed"), "ok", _("%(w)s · risk %(r)s") % {
            "w": warnings_phrase(after.get("warnings", 0)), "r": after.get("risk", "–")}
    return _("Scan found errors"), "err", str(finding_counts(errors=after.get("errors", 0),
                                                             warnings=after.get("warnings", 0)))


def _describe(action: str, before: dict, after: dict) -> tuple[str, str, str]:
    """(label, tone, detail) of one audit event on the version page."""
    simple = {
        "version.upload": (_("Uploaded"), "info"),
        "version.scan_start": (_("Scan started"), "muted"),
        "version.scan_requeue": (_("Scan restarted (the scanner stopped)"), "muted"),
        "version.rescan": (_("Scan asked for again, against the program's settings as they are now"), "info"),
        "version.withdraw": (_("Submission withdrawn; back to development"), "warn"),
        "version.reject": (_("Rejected"), "err"),
        "version.awaiting_developer": (_("Changes requested; waiting for your answer"), "warn"),
        "version.developer_answered": (_("Answered; back in the review queue"), "info"),
        "version.release": (_("Released to everyone"), "ok"),
        "version.release_cancel": (_("Phased release cancelled"), "warn"),
        "version.prune": (_("Removed (more than the kept development versions)"), "muted"),
    }
    if action in simple:
        return (*simple[action], "")
    if action == "version.scan_finish":
        return _describe_scan(after)
    if action == "version.submit":
        return _("Submitted for review"), "info", _("expedited") if after.get("expedited") else ""
    if action == "version.approve":
        hosts = after.get("hosts") or []
        return _("Approved"), "ok", _("for %(hosts)s") % {"hosts": list_words(host_names(hosts))} if hosts else ""
    if action == "version.release_phased":
        return _("Phased release started at %(p)s of users") % {"p": _percent(after.get("percentage"))}, "info", ""
    if action == "version.release_raise":
        return _("Phased release raised from %(a)s to %(b)s") % {
            "a": _percent(before.get("percentage")), "b": _percent(after.get("percentage"))}, "info", ""
    if action == "version.supersede":
        return _("Replaced by %(v)s") % {"v": after.get("by", "?")}, "muted", ""
    if action == "version.rollback_from":
        return _("Rolled back: users went back to %(v)s") % {"v": after.get("to", "?")}, "err", ""
    if action == "version.rollback_to":
        return _("Released again by a rollback from %(v)s") % {"v": after.get("from", "?")}, "ok", ""
    return action, "muted", ""


def _describe_trial(event: AuditEvent, version: Version) -> tuple[str, str, str]:
    after = event.after or {}
    if after.get("trial_version") == version.version:
        return _("Made the trial version"), "info", ""
    return _("No longer the trial version"), "muted", _("%(v)s is now") % {"v": after.get("trial_version")}


def _actor(event: AuditEvent) -> str:
    if event.action in REVIEW_ACTIONS:
        return _("Automatic review") if (event.after or {}).get("automatic") else _("Platform review")
    if event.actor_id is None and event.actor_label == "system":
        return _("Scanner") if event.action.startswith("version.scan") else _("System")
    return event.shown_actor


def version_events(version: Version) -> list[AuditEvent]:
    """The version's own audit events plus the program's trial-version changes that name it, oldest first."""
    own = Q(target_type="programs.version", target_id=str(version.pk))
    trial = Q(target_type=MiniProgram._meta.label_lower, target_id=str(version.program_id),
              action="program.trial_version")
    named = Q(after__trial_version=version.version) | Q(before__trial_version=version.version)
    events = with_public_actor(AuditEvent.objects.filter(own | (trial & named)).exclude(action__startswith="review."))
    return list(events.order_by("created_at")[:TIMELINE_LIMIT])


def timeline(version: Version) -> list[Event]:
    entries = []
    for event in version_events(version):
        if event.action == "program.trial_version":
            label, tone, detail = _describe_trial(event, version)
        else:
            label, tone, detail = _describe(event.action, event.before or {}, event.after or {})
        entries.append(Event(event.created_at, label, tone, _actor(event), detail))
    return entries


# ---------------------------------------------------------------- what can happen next


@dataclass
class NextActions:
    """The actions the version page offers; empty for members who may not write."""

    rescan: bool = False
    submit: bool = False
    blocking: Version | None = None  # the program's version already in flight
    missing: list = field(default_factory=list)  # categories still needing a qualification document
    details_missing: list = field(default_factory=list)  # program details reviewers need (releases.missing_for_review)
    expedited_quota: int = 0
    expedited_left: int = 0
    trial: bool = False
    withdraw: bool = False
    withdrawals_left_today: int = 0
    withdrawals_left_month: int = 0
    release: bool = False
    phasable: bool = False  # a phased release is offered for updates only: a first release goes to everyone
    # Hosts of the live full release this version is not approved for: releasing it to everyone (at once, or raised
    # to 100 %) takes the program off them. A phased release leaves them be: the full release still decides.
    hosts_dropped: list = field(default_factory=list)
    raise_to: bool = False
    presets: list[int] = field(default_factory=list)
    cancel: bool = False

    @property
    def any(self) -> bool:
        return self.rescan or self.submit or self.trial or self.withdraw or self.release or self.raise_to or self.cancel

    @property
    def submit_blocked(self) -> bool:
        return bool(self.blocking or self.details_missing or self.missing)

    @property
    def withdraw_blocked(self) -> bool:
        return not (self.withdrawals_left_today and self.withdrawals_left_month)


def _submit_facts(version: Version, actions: NextActions) -> None:
    program = version.program
    actions.submit = True
    actions.blocking = program.versions.filter(status__in=IN_FLIGHT).exclude(pk=version.pk).first()
    actions.details_missing = missing_for_review(program)
    actions.missing = missing_qualifications(program)
    org = program.organisation
    actions.expedited_quota = org.expedited_quota
    actions.expedited_left = max(0, org.expedited_quota - expedited_used_this_month(org))


def _withdraw_facts(version: Version, actions: NextActions) -> None:
    today, month = withdrawals_used(version.program)
    actions.withdraw = True
    actions.withdrawals_left_today = max(0, settings.WITHDRAWALS_PER_DAY - today)
    actions.withdrawals_left_month = max(0, settings.WITHDRAWALS_PER_MONTH - month)


def next_actions(version: Version, membership) -> NextActions:
    actions = NextActions()
    if not role_can(membership.role, Capability.WRITE_PROGRAMS):
        return actions
    status = version.status
    actions.rescan = (status == S.SCAN_FAILED and can_transition(status, S.UPLOADED)
                      and not package_must_be_rebuilt(version))
    if status == S.READY and can_transition(status, S.IN_REVIEW):
        _submit_facts(version, actions)
    if status == S.IN_REVIEW and can_transition(status, S.READY):
        _withdraw_facts(version, actions)
    actions.trial = status in TRIAL_STATUSES and version.program.trial_version_id != version.pk
    actions.release = status == S.APPROVED and can_transition(status, S.RELEASED)
    if actions.release:
        actions.hosts_dropped = _hosts_dropped(version)
        actions.phasable = version.program.versions.filter(status=S.RELEASED).exists()  # an update, not a first
    if status == S.PHASED:
        actions.raise_to = can_transition(status, S.RELEASED)
        actions.hosts_dropped = _hosts_dropped(version) if actions.raise_to else []
        actions.presets = [p for p in RAISE_PRESETS if p > (version.phased_percentage or 0)]
        actions.cancel = can_transition(status, S.APPROVED)
    return actions


def _hosts_dropped(version: Version) -> list[str]:
    """The hosts the live release reaches and this version would not: releasing it takes the program off them
    (their scenes and grants stop showing it), which the release button must say before, not after."""
    current = version.program.versions.filter(status=S.RELEASED).only("approved_hosts").first()
    if current is None:
        return []
    every_host = set(active_hosts().values_list("code", flat=True))
    reached = set(current.approved_hosts or every_host)
    kept = set(version.approved_hosts or every_host)
    return host_names(sorted(reached - kept))


# ---------------------------------------------------------------- where it is now


def _current_release(program: MiniProgram) -> Version | None:
    return program.versions.filter(status=S.RELEASED).only("version", "released_at").first()


def now_facts(version: Version) -> dict:
    """What the page header says about the version's present state besides its status."""
    facts: dict = {"is_trial": version.program.trial_version_id == version.pk,
                   "review_days": settings.REVIEW_WORKING_DAYS, "expedited_hours": settings.EXPEDITED_REVIEW_HOURS}
    if version.status == S.IN_REVIEW and version.review_due_at:
        facts["overdue"] = version.review_due_at < timezone.now()
    if version.status == S.PHASED:
        facts["current_release"] = _current_release(version.program)
    if version.status in {S.APPROVED, S.PHASED, S.RELEASED}:
        facts["covers"] = host_names(version.approved_hosts) if version.approved_hosts else []  # []: every host
    if version.status == S.SCAN_FAILED and package_must_be_rebuilt(version):
        facts["rebuild"] = REBUILD_PACKAGE  # said instead of "change the settings and scan again"
    if version.status == S.SUPERSEDED:
        facts["rollback_target"] = version.pk in {v.pk for v in rollback_targets(version.program)}
    return facts


def lifecycle_context(version: Version, membership) -> dict:
    return {"timeline": timeline(version), "actions": next_actions(version, membership), "facts": now_facts(version)}


# ---------------------------------------------------------------- the program page's Releases card


def releases_context(program: MiniProgram) -> dict:
    # One read for the three: the newest version in each state (a program has few in these states at once).
    newest: dict[str, Version] = {}
    for version in program.versions.filter(status__in=[S.RELEASED, S.PHASED, S.IN_REVIEW, S.APPROVED]).only(
            "version", "status", "released_at", "phased_percentage", "submitted_at", "review_due_at", "program_id"):
        newest.setdefault("pending" if version.status in (S.IN_REVIEW, S.APPROVED) else version.status, version)
    current = newest.get(S.RELEASED)
    return {
        "current": current,
        "phased": newest.get(S.PHASED),
        "pending": newest.get("pending"),
        "targets": rollback_targets(program) if current else [],
        "rollback_depth": settings.ROLLBACK_DEPTH,
    }
