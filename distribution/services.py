"""Writes of the distribution app: requests, decisions, grants, revocation, expiry, renewal, placements.

Every status change goes through distribution.lifecycle (compare-and-swap + audit in the same
transaction); every change to what hosts see calls `distribution_changed()` so that the share gate
and the placements API drop their caches once the transaction commits. The eligibility rule is
distribution.eligibility's, checked at submission and again at decision time.
"""

import os
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from console.exceptions import Conflict
from console.models import ApiKey, Membership, User
from console.services import audit_record
from distribution import notifications
from distribution.eligibility import Refusal, State, program_facts, scene_refusal, scene_state
from distribution.invalidation import distribution_changed
from distribution.lifecycle import OPERATOR_LABEL, Action, grant_transition, request_transition
from distribution.models import (
    CAP_MAX,
    WINDOW_MAX_SECONDS,
    DistributionRejectionReason,
    EvidenceFile,
    Grant,
    Placement,
    WhitelistRequest,
)
from distribution.placements import clean_placements
from hosts.models import Scene
from programs.models import MiniProgram
from programs.services import _qualification_extension as evidence_extension

R = WhitelistRequest.Status
G = Grant.Status
JUSTIFICATION_MAX = 2000


class NotEligible(ValidationError):
    """The scene's rule refuses the program; `refusal.code` says why (a stable code for the API)."""

    def __init__(self, refusal: Refusal):
        super().__init__({"scene": refusal.message}, code=refusal.code)
        self.refusal = refusal


def _check_eligible(program: MiniProgram, scene: Scene) -> None:
    refusal = scene_refusal(scene, program_facts(program))
    if refusal is not None:
        raise NotEligible(refusal)


# ---------------------------------------------------------------- the developer's side


def _clean_justification(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"justification": _("Say why the program belongs in this scene.")})
    if len(text) > JUSTIFICATION_MAX:
        raise ValidationError({"justification": _("Keep it under %(n)d characters.") % {"n": JUSTIFICATION_MAX}})
    return text


def _check_evidence(scene: Scene, files: list) -> list[str]:
    """Each file's extension from its magic bytes (PDF, PNG, JPEG); refuses too many, too large or none needed."""
    if scene.evidence_required and not files:
        raise ValidationError({"evidence": _("This scene needs evidence files (licences, agreements …).")})
    if len(files) > settings.DISTRIBUTION_EVIDENCE_MAX_FILES:
        raise ValidationError({"evidence": _("Attach at most %(n)d files.") % {
            "n": settings.DISTRIBUTION_EVIDENCE_MAX_FILES}})
    extensions = []
    for upload in files:
        if upload.size > settings.DISTRIBUTION_EVIDENCE_MAX_BYTES:
            raise ValidationError({"evidence": _("%(name)s is larger than %(mb)d MB.") % {
                "name": upload.name, "mb": settings.DISTRIBUTION_EVIDENCE_MAX_BYTES // (1024 * 1024)}})
        try:
            extensions.append(evidence_extension(upload.read(8)))
        except ValidationError:
            raise ValidationError({"evidence": _("%(name)s is not a PDF, PNG or JPEG file.") % {"name": upload.name}})
        upload.seek(0)
    return extensions


def _renewal_target(program: MiniProgram, scene: Scene) -> Grant | None:
    """The grant a new request carries over (expiring or expired), or a refusal when the program holds one."""
    requests = list(program.whitelist_requests.filter(scene=scene).order_by("-created_at"))
    grants = list(program.grants.filter(scene=scene).order_by("-created_at"))
    row = scene_state(scene, program_facts(program), requests=requests, grants=grants, now=timezone.now())
    if row.state == State.REQUESTED or row.renewal_pending:
        raise _already_waiting(program, scene)
    if row.state == State.GRANTED:
        raise ValidationError({"scene": _("The program is granted this scene until %(date)s; renew it in the last "
                                          "%(days)d days.") % {"date": f"{timezone.localdate(row.grant.valid_until):%Y-%m-%d}",
                                                               "days": settings.DISTRIBUTION_EXPIRY_NOTICE_DAYS}})
    return row.grant if row.state in (State.EXPIRING, State.EXPIRED) else None


def _already_waiting(program: MiniProgram, scene: Scene) -> Conflict:
    """The refusal of a second request, naming the one waiting (a CI job retrying a request that went through
    can read it: GET …/whitelist-requests/<id>/)."""
    pending = program.whitelist_requests.filter(scene=scene, status=R.PENDING).order_by("-created_at").first()
    if pending is None:
        return Conflict(_("A request for this scene is already waiting for an operator."))
    return Conflict(_("A request for this scene is already waiting for an operator: request %(id)d, made "
                      "%(when)s.") % {"id": pending.pk,
                                      "when": f"{timezone.localtime(pending.created_at):%Y-%m-%d %H:%M}"})


@transaction.atomic
def whitelist_request_create(
    *, program: MiniProgram, scene: Scene, actor: User, justification: str, evidence: list | None = None,
    api_key: ApiKey | None = None,
) -> WhitelistRequest:
    """Ask for a whitelist scene. One open request per program × scene; an expiring grant is renewed."""
    justification = _clean_justification(justification)
    if not scene.needs_whitelist:
        raise ValidationError({"scene": _("This scene is open to every eligible program: nothing to request.")})
    # Requests for one program are made one at a time: a double click finds the first one pending.
    MiniProgram.objects.select_for_update().filter(pk=program.pk).first()
    _check_eligible(program, scene)
    renewal_of = _renewal_target(program, scene)
    files = list(evidence or [])
    extensions = _check_evidence(scene, files)
    try:
        with transaction.atomic():
            request = WhitelistRequest.objects.create(program=program, scene=scene, justification=justification,
                                                      renewal_of=renewal_of, requested_by=actor)
    except IntegrityError:
        raise _already_waiting(program, scene)
    for upload, ext in zip(files, extensions):
        _save_evidence(request, upload, ext)
    audit_record(action=Action.REQUEST, target=request, actor=actor, api_key=api_key,
                 organisation=program.organisation,
                 after={"status": R.PENDING, "scene": scene.code, "renewal_of": renewal_of.pk if renewal_of else None,
                        "evidence": [f.name for f in files]})
    return request


def _save_evidence(request: WhitelistRequest, upload, ext: str) -> EvidenceFile:
    evidence = EvidenceFile(request=request, original_name=os.path.basename(upload.name)[:200],
                            content_type={"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}[ext],
                            size=upload.size)
    evidence.file.save(f"{secrets.token_hex(8)}.{ext}", upload, save=False)
    evidence.save()
    return evidence


@transaction.atomic
def whitelist_request_withdraw(*, request: WhitelistRequest, actor: User, api_key: ApiKey | None = None
                               ) -> WhitelistRequest:
    return request_transition(request, to=R.WITHDRAWN, actor=actor, api_key=api_key, action=Action.WITHDRAW)


# ---------------------------------------------------------------- operators


def operator_may_work(user: User, scene: Scene) -> bool:
    """Platform operators work the queues of the hosts they are assigned to (superusers: every host)."""
    if not user.is_platform_operator:
        return False
    return user.is_superuser or scene.host.operators.filter(pk=user.pk).exists()


def decision_blocker(operator: User, scene: Scene, program: MiniProgram) -> str:
    """Why this operator may not decide, revoke or place this program in this scene; "" if they may.
    The services refuse with it, and the pages show it instead of the forms."""
    if not operator_may_work(operator, scene):
        return _("Only the operators of %(host)s can decide its scenes.") % {"host": scene.host.display_name}
    if Membership.objects.filter(user=operator, organisation_id=program.organisation_id).exists():
        return _("You are a member of %(org)s: another operator must decide its requests.") % {
            "org": program.organisation.name}
    return ""


def _check_operator(operator: User, scene: Scene, program: MiniProgram) -> None:
    blocker = decision_blocker(operator, scene, program)
    if blocker:
        raise PermissionDenied(blocker)


def _check_valid_until(scene: Scene, valid_until: datetime, now: datetime) -> datetime:
    if valid_until <= now:
        raise ValidationError({"valid_until": _("Choose an end in the future.")})
    longest = timezone.localdate(now) + timedelta(days=scene.max_grant_days)
    if timezone.localdate(valid_until) > longest:
        raise ValidationError({"valid_until": _("A grant in this scene lasts at most %(n)d days (until %(date)s).") % {
            "n": scene.max_grant_days, "date": longest.isoformat()}})
    return valid_until


CAP_RANGES = {"share_cap": (0, CAP_MAX), "share_window_seconds": (1, WINDOW_MAX_SECONDS), "daily_cap": (1, CAP_MAX)}


def _clean_caps(scene: Scene, caps: dict) -> dict:
    rollout = caps.get("rollout_percent")
    rollout = scene.default_rollout_percent if rollout is None else rollout
    if not 1 <= rollout <= 100:
        raise ValidationError({"rollout_percent": _("Choose a rollout between 1 and 100 %.")})
    cleaned = {"rollout_percent": rollout}
    for name, (low, high) in CAP_RANGES.items():
        value = caps.get(name)
        if value is not None and value < low:
            raise ValidationError({name: _("Choose a positive number, or leave it empty for the scene's rule.")})
        if value is not None and value > high:
            raise ValidationError({name: _("Choose at most %(n)s.") % {"n": f"{high:,}"}})
        cleaned[name] = value
    return cleaned


def _refresh_pending(request: WhitelistRequest) -> WhitelistRequest:
    fresh = WhitelistRequest.objects.select_related("program__organisation", "scene__host", "renewal_of").get(
        pk=request.pk)
    if fresh.status != R.PENDING:
        raise Conflict(_("This request was already decided (%(status)s at %(when)s); reload to see it.") % {
            "status": fresh.get_status_display().lower(),
            "when": f"{timezone.localtime(fresh.status_changed_at):%H:%M}"})
    return fresh


@transaction.atomic
def whitelist_approve(
    *, request: WhitelistRequest, operator: User, valid_until: datetime, share_cap: int | None = None,
    share_window_seconds: int | None = None, daily_cap: int | None = None, rollout_percent: int | None = None,
    placements: list[dict] | None = None, text: str = "",
) -> Grant:
    """Grant the scene until `valid_until` with these caps (empty: the scene's) and, by scene, placements.

    A renewal carries the old grant's placements over when none are given. Of two operators deciding
    at once exactly one wins; the other gets a Conflict.
    """
    request = _refresh_pending(request)
    scene, program, now = request.scene, request.program, timezone.now()
    _check_operator(operator, scene, program)
    valid_until = _check_valid_until(scene, valid_until, now)
    caps = _clean_caps(scene, {"share_cap": share_cap, "share_window_seconds": share_window_seconds,
                               "daily_cap": daily_cap, "rollout_percent": rollout_percent})
    old = request.renewal_of
    if placements is None and old is not None:
        placements = _carried_over(old, valid_until)
    rows = clean_placements(scene, placements or [])
    _check_eligible(program, scene)  # the same rule as at submission: the program may have changed since
    request_transition(request, to=R.APPROVED, actor=operator, actor_label=OPERATOR_LABEL, action=Action.APPROVE,
                       changes={"decided_by": operator, "decided_at": now, "decision_text": text.strip()},
                       note={"valid_until": valid_until.isoformat(), **caps})
    if old is not None and old.status in (G.ACTIVE, G.EXPIRED):
        grant_transition(old, to=G.RENEWED, actor=operator, actor_label=OPERATOR_LABEL, action=Action.RENEW,
                         note={"renewed_by_request": request.pk})
    try:
        with transaction.atomic():
            grant = Grant.objects.create(program=program, scene=scene, request=request, valid_from=now,
                                         valid_until=valid_until, granted_by=operator, **caps)
    except IntegrityError:
        raise Conflict(_("The program already holds a live grant for this scene; revoke it first."))
    Placement.objects.bulk_create([Placement(grant=grant, kind=scene.placement_kind, **row) for row in rows])
    audit_record(action=Action.GRANT, target=grant, actor=operator, actor_label=OPERATOR_LABEL,
                 organisation=program.organisation,
                 after={"scene": scene.code, "valid_until": valid_until.isoformat(), **caps,
                        "placements": [r.get("account_uid") or r.get("topic") for r in rows],
                        "renewal_of": old.pk if old else None})
    notifications.whitelist_decided(request, grant=grant, operator=operator)
    distribution_changed()
    return grant


def _carried_over(old: Grant, valid_until: datetime) -> list[dict]:
    """The old grant's placements for its renewal. A window that ran to the old grant's end meant "while the
    grant lasts": it runs to the new end, or the renewed cards would stop on the old date."""
    rows = [_placement_dict(p) for p in old.placements.all()]
    for row in rows:
        if row["ends_at"] is not None and row["ends_at"] >= old.valid_until - timedelta(minutes=1):
            row["ends_at"] = valid_until
    return rows


def _placement_dict(placement: Placement) -> dict:
    fields = ("account_uid", "account_name", "topic", "title", "starts_at", "ends_at", "landing_page")
    return {name: getattr(placement, name) for name in fields}


def _reason(code: str) -> DistributionRejectionReason:
    reason = DistributionRejectionReason.objects.filter(code=code, active=True).first()
    if reason is None:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    return reason


@transaction.atomic
def whitelist_reject(*, request: WhitelistRequest, operator: User, reason: str, text: str = "") -> WhitelistRequest:
    """Refuse with a reason from the catalog (and optional words for the developer)."""
    chosen = _reason(reason)
    request = _refresh_pending(request)
    _check_operator(operator, request.scene, request.program)
    request_transition(request, to=R.REJECTED, actor=operator, actor_label=OPERATOR_LABEL, action=Action.REJECT,
                       changes={"decided_by": operator, "decided_at": timezone.now(), "rejection_reason": chosen,
                                "decision_text": text.strip()},
                       note={"reason": chosen.code})
    notifications.whitelist_decided(request, grant=None, operator=operator)
    return request


@transaction.atomic
def grant_revoke(*, grant: Grant, operator: User, reason: str, text: str = "") -> Grant:
    """End a live grant now, with a reason; the gate refuses the program in this scene from then on."""
    chosen = _reason(reason)
    grant = Grant.objects.select_related("program__organisation", "scene__host").get(pk=grant.pk)
    _check_operator(operator, grant.scene, grant.program)
    if grant.status != G.ACTIVE:
        raise Conflict(_("This grant is no longer live (%(status)s).") % {"status": grant.get_status_display()})
    grant_transition(grant, to=G.REVOKED, actor=operator, actor_label=OPERATOR_LABEL, action=Action.REVOKE,
                     changes={"revoked_by": operator, "revoke_reason": chosen, "revoke_text": text.strip()},
                     note={"reason": chosen.code})
    notifications.grant_revoked(grant, operator=operator)
    distribution_changed()
    return grant


@transaction.atomic
def grant_set_placements(*, grant: Grant, operator: User, placements: list[dict]) -> Grant:
    """Replace a live grant's placements (accounts, topics or campaigns)."""
    grant = Grant.objects.select_related("program__organisation", "scene__host").get(pk=grant.pk)
    _check_operator(operator, grant.scene, grant.program)
    if grant.status != G.ACTIVE:
        raise Conflict(_("This grant is no longer live (%(status)s).") % {"status": grant.get_status_display()})
    rows = clean_placements(grant.scene, placements)
    before = [_placement_dict(p) for p in grant.placements.all()]
    grant.placements.all().delete()
    Placement.objects.bulk_create([Placement(grant=grant, kind=grant.scene.placement_kind, **row) for row in rows])
    audit_record(action=Action.PLACEMENTS, target=grant, actor=operator, actor_label=OPERATOR_LABEL,
                 organisation=grant.program.organisation,
                 before={"placements": [p.get("account_uid") or p.get("topic") for p in before]},
                 after={"placements": [r.get("account_uid") or r.get("topic") for r in rows]})
    distribution_changed()
    return grant


TERM_FIELDS = ("share_cap", "share_window_seconds", "daily_cap", "rollout_percent")


@transaction.atomic
def grant_set_terms(*, grant: Grant, operator: User, share_cap: int | None, share_window_seconds: int | None,
                    daily_cap: int | None, rollout_percent: int | None) -> Grant:
    """Change a live grant's caps and rollout (empty: the scene's), without revoking it: the gate applies them at
    once and the organisation is told what they are now."""
    grant = Grant.objects.select_for_update().select_related("program__organisation", "scene__host").get(pk=grant.pk)
    _check_operator(operator, grant.scene, grant.program)
    if grant.status != G.ACTIVE:
        raise Conflict(_("This grant is no longer live (%(status)s).") % {"status": grant.get_status_display()})
    terms = _clean_caps(grant.scene, {"share_cap": share_cap, "share_window_seconds": share_window_seconds,
                                      "daily_cap": daily_cap, "rollout_percent": rollout_percent})
    before = {name: getattr(grant, name) for name in TERM_FIELDS}
    if terms == before:
        return grant
    for name, value in terms.items():
        setattr(grant, name, value)
    grant.save(update_fields=list(TERM_FIELDS))
    audit_record(action=Action.TERMS, target=grant, actor=operator, actor_label=OPERATOR_LABEL,
                 organisation=grant.program.organisation, before=before, after=terms)
    notifications.grant_terms_changed(grant, operator=operator)
    distribution_changed()
    return grant


# ---------------------------------------------------------------- time passing (beat)


@transaction.atomic
def grant_expire(*, grant: Grant, now: datetime | None = None) -> bool:
    """Expire one grant whose end has passed; False when it is not due (or someone else moved it first)."""
    now = now or timezone.now()
    if grant.status != G.ACTIVE or grant.valid_until > now:
        return False
    try:
        grant_transition(grant, to=G.EXPIRED, action=Action.EXPIRE, note={"valid_until": grant.valid_until.isoformat()})
    except Conflict:
        return False
    notifications.grant_expired(grant)
    distribution_changed()
    return True


def grants_expire_due(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    due = Grant.objects.filter(status=G.ACTIVE, valid_until__lte=now).select_related("program__organisation", "scene")
    return sum(grant_expire(grant=grant, now=now) for grant in due)


@transaction.atomic
def grant_send_expiry_notice(*, grant: Grant, now: datetime | None = None) -> bool:
    """Tell the organisation once that the grant ends within the notice window; idempotent."""
    now = now or timezone.now()
    claimed = Grant.objects.filter(pk=grant.pk, status=G.ACTIVE, expiry_notice_sent_at=None,
                                   valid_until__gt=now).update(expiry_notice_sent_at=now)
    if not claimed:
        return False
    audit_record(action=Action.EXPIRY_NOTICE, target=grant, organisation=grant.program.organisation,
                 after={"valid_until": grant.valid_until.isoformat()})
    notifications.grant_expiring(grant)
    return True


def grants_notify_expiring(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    soon = now + timedelta(days=settings.DISTRIBUTION_EXPIRY_NOTICE_DAYS)
    due = Grant.objects.filter(status=G.ACTIVE, expiry_notice_sent_at=None, valid_until__gt=now,
                               valid_until__lte=soon).select_related("program__organisation", "scene__host")
    return sum(grant_send_expiry_notice(grant=grant, now=now) for grant in due)
