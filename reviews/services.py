"""Writes for reviewers and developers: claims, decisions and the thread.

Approve and reject move the version through programs.lifecycle.version_transition;
asking for changes (not a status change) goes through programs.releases.version_set_awaiting_developer.
Every decision first locks the program row (as programs' own lifecycle actions do), then re-reads
the version: of two reviewers deciding at once, the second finds it decided and gets a Conflict
that says by whom.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console.exceptions import Conflict, WrongState
from console.models import User
from console.notify import NotificationEvent, notify, notify_staff
from console.roles import StaffGroup
from console.services import audit_record
from console.words import list_words
from hosts.models import Host
from hosts.selectors import host_names
from programs.lifecycle import version_transition
from programs.models import MiniProgram, Version
from programs.releases import review_due_at, version_set_awaiting_developer
from reviews.models import RejectionReason, ReviewClaim, ReviewDecision, ReviewMessage
from reviews.selectors import is_member, latest_decision, withdrawn_from_review

# What the developer's organisation sees in its audit log instead of a reviewer's email.
REVIEWER_LABEL = "Platform review"

S = Version.Status
Kind = ReviewDecision.Kind
MESSAGE_MAX_LENGTH = 4000


class ClaimLimitReached(ValidationError):
    """The reviewer already holds the most claims allowed."""


def claim_ttl() -> timedelta:
    return timedelta(minutes=settings.REVIEW_CLAIM_MINUTES)


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "H:i")


def _check_reviewer(reviewer: User, version: Version) -> None:
    if not reviewer.is_reviewer:
        raise PermissionDenied(_("Only reviewers can do this."))
    if is_member(reviewer, version.program.organisation_id):
        raise PermissionDenied(_("You are a member of %(org)s: another reviewer must review its versions.") % {
            "org": version.program.organisation.name})


def _held_by_other(claim: ReviewClaim) -> Conflict:
    return Conflict(_("%(who)s is reviewing this version (claimed until %(until)s).") % {
        "who": claim.reviewer.display_name, "until": _when(claim.expires_at)})


# ---------------------------------------------------------------- claims


@transaction.atomic
def review_claim(*, version: Version, reviewer: User) -> ReviewClaim:
    """Take (or extend) the lock on a version. Conflict if another reviewer holds it; ClaimLimitReached at the cap."""
    _check_reviewer(reviewer, version)
    # One reviewer's claims are taken one at a time, so two tabs cannot sneak past the cap.
    User.objects.select_for_update().filter(pk=reviewer.pk).first()
    now = timezone.now()
    state = Version.objects.filter(pk=version.pk).values("status", "awaiting_developer").first()
    if state is None or state["status"] != S.IN_REVIEW:
        raise WrongState(_("Only a version in review can be claimed."))
    if state["awaiting_developer"]:
        raise WrongState(_("This version waits for its developer's answer; claim it once they have answered."))
    claim = ReviewClaim.objects.select_related("reviewer").filter(version=version).first()
    if claim and claim.expires_at > now:
        if claim.reviewer_id != reviewer.pk:
            raise _held_by_other(claim)
        return _extend(claim, now)
    held = ReviewClaim.objects.filter(reviewer=reviewer, expires_at__gt=now).exclude(version=version).count()
    if held >= settings.REVIEW_MAX_CLAIMS:
        raise ClaimLimitReached(_("You already hold %(n)d claims: decide or release one first.") % {
            "n": settings.REVIEW_MAX_CLAIMS})
    claim = _take(version, reviewer, claim, now)
    audit_record(action="review.claim", target=version, actor=reviewer,
                 after={"reviewer": reviewer.email, "expires_at": claim.expires_at.isoformat()})
    return claim


def _take(version: Version, reviewer: User, expired: ReviewClaim | None, now: datetime) -> ReviewClaim:
    fields = {"reviewer": reviewer, "claimed_at": now, "expires_at": now + claim_ttl()}
    if expired is None:
        try:
            with transaction.atomic():
                return ReviewClaim.objects.create(version=version, **fields)
        except IntegrityError:
            raise Conflict(_("Another reviewer claimed this version a moment ago; reload to see who."))
    # Compare-and-swap on the lapsed lock: of two reviewers taking it over, one wins.
    taken = ReviewClaim.objects.filter(
        pk=expired.pk, reviewer_id=expired.reviewer_id, expires_at=expired.expires_at
    ).update(**fields)
    if not taken:
        raise Conflict(_("Another reviewer claimed this version a moment ago; reload to see who."))
    expired.reviewer, expired.claimed_at, expired.expires_at = reviewer, now, fields["expires_at"]
    return expired


def _extend(claim: ReviewClaim, now: datetime) -> ReviewClaim:
    claim.expires_at = now + claim_ttl()
    ReviewClaim.objects.filter(pk=claim.pk, reviewer_id=claim.reviewer_id).update(expires_at=claim.expires_at)
    return claim


def review_claim_refresh(*, version: Version, reviewer: User) -> ReviewClaim:
    """The review page's heartbeat: extend the reviewer's live claim, or take it again if it lapsed and is free."""
    now = timezone.now()
    expires = now + claim_ttl()
    if ReviewClaim.objects.filter(version=version, reviewer=reviewer, expires_at__gt=now).update(expires_at=expires):
        return ReviewClaim.objects.select_related("reviewer").get(version=version)
    return review_claim(version=version, reviewer=reviewer)


@transaction.atomic
def review_claim_release(*, version: Version, reviewer: User) -> bool:
    deleted, _counts = ReviewClaim.objects.filter(version=version, reviewer=reviewer).delete()
    if deleted:
        audit_record(action="review.release", target=version, actor=reviewer, before={"reviewer": reviewer.email})
    return bool(deleted)


def claims_delete_expired(*, now: datetime | None = None) -> int:
    """Housekeeping only: an expired claim already counts as free everywhere."""
    deleted, _counts = ReviewClaim.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


# ---------------------------------------------------------------- decisions


def _decided_message(version: Version) -> str:
    decision = latest_decision(version, since=version.submitted_at)
    if decision is not None:
        return _("%(who)s already decided this version (%(kind)s at %(when)s); reload to see it.") % {
            "who": decision.reviewer_label, "kind": decision.outcome_label.lower(),
            "when": _when(decision.created_at)}
    if withdrawn_from_review(version):
        return _("The developer withdrew this version from review; your decision was not saved.")
    return _("This version is no longer in review (it is “%(status)s”).") % {"status": version.get_status_display()}


def _lock_for_decision(version: Version, reviewer: User | None) -> Version:
    """Lock the program, re-read the version and check it can still take this decision from this reviewer."""
    MiniProgram.objects.select_for_update().filter(pk=version.program_id).first()
    fresh = Version.objects.select_related("program__organisation").get(pk=version.pk)
    if reviewer is not None:
        _check_reviewer(reviewer, fresh)
    if fresh.status != S.IN_REVIEW or fresh.awaiting_developer:
        # Waiting for the developer counts as decided: whoever acts on a stale page must not overrule it.
        raise Conflict(_decided_message(fresh))
    claim = ReviewClaim.objects.select_related("reviewer").filter(version=fresh).first()
    now = timezone.now()
    if claim and claim.expires_at > now and (reviewer is None or claim.reviewer_id != reviewer.pk):
        raise _held_by_other(claim)
    return fresh


def _valid_hosts(codes) -> list[str]:
    codes = sorted(set(codes or []))
    known = set(Host.objects.filter(code__in=codes, active=True).values_list("code", flat=True))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError({"hosts": _("Unknown host platforms: %(codes)s.") % {"codes": ", ".join(unknown)}})
    return codes


def _valid_reasons(codes, *, required: bool) -> list[RejectionReason]:
    codes = list(dict.fromkeys(codes or []))
    reasons = list(RejectionReason.objects.filter(code__in=codes, active=True))
    unknown = sorted(set(codes) - {r.code for r in reasons})
    if unknown:
        raise ValidationError({"reasons": _("Unknown rejection reasons: %(codes)s.") % {"codes": ", ".join(unknown)}})
    if required and not reasons:
        raise ValidationError({"reasons": _("Choose at least one reason.")})
    return reasons


def _record(version, reviewer, kind, *, text="", reasons=(), hosts=(), automatic=False, dry_run=False,
            policy_reasons=()) -> ReviewDecision:
    decision = ReviewDecision.objects.create(
        version=version, reviewer=reviewer, kind=kind, text=text, hosts=list(hosts), automatic=automatic,
        dry_run=dry_run, policy_reasons=list(policy_reasons),
    )
    decision.reasons.set(reasons)
    return decision


def _finish(version: Version, decision: ReviewDecision, reviewer: User | None) -> ReviewDecision:
    """After a decision: drop the claim, put what the reviewer wrote in the thread, tell the organisation."""
    ReviewClaim.objects.filter(version=version).delete()
    if reviewer is not None and (decision.text or decision.kind != Kind.APPROVE):
        ReviewMessage.objects.create(version=version, author=reviewer, from_reviewer=True, body=decision.text,
                                     decision=decision)
    _notify_decided(version, decision, reviewer)
    return decision


@transaction.atomic
def review_approve(
    *, version: Version, reviewer: User | None, hosts: list[str] | None = None, text: str = "",
    automatic: bool = False, policy_reasons: list | None = None,
) -> ReviewDecision:
    """Approve for every host platform (no `hosts`) or only for the hosts named. reviewer=None: the policy."""
    hosts = _valid_hosts(hosts)
    version = _lock_for_decision(version, reviewer)
    version_transition(version, to=S.APPROVED, actor=reviewer, action="approve",
                       actor_label=REVIEWER_LABEL if reviewer else None,
                       changes={"approved_hosts": hosts, "awaiting_developer": False},
                       note={"hosts": hosts, "automatic": automatic})
    decision = _record(version, reviewer, Kind.APPROVE, text=text.strip(), hosts=hosts, automatic=automatic,
                       policy_reasons=policy_reasons or [])
    return _finish(version, decision, reviewer)


@transaction.atomic
def review_reject(*, version: Version, reviewer: User, reasons: list[str], text: str = "") -> ReviewDecision:
    """Reject with at least one canned reason (codes of RejectionReason) and optional free text."""
    chosen = _valid_reasons(reasons, required=True)
    version = _lock_for_decision(version, reviewer)
    codes = [r.code for r in chosen]
    version_transition(version, to=S.REJECTED, actor=reviewer, action="reject", actor_label=REVIEWER_LABEL,
                       changes={"awaiting_developer": False}, note={"reasons": codes})
    decision = _record(version, reviewer, Kind.REJECT, text=text.strip(), reasons=chosen)
    return _finish(version, decision, reviewer)


@transaction.atomic
def review_request_changes(
    *, version: Version, reviewer: User, text: str, reasons: list[str] | None = None
) -> ReviewDecision:
    """Ask the developer for changes: the version stays in review, out of the queue until they answer."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Tell the developer what to change.")})
    chosen = _valid_reasons(reasons, required=False)
    version = _lock_for_decision(version, reviewer)
    version_set_awaiting_developer(version=version, awaiting=True, actor=reviewer, actor_label=REVIEWER_LABEL)
    decision = _record(version, reviewer, Kind.REQUEST_CHANGES, text=text, reasons=chosen)
    return _finish(version, decision, reviewer)


def review_decide(
    *, version: Version, reviewer: User, decision: str, reasons: list[str] | None = None, text: str = "",
    hosts: list[str] | None = None,
) -> ReviewDecision:
    """One entry point for the page and the API: dispatch to the decision named `decision`."""
    if decision == Kind.APPROVE:
        return review_approve(version=version, reviewer=reviewer, hosts=hosts, text=text)
    if decision == Kind.REJECT:
        return review_reject(version=version, reviewer=reviewer, reasons=reasons or [], text=text)
    if decision == Kind.REQUEST_CHANGES:
        return review_request_changes(version=version, reviewer=reviewer, text=text, reasons=reasons)
    raise ValidationError({"decision": _("Choose approve, reject or request_changes.")})


@transaction.atomic
def review_record_dry_run(*, version: Version, policy_reasons: list) -> ReviewDecision:
    """What the auto-approval policy would have done: recorded, nothing else happens."""
    return _record(version, None, Kind.APPROVE, automatic=True, dry_run=True, policy_reasons=policy_reasons)


# ---------------------------------------------------------------- the thread


def _resumed_due(version: Version, now: datetime) -> datetime:
    """The due date once the developer answers: the review clock stopped while they worked.

    It resumes with the time that was left when changes were requested (none left: due now).
    """
    asked = (ReviewDecision.objects.filter(version=version, kind=Kind.REQUEST_CHANGES, dry_run=False)
             .order_by("-created_at").first())
    if asked is None or version.review_due_at is None:
        return review_due_at(now, expedited=version.expedited)
    return now + max(version.review_due_at - asked.created_at, timedelta(0))


def _back_in_queue(version: Version, author: User) -> None:
    version.refresh_from_db(fields=["status", "awaiting_developer", "review_due_at"])
    if version.status != S.IN_REVIEW or not version.awaiting_developer:
        return
    try:
        with transaction.atomic():
            version_set_awaiting_developer(version=version, awaiting=False, actor=author,
                                           review_due_at=_resumed_due(version, timezone.now()))
    except Conflict:
        pass  # another answer put it back a moment ago


def _same_message_just_posted(version: Version, author: User, body: str) -> ReviewMessage | None:
    """The message this author posted on this version with this very body in the dedupe window, if any."""
    since = timezone.now() - timedelta(seconds=settings.REVIEW_MESSAGE_DEDUPE_SECONDS)
    return (ReviewMessage.objects.filter(version=version, author=author, body=body, created_at__gte=since)
            .order_by("created_at").first())


@transaction.atomic
def review_message_post(*, version: Version, author: User, body: str) -> ReviewMessage:
    """Post to a version's thread, from either side.

    An organisation member writes as the developer: their answer to a request for changes puts
    the version back in the queue. Anyone else must be a reviewer. The same body from the same
    author on the same version within REVIEW_MESSAGE_DEDUPE_SECONDS is a double click or a retry:
    it is not stored or announced again, the message already posted is returned.
    """
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ValidationError({"body": _("Keep it under %(n)d characters.") % {"n": MESSAGE_MAX_LENGTH}})
    if version.submitted_at is None:
        raise WrongState(_("This version was never submitted for review."))
    from_reviewer = not is_member(author, version.program.organisation_id)
    if from_reviewer:
        _check_reviewer(author, version)
    # Lock the program row first (the lock order of decisions and lifecycle actions), so that a
    # double click's second post waits for the first and then finds it.
    MiniProgram.objects.select_for_update().filter(pk=version.program_id).first()
    repeated = _same_message_just_posted(version, author, body)
    if repeated is not None:
        return repeated
    message = ReviewMessage.objects.create(version=version, author=author, from_reviewer=from_reviewer, body=body)
    if not from_reviewer:
        _back_in_queue(version, author)
    _notify_message(version, message)
    return message


# ---------------------------------------------------------------- notifications


def version_page_path(version: Version) -> str:
    program = version.program
    return reverse("version_detail", args=[program.organisation.slug, program.appid, version.version])


DECIDED_TITLES = {
    Kind.APPROVE: gettext_lazy("{name} {version} was approved"),
    Kind.REJECT: gettext_lazy("{name} {version} was rejected"),
    Kind.REQUEST_CHANGES: gettext_lazy("A reviewer asked for changes to {name} {version}"),
}


def _reasons_line(reasons: list[RejectionReason]) -> str:
    """“Reasons:” and one line per reason with what to do about it (the email was the titles alone), in the
    language active when rendered (each recipient's own)."""
    if not reasons:
        return ""
    lines = [f"- {r.display_title}: {r.display_description}" if r.display_description else f"- {r.display_title}"
             for r in reasons]
    return "\n".join([_("Reasons:"), *lines])


def _hosts_line(codes: list[str]) -> str:
    """Which host platforms an approval covers, by name in the language active when rendered: an approval
    limited to some hosts read like one for all of them."""
    if not codes:
        return _("Approved for every host platform.")
    return _("Approved only for these host platforms: %(hosts)s.") % {"hosts": list_words(host_names(codes))}


def _decided_body(decision: ReviewDecision, reasons: list[RejectionReason]):
    if decision.kind == Kind.APPROVE:
        said = gettext_lazy("Approved automatically: a low-risk update.") if decision.automatic else decision.text
        return format_lazy("{}{}{}", lazy(_hosts_line, str)(decision.hosts), "\n\n" if said else "", said)
    return format_lazy("{}{}{}", lazy(_reasons_line, str)(reasons), "\n\n" if reasons and decision.text else "",
                       decision.text)


def _notify_decided(version: Version, decision: ReviewDecision, reviewer: User | None) -> None:
    program = version.program
    chosen = list(decision.reasons.all())
    reasons = [r.code for r in chosen]
    body = _decided_body(decision, chosen)
    notify(
        organisation=program.organisation, event=NotificationEvent.REVIEW_DECIDED,
        title=format_lazy(DECIDED_TITLES[decision.kind], name=program.name, version=version.version),
        body=body, url=version_page_path(version), actor=reviewer,
        payload={"appid": program.appid, "version": version.version, "decision": decision.kind,
                 "status": version.status, "reasons": reasons, "hosts": decision.hosts,
                 "automatic": decision.automatic, "text": decision.text},
    )


def _notify_message(version: Version, message: ReviewMessage) -> None:
    program = version.program
    payload = {"appid": program.appid, "version": version.version, "message_id": message.pk,
               "from_reviewer": message.from_reviewer}
    if message.from_reviewer:
        notify(organisation=program.organisation, event=NotificationEvent.REVIEW_MESSAGE,
               title=format_lazy(gettext_lazy("A reviewer wrote about {name} {version}"),
                                 name=program.name, version=version.version),
               body=message.body, url=version_page_path(version), payload={**payload, "body": message.body},
               actor=message.author)
    else:
        notify_staff(group=StaffGroup.REVIEWERS, event=NotificationEvent.REVIEW_MESSAGE,
                     title=format_lazy(gettext_lazy("The developer of {name} {version} answered"),
                                       name=program.name, version=version.version),
                     body=message.body, url=reverse("review_detail", args=[version.pk]), payload=payload,
                     organisation=program.organisation, actor=message.author)
