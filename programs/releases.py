"""The developer's lifecycle actions after a scan: submit, withdraw, trial, release, rollback.

Each action checks the SPEC §3 rules, then moves the version through
programs.lifecycle.version_transition (the one path that changes a status).
The program row is locked first so that two actions on one program serialise.

A refusal because of where the version or program stands is a WrongState (LimitReached for a used-up
quota), which the API answers 409; input a caller can fix (a percentage, a tester's email) stays a
ValidationError on its field, 400. A percentage not above the phase's current one is input: the same
call with a higher number succeeds, nothing about the version has to change first.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from console.exceptions import LimitReached, WrongState
from console.models import AuditEvent, Organisation
from console.services import audit_record
from programs.invalidation import programs_changed
from programs.lifecycle import TransitionConflict, version_transition
from programs.models import MiniProgram, TrialTester, Version, Withdrawal
from programs.notifications import notify_release_changed
from programs.services import missing_qualifications

S = Version.Status
IN_FLIGHT = (S.IN_REVIEW, S.APPROVED, S.PHASED)
TRIAL_STATUSES = (S.READY, S.IN_REVIEW, S.APPROVED, S.REJECTED)


def _lock_program(version: Version) -> Version:
    """Lock the program, then reload the version (its status may have moved while we waited)."""
    MiniProgram.objects.select_for_update().filter(pk=version.program_id).first()
    fresh = Version.objects.select_related("program__organisation").get(pk=version.pk)
    return fresh


def add_working_days(start: datetime, days: int) -> datetime:
    """`start` plus `days` working days (Monday–Friday), keeping the time of day.

    The weekdays are the platform's (TIME_ZONE), not UTC's: 00:16 on a Wednesday in Shanghai is still
    Tuesday in UTC, and counting from Tuesday made the review due on Saturday.
    """
    moment = start.astimezone(ZoneInfo(settings.TIME_ZONE)) if timezone.is_aware(start) else start
    while days > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def review_due_at(submitted: datetime, *, expedited: bool) -> datetime:
    if expedited:
        return submitted + timedelta(hours=settings.EXPEDITED_REVIEW_HOURS)
    return add_working_days(submitted, settings.REVIEW_WORKING_DAYS)


def _month_start(now: datetime) -> datetime:
    return timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def expedited_used_this_month(org, *, now: datetime | None = None) -> int:
    """Expedited submissions this month, counted from the submissions themselves (their audit events): a
    version's flag is cleared when it is withdrawn and rewritten when it is submitted again, so counting
    flags let withdraw-and-resubmit expedite without end. A withdrawn expedited review stays used."""
    now = now or timezone.now()
    return AuditEvent.objects.filter(
        organisation=org, action="version.submit", after__expedited=True, created_at__gte=_month_start(now)
    ).count()


def missing_for_review(program: MiniProgram) -> list[str]:
    """What reviewers need from the program page that it does not give yet; asked before submission."""
    return [str(label) for _field, label in _missing_details(program)]


def _missing_for_submission(program: MiniProgram) -> list[str]:
    """Everything the program lacks before a review, each as a sentence, so that one refusal names it all: a
    developer fixed the description, submitted, then heard of the privacy policy URL, then of a licence."""
    sentences = []
    details = _missing_details(program)
    if details:
        sentences.append(ngettext(
            "Reviewers need the program's %(missing)s: fill it in on the program's edit page (through the API: "
            "the program's %(fields)s).",
            "Reviewers need the program's %(missing)s: fill them in on the program's edit page (through the API: "
            "the program's %(fields)s).", len(details)) % {
            "missing": _(" and ").join(str(label) for _field, label in details),
            "fields": ", ".join(f"`{field}`" for field, _label in details)})
    categories = missing_qualifications(program)
    if categories:
        sentences.append(_("Upload the qualification documents for: %(names)s.") % {
            "names": ", ".join(f"{c.display_name} ({c.code})" for c in categories)})
    return sentences


def _missing_details(program: MiniProgram) -> list[tuple[str, str]]:
    """(API field, its label in quotes) of each program detail reviewers need and the program does not give yet.

    The label is the field's own (the program form's label, "Description"): "a description of the mini-program"
    was translated 简介, which on the form is the slogan."""
    missing = []
    if not (program.description or "").strip():
        missing.append("description")
    if not program.privacy_policy_url:
        missing.append("privacy_policy_url")
    return [(name, f"“{capfirst(MiniProgram._meta.get_field(name).verbose_name)}”") for name in missing]


def _check_can_submit(version: Version, expedited: bool) -> None:
    if version.status != S.READY:
        raise WrongState(_("Only a development version (ready, after a clean scan) can be submitted for "
                                "review; this one is “%(status)s”.") % {"status": version.get_status_display()})
    program = version.program
    busy = program.versions.filter(status__in=IN_FLIGHT).exclude(pk=version.pk).first()
    if busy is not None:
        raise WrongState(_("Version %(version)s of this program is already in review, approved or being released "
                           "(“%(status)s”); finish or withdraw it first.") % {
            "version": busy.version, "status": busy.get_status_display()})
    missing = _missing_for_submission(program)
    if missing:
        raise WrongState(" ".join(missing))
    org = program.organisation
    if expedited:
        # The program's lock serialises its own submissions only; two programs' expedited submissions would
        # both count the month's last free place. The organisation's row is their common lock.
        Organisation.objects.select_for_update().filter(pk=org.pk).first()
    if expedited and expedited_used_this_month(org) >= org.expedited_quota:
        raise LimitReached(_("This month's %(n)d expedited reviews are used up.") % {"n": org.expedited_quota})


def _metadata(program: MiniProgram) -> dict:
    """What reviewers compare between releases besides the package: categories, domains, privacy declaration."""
    return {"categories": sorted(program.categories.values_list("code", flat=True)), "domains": program.domains(),
            "privacy": dict(program.privacy_items.values_list("kind", "purpose"))}


@transaction.atomic
def version_submit(
    *, version: Version, actor, notes: str = "", test_account: str = "", expedited: bool = False, api_key=None
) -> Version:
    version = _lock_program(version)
    _check_can_submit(version, expedited)
    now = timezone.now()
    changes = {
        "submitted_at": now, "submit_notes": notes.strip(), "test_account": test_account.strip(),
        "expedited": expedited, "review_due_at": review_due_at(now, expedited=expedited),
        "awaiting_developer": False, "approved_hosts": [], "submitted_metadata": _metadata(version.program),
    }
    return version_transition(version, to=S.IN_REVIEW, actor=actor, api_key=api_key, action="submit",
                              changes=changes, note={"expedited": expedited})


def withdrawals_used(program: MiniProgram, *, now: datetime | None = None) -> tuple[int, int]:
    """How many submissions of `program` were withdrawn (today, this month), local time."""
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    recent = program.withdrawals
    return recent.filter(created_at__gte=today).count(), recent.filter(created_at__gte=_month_start(now)).count()


def _check_withdrawal_limits(program: MiniProgram) -> None:
    today, month = withdrawals_used(program)
    if today >= settings.WITHDRAWALS_PER_DAY:
        raise LimitReached(_("You can withdraw at most %(n)d submissions a day.") % {
            "n": settings.WITHDRAWALS_PER_DAY})
    if month >= settings.WITHDRAWALS_PER_MONTH:
        raise LimitReached(_("You can withdraw at most %(n)d submissions a month.") % {
            "n": settings.WITHDRAWALS_PER_MONTH})


@transaction.atomic
def version_withdraw(*, version: Version, actor, api_key=None) -> Version:
    version = _lock_program(version)
    if version.status != S.IN_REVIEW:
        raise WrongState(_("Only a version in review can be withdrawn."))
    _check_withdrawal_limits(version.program)
    Withdrawal.objects.create(program=version.program, version=version, actor=actor)
    changes = {"review_due_at": None, "awaiting_developer": False, "expedited": False}
    return version_transition(version, to=S.READY, actor=actor, api_key=api_key, action="withdraw", changes=changes)


# ---------------------------------------------------------------- trial versions


@transaction.atomic
def version_set_trial(*, version: Version, actor, api_key=None) -> Version:
    version = _lock_program(version)
    if version.status not in TRIAL_STATUSES:
        raise WrongState(_("Only a development version (ready, in review, approved or rejected) can be the "
                                "trial version."))
    program = version.program
    before = {"trial_version": program.trial_version.version if program.trial_version_id else None}
    MiniProgram.objects.filter(pk=program.pk).update(trial_version=version)
    audit_record(action="program.trial_version", target=program, actor=actor, api_key=api_key,
                 organisation=program.organisation, before=before, after={"trial_version": version.version})
    program.trial_version = version  # the answer said `is_trial: false` of the version it had just made the trial
    return version


@transaction.atomic
def tester_add(*, program: MiniProgram, actor, email: str, api_key=None) -> TrialTester:
    email = email.strip().lower()
    try:
        with transaction.atomic():
            tester = TrialTester.objects.create(program=program, email=email, added_by=actor)
    except IntegrityError:
        raise ValidationError({"email": _("%(email)s is already a tester.") % {"email": email}})
    audit_record(action="program.tester_add", target=program, actor=actor, api_key=api_key,
                 organisation=program.organisation, after={"email": email})
    return tester


@transaction.atomic
def tester_remove(*, tester: TrialTester, actor, api_key=None) -> None:
    program = tester.program
    audit_record(action="program.tester_remove", target=program, actor=actor, api_key=api_key,
                 organisation=program.organisation, before={"email": tester.email})
    tester.delete()


def trial_link(program: MiniProgram) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("trial_open", args=[program.appid])


# ---------------------------------------------------------------- releases


def _current_release(program: MiniProgram) -> Version | None:
    return program.versions.filter(status=S.RELEASED).first()


def _release_fully(version: Version, actor, api_key) -> Version:
    previous = _current_release(version.program)
    if previous and previous.pk != version.pk:
        version_transition(previous, to=S.SUPERSEDED, actor=actor, api_key=api_key, action="supersede",
                           note={"by": version.version})
    changes = {"released_at": timezone.now(), "phased_percentage": None}
    version = version_transition(version, to=S.RELEASED, actor=actor, api_key=api_key, action="release",
                                 changes=changes, note={"percentage": 100})
    notify_release_changed(version, change="release", actor=actor, api_key=api_key)
    return version


def _check_percentage(percentage: int | None) -> int:
    if percentage is None:
        return 100
    if type(percentage) is not int or not 1 <= percentage <= 100:  # bool is an int subclass: refuse True
        raise ValidationError({"percentage": _("Give a whole percentage from 1 to 100.")})
    return percentage


@transaction.atomic
def version_release(*, version: Version, actor, percentage: int | None = None, api_key=None) -> Version:
    """Release an approved version to everyone, or to `percentage` % of users (phased)."""
    version = _lock_program(version)
    percentage = _check_percentage(percentage)
    if version.status == S.PHASED:
        return _raise_phase(version, actor, percentage, api_key)
    if version.status != S.APPROVED:
        raise WrongState(_("Only an approved version can be released."))
    if percentage == 100:
        return _release_fully(version, actor, api_key)
    if not version.program.versions.filter(status=S.RELEASED).exists():
        raise WrongState(_("A first release goes to every user: with no version released yet, the users outside "
                           "the phase would get no mini-program at all. A phased release is for updates."))
    changes = {"phased_percentage": percentage, "released_at": timezone.now()}
    version = version_transition(version, to=S.PHASED, actor=actor, api_key=api_key, action="release_phased",
                                 changes=changes, note={"percentage": percentage})
    notify_release_changed(version, change="release_phased", actor=actor, api_key=api_key)
    return version


def _raise_phase(version: Version, actor, percentage: int, api_key) -> Version:
    if percentage <= version.phased_percentage:
        raise ValidationError({"percentage": _("A phased release can only go up: it is at %(p)d%%.") % {
            "p": version.phased_percentage}})
    if percentage == 100:
        return _release_fully(version, actor, api_key)
    before = version.phased_percentage
    Version.objects.filter(pk=version.pk, status=S.PHASED).update(phased_percentage=percentage)
    version.phased_percentage = percentage
    programs_changed()
    audit_record(action="version.release_raise", target=version, actor=actor, api_key=api_key,
                 organisation=version.program.organisation, before={"percentage": before},
                 after={"percentage": percentage})
    notify_release_changed(version, change="release_raise", actor=actor, api_key=api_key)
    return version


@transaction.atomic
def version_cancel_phase(*, version: Version, actor, api_key=None) -> Version:
    version = _lock_program(version)
    if version.status != S.PHASED:
        raise WrongState(_("Only a phased release can be cancelled."))
    version = version_transition(version, to=S.APPROVED, actor=actor, api_key=api_key, action="release_cancel",
                                 changes={"phased_percentage": None, "released_at": None},
                                 note={"percentage_was": version.phased_percentage})
    notify_release_changed(version, change="release_cancel", actor=actor, api_key=api_key)
    return version


def rollback_targets(program: MiniProgram) -> list[Version]:
    """The versions a rollback may go to: the last ROLLBACK_DEPTH releases before the current one."""
    return list(program.versions.filter(status=S.SUPERSEDED, released_at__isnull=False)
                .order_by("-released_at")[: settings.ROLLBACK_DEPTH])


def _rollback_refusal(target: Version, current: Version) -> str:
    """Why `target` is not a rollback target, in the words of its own case (SPEC §3)."""
    if target.pk == current.pk:
        return _("%(v)s is already live.") % {"v": target.version}
    if target.status == S.ROLLED_BACK:
        return _("%(v)s was rolled back; a rolled-back version cannot be a rollback target.") % {"v": target.version}
    return _("Roll back only to one of the last %(n)d released versions.") % {"n": settings.ROLLBACK_DEPTH}


@transaction.atomic
def program_rollback(*, program: MiniProgram, target: Version, actor, api_key=None) -> Version:
    MiniProgram.objects.select_for_update().filter(pk=program.pk).first()
    if program.versions.filter(status=S.PHASED).exists():
        raise WrongState(_("Finish or cancel the phased release before rolling back."))
    current = _current_release(program)
    if current is None:
        raise WrongState(_("Nothing is released, so there is nothing to roll back."))
    target = Version.objects.select_related("program__organisation").get(pk=target.pk)
    if target.pk not in {v.pk for v in rollback_targets(program)}:
        raise WrongState(_rollback_refusal(target, current))
    version_transition(current, to=S.ROLLED_BACK, actor=actor, api_key=api_key, action="rollback_from",
                       note={"to": target.version})
    target = version_transition(target, to=S.RELEASED, actor=actor, api_key=api_key, action="rollback_to",
                                changes={"released_at": timezone.now()}, note={"from": current.version})
    notify_release_changed(target, change="rollback", actor=actor, api_key=api_key)
    return target


# ---------------------------------------------------------------- development versions


@transaction.atomic
def prune_development_versions(*, program: MiniProgram) -> list[str]:
    """Keep at most DEVELOPMENT_VERSIONS_KEPT ready versions; the oldest go (never the trial version)."""
    # The trial version as it is now, under the program lock: the caller's `program` may be stale (a scan
    # loads it when it starts, and the trial version can change while it runs).
    trial_id = (MiniProgram.objects.select_for_update().filter(pk=program.pk)
                .values_list("trial_version_id", flat=True).first())
    ready = program.versions.filter(status=S.READY).exclude(pk=trial_id).order_by("-created_at")
    doomed = list(ready[settings.DEVELOPMENT_VERSIONS_KEPT:])
    for version in doomed:
        audit_record(action="version.prune", target=version, organisation=program.organisation,
                     before={"version": version.version, "status": version.status})
        version.package.delete(save=False)
        version.delete()
    return [v.version for v in doomed]


def rollout_bucket(appid: str, host_user_id: str) -> int:
    """0–99, stable for a user and program: a phased release at p % reaches the users whose bucket < p."""
    import hashlib

    digest = hashlib.sha256(f"{appid}:{host_user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


# ---------------------------------------------------------------- waiting for the developer (not a status change)


@transaction.atomic
def version_set_awaiting_developer(
    *, version: Version, awaiting: bool, actor=None, review_due_at: datetime | None = None,
    actor_label: str | None = None,
) -> Version:
    """Mark an in-review version as waiting for its developer (changes were requested), or put it back
    in the review queue (the developer answered). Compare-and-swap on the flag: of two actors flipping
    it at once, one wins and the other gets TransitionConflict. `review_due_at`, when given, resets
    the due date."""
    changes: dict = {"awaiting_developer": awaiting}
    if review_due_at is not None:
        changes["review_due_at"] = review_due_at
    before = {"awaiting_developer": not awaiting, "review_due_at": version.review_due_at}
    updated = Version.objects.filter(pk=version.pk, status=S.IN_REVIEW, awaiting_developer=not awaiting).update(
        **changes)
    if not updated:
        raise TransitionConflict(_("This version was changed by someone else a moment ago; reload to see it."))
    for name, value in changes.items():
        setattr(version, name, value)
    audit_record(
        action="version.awaiting_developer" if awaiting else "version.developer_answered", target=version,
        actor=actor, actor_label=actor_label, organisation=version.program.organisation,
        before={k: v.isoformat() if isinstance(v, datetime) else v for k, v in before.items()},
        after={k: v.isoformat() if isinstance(v, datetime) else v for k, v in changes.items()},
    )
    return version
