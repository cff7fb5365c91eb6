"""Writes for accounts, organisations, memberships, invitations, API keys and the audit log."""

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from console.audit_words import api_key_actor_label
from console.exceptions import LimitReached, NamedNotFound, WrongState
from console.models import (
    ApiKey,
    AuditEvent,
    Invitation,
    Membership,
    Notification,
    Organisation,
    User,
    WebhookEndpoint,
)
from console.ratelimit import rate_limit_exceeded, rate_limit_wait
from console.roles import ASSIGNABLE_ROLES, Capability, Role, role_can, scopes_for_role

API_KEY_PREFIX = "mpk_"


# ---------------------------------------------------------------- audit


def _actor_label(actor, api_key=None) -> str:
    if api_key is not None:
        return api_key_actor_label(api_key)
    if actor is None:
        return "system"
    return getattr(actor, "email", str(actor))


def audit_record(
    *,
    action: str,
    target: models.Model,
    actor: User | None = None,
    organisation: Organisation | None = None,
    before: dict | None = None,
    after: dict | None = None,
    api_key: ApiKey | None = None,
    ip_address: str | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Record one state change. Call it inside the transaction that makes the change.

    `actor_label` replaces the actor's email where the organisation must not learn who acted
    (platform reviewers); the actor itself is still kept for admins.
    """
    return AuditEvent.objects.create(
        organisation=organisation,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label or _actor_label(actor, api_key),
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:200],
        before=before,
        after=after,
        ip_address=ip_address,
    )


# ---------------------------------------------------------------- accounts


@transaction.atomic
def user_language_keep(*, user: User, language: str) -> None:
    """An account with no language takes the one it signs in with: notifications and emails, written when
    they happen, use the account's language, and without one they were in English on Chinese pages."""
    if not user.language and language in dict(settings.LANGUAGES):
        user.language = language
        user.save(update_fields=["language"])


def user_sign_up(*, email: str, password: str, full_name: str = "", language: str = "") -> User:
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An account with this email address already exists.")})
    user = User.objects.create_user(email=email, password=password, full_name=full_name, language=language)
    audit_record(action="user.sign_up", target=user, actor=user, after={"email": email})
    return user


# ---------------------------------------------------------------- email verification

EMAIL_VERIFY_SALT = "console.email-verification"


def email_verification_token(user: User) -> str:
    """A signed, expiring token naming the account and the address it proves (a changed address voids it)."""
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=EMAIL_VERIFY_SALT, compress=True)


def email_verification_send(*, user: User, url_builder) -> bool:
    """Email a verification link (`url_builder(token)` makes it absolute); False when over the hourly limit."""
    limit, window = settings.VERIFICATION_EMAIL_RATE_LIMIT
    if user.email_verified or rate_limit_exceeded(f"verify-email:{user.pk}", limit=limit, window=window):
        return False
    url = url_builder(email_verification_token(user))
    transaction.on_commit(lambda: _send_verification_email(user, url))
    return True


def _send_verification_email(user: User, url: str) -> None:
    from console.tasks import send_email

    context = {"user": user, "url": url, "days": settings.EMAIL_VERIFICATION_MAX_AGE_DAYS}
    send_email.delay(
        subject=_("Confirm your email address"),
        body=render_to_string("console/email/verify_email.txt", context),
        recipients=[user.email],
        from_email=settings.DEFAULT_FROM_EMAIL,
    )


@transaction.atomic
def email_verify(*, token: str) -> User:
    """Mark the address in `token` verified; refuses a forged, expired or outdated link."""
    return user_mark_email_verified(user=email_verification_user(token), proof="link")


def email_verification_user(token: str) -> User:
    """The user whose current address `token` confirms; ValidationError for a forged, expired or outdated link."""
    max_age = timedelta(days=settings.EMAIL_VERIFICATION_MAX_AGE_DAYS)
    try:
        data = signing.loads(token, salt=EMAIL_VERIFY_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ValidationError(_("This confirmation link has expired. Sign in and ask for a new one.")) from None
    except signing.BadSignature:
        raise ValidationError(_("This confirmation link is not valid.")) from None
    user = User.objects.filter(pk=data.get("u"), email__iexact=data.get("e", "")).first()
    if user is None:
        raise ValidationError(_("This confirmation link is for an address that is no longer on the account."))
    return user


@transaction.atomic
def user_mark_email_verified(*, user: User, proof: str) -> User:
    """Record that the user receives mail at their address (`proof`: link, invitation, password_reset)."""
    now = timezone.now()
    if User.objects.filter(pk=user.pk, email_verified_at=None).update(email_verified_at=now):
        user.email_verified_at = now
        audit_record(action="user.email_verify", target=user, actor=user, after={"email": user.email, "proof": proof})
    elif user.email_verified_at is None:
        user.refresh_from_db(fields=["email_verified_at"])
    return user


# ---------------------------------------------------------------- organisations


# Slugs that /orgs/<slug>/ shares with fixed pages (/orgs/new/, /orgs/switch/); such an org's dashboard is unreachable.
RESERVED_ORG_SLUGS = {"new", "switch"}


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    slug, n = base, 1
    while slug in RESERVED_ORG_SLUGS or Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def organisation_create(*, user: User, name: str, kind: str = Organisation.Kind.INDIVIDUAL) -> Organisation:
    org = Organisation.objects.create(name=name.strip(), slug=_unique_slug(name), kind=kind, created_by=user)
    Membership.objects.create(organisation=org, user=user, role=Role.OWNER)
    audit_record(
        action="organisation.create", target=org, actor=user, organisation=org, after={"name": org.name, "kind": kind}
    )
    return org


@transaction.atomic
def organisation_update(*, org: Organisation, actor: User, name: str, kind: str) -> Organisation:
    before = {"name": org.name, "kind": org.kind}
    if org.verified and (name.strip(), kind) != (org.name, org.kind):
        # The badge vouches for this name and kind: renamed "Alipay Official", it would vouch for that.
        raise ValidationError(_("A verified organisation's name and kind are the ones checked at verification; "
                                "ask the platform to change them."))
    org.name, org.kind = name.strip(), kind
    org.save(update_fields=["name", "kind"])
    audit_record(
        action="organisation.update", target=org, actor=actor, organisation=org, before=before,
        after={"name": org.name, "kind": org.kind},
    )
    return org


@transaction.atomic
def organisation_set_verified(*, org: Organisation, actor: User, verified: bool) -> Organisation:
    before = {"verified": org.verified}
    org.verified = verified
    org.verified_at = timezone.now() if verified else None
    org.save(update_fields=["verified", "verified_at"])
    audit_record(
        action="organisation.verify" if verified else "organisation.unverify",
        target=org, actor=actor, organisation=org, before=before, after={"verified": verified},
    )
    return org


# ---------------------------------------------------------------- memberships


def _owner_count(org: Organisation) -> int:
    return org.memberships.filter(role=Role.OWNER).count()


def _check_can_assign(actor_role: str, role: str) -> None:
    if role not in ASSIGNABLE_ROLES.get(actor_role, []):
        raise PermissionDenied(_("Your role cannot grant the role “%(role)s”.") % {"role": dict(Role.choices).get(role, role)})


def _lock_members(org_id: int, actor: User, api_key: ApiKey | None) -> str:
    """Lock the organisation's memberships, so that changes to them run one after the other; return the actor's
    role as it is now. A role read before the lock may be stale: a request that was in flight while its sender
    was demoted or removed (or their key revoked) made a viewer an owner."""
    locked = {m.user_id: m.role for m in Membership.objects.select_for_update().filter(organisation=org_id)}
    if actor.pk not in locked or (api_key is not None and not ApiKey.objects.filter(pk=api_key.pk,
                                                                                    revoked_at=None).exists()):
        raise PermissionDenied(_("You are no longer a member of this organisation, or the key was revoked."))
    return locked[actor.pk]


def _still_there(membership: Membership) -> Membership:
    """The membership as it is under the lock; 404 when it went a moment ago (removed by a request at once)."""
    try:
        membership.refresh_from_db()
    except Membership.DoesNotExist:
        raise NamedNotFound(_("This member was removed a moment ago.")) from None
    return membership


@transaction.atomic
def membership_change_role(*, membership: Membership, actor: User, role: str,
                           api_key: ApiKey | None = None) -> Membership:
    actor_role = _lock_members(membership.organisation_id, actor, api_key)  # two admins, the last two owners
    membership = _still_there(membership)
    _check_can_assign(actor_role, role)
    if membership.role == Role.OWNER and actor_role != Role.OWNER:
        raise PermissionDenied(_("Only an owner can change another owner's role."))
    if membership.role == role:  # a job run again: nothing to record, nobody to tell
        return membership
    if membership.role == Role.OWNER and _owner_count(membership.organisation) == 1:
        raise WrongState(_("An organisation needs at least one owner."))
    before = {"role": membership.role}
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        action="membership.change_role", target=membership, actor=actor, api_key=api_key,
        organisation=membership.organisation, before=before, after={"role": role},
    )
    _revoke_invitations_sent(membership, actor, still_allowed=ASSIGNABLE_ROLES.get(role, []))
    if membership.user_id != actor.pk:
        from console.notify import account  # it records through this module

        account.role_changed(membership.user, membership.organisation, role, by=actor)
    return membership


@dataclass(frozen=True)
class MemberRemoved:
    """What went with a removed member: what acted or would act on their word."""

    api_keys: int
    invitations: int
    webhooks: int


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User, api_key: ApiKey | None = None) -> MemberRemoved:
    """Remove a member, and with them what would go on acting on their word (keys, invitations, webhooks).
    Anyone may leave; removing someone else takes a role that manages members."""
    from console.notify import account  # these record through this module
    from console.notify.webhooks import webhook_endpoint_set_active

    actor_role = _lock_members(membership.organisation_id, actor, api_key)
    membership = _still_there(membership)
    org = membership.organisation
    if membership.user_id != actor.pk and not role_can(actor_role, Capability.MANAGE_MEMBERS):
        raise PermissionDenied(_("Your role in this organisation does not allow removing members."))
    if membership.role == Role.OWNER and actor_role != Role.OWNER:
        raise PermissionDenied(_("Only an owner can remove an owner."))
    if membership.role == Role.OWNER and _owner_count(org) == 1:
        raise WrongState(_("An organisation needs at least one owner."))
    # A member's keys act with that member's role: they go when the member goes.
    keys = list(ApiKey.objects.filter(organisation=org, created_by=membership.user, revoked_at=None))
    for key in keys:
        api_key_revoke(api_key=key, actor=actor)
    # An invitation they sent would let them back in through an address they hold.
    invitations = _revoke_invitations_sent(membership, actor, still_allowed=[])
    # Their endpoints would go on receiving the organisation's events; paused, not deleted, so that the
    # owners can look and turn back on what the team still uses.
    webhooks = list(WebhookEndpoint.objects.filter(organisation=org, created_by=membership.user, is_active=True))
    for endpoint in webhooks:
        webhook_endpoint_set_active(endpoint=endpoint, actor=actor, active=False)
    audit_record(
        action="membership.remove", target=membership, actor=actor, api_key=api_key, organisation=org,
        before={"user": membership.user.email, "role": membership.role},
    )
    if membership.user_id != actor.pk:
        account.removed_from(membership.user, org, by=actor)
    # What the organisation told them (its programs, reviews, grants) is no longer theirs to read.
    Notification.objects.filter(user=membership.user, organisation=org).delete()
    membership.delete()
    return MemberRemoved(api_keys=len(keys), invitations=invitations, webhooks=len(webhooks))


def _revoke_invitations_sent(membership: Membership, actor: User, *, still_allowed: list[str]) -> int:
    """Revoke the member's pending invitations to roles they can no longer give; how many."""
    pending = Invitation.objects.filter(
        organisation=membership.organisation_id, invited_by=membership.user_id, accepted_at=None, revoked_at=None,
    ).exclude(role__in=still_allowed)
    return sum(invitation_revoke(invitation=invitation, actor=actor) for invitation in pending)


# ---------------------------------------------------------------- invitations


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *, org: Organisation, email: str, role: str, invited_by: User, accept_url_builder,
    api_key: ApiKey | None = None,
) -> Invitation:
    """Invite someone by email. `accept_url_builder(token)` turns the secret token into an absolute link."""
    email = email.strip().lower()
    # Under the members' lock: an inviter removed at the same moment has their invitations revoked, and could
    # otherwise send one just after, their way back in.
    actor_role = _lock_members(org.pk, invited_by, api_key)
    _check_can_assign(actor_role, role)
    # Each invitation is an email naming the organisation: an unconfirmed address could send them by the hundred
    # with an "organisation name" that is an advertisement (SPEC §8: a verified email before an address grants).
    if not invited_by.email_verified:
        raise PermissionDenied(_("Confirm your email address first (the link we emailed you) to invite people."))
    if org.memberships.filter(user__email__iexact=email).exists():
        raise ValidationError({"email": _("%(email)s is already a member.") % {"email": email}})
    pending = list(Invitation.objects.filter(organisation=org, email__iexact=email, accepted_at=None,
                                             revoked_at=None))
    for earlier in pending:
        _check_can_assign(actor_role, earlier.role)  # an admin does not replace an owner's invitation to an owner
    limit, window = settings.INVITATION_RATE_LIMIT  # counted last: a refusal above costs no invitation
    wait = rate_limit_wait(f"invitations:{org.pk}", limit=limit, window=window)
    if wait:
        raise LimitReached(_("This organisation sent %(n)d invitations in the last hour; send more in %(m)d "
                             "minutes.") % {"n": limit, "m": math.ceil(wait / 60)}, retry_after=wait)
    for earlier in pending:  # a fresh invitation replaces any pending one to the same address
        invitation_revoke(invitation=earlier, actor=invited_by, api_key=api_key)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=org, email=email, role=role, token_hash=_hash_token(token), invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
    )
    audit_record(
        action="invitation.create", target=invitation, actor=invited_by, api_key=api_key, organisation=org,
        after={"email": email, "role": role},
    )
    url = accept_url_builder(token)
    transaction.on_commit(lambda: _send_invitation_email(invitation, url))
    return invitation


def _send_invitation_email(invitation: Invitation, url: str) -> None:
    from console.tasks import send_email

    context = {"invitation": invitation, "url": url}
    send_email.delay(
        subject=_("You are invited to join %(org)s") % {"org": invitation.organisation.name},
        body=render_to_string("console/email/invitation.txt", context),
        recipients=[invitation.email],
        from_email=settings.DEFAULT_FROM_EMAIL,
    )


def invitation_by_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("organisation").filter(token_hash=_hash_token(token)).first()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(_("This invitation was sent to %(email)s; sign in with that address.") % {
            "email": invitation.email})
    # The link's secret token was only ever emailed to this address: holding it proves the mailbox, exactly
    # as a confirmation link does, so accepting verifies an unverified account's address.
    user_mark_email_verified(user=user, proof="invitation")
    # Compare-and-swap: two clicks on one link make one membership.
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).update(accepted_at=timezone.now(), accepted_by=user)
    if not claimed:
        raise ValidationError(_("This invitation has expired, was revoked or was already used."))
    membership, created = Membership.objects.get_or_create(
        organisation=invitation.organisation, user=user, defaults={"role": invitation.role}
    )
    audit_record(
        action="invitation.accept", target=invitation, actor=user, organisation=invitation.organisation,
        after={"email": user.email, "role": membership.role, "new_member": created},
    )
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User, api_key: ApiKey | None = None,
                      actor_role: str | None = None) -> bool:
    """Revoke a pending invitation; False when it was already accepted or revoked. With `actor_role`, only an
    invitation to a role that role may give (an admin leaves an owner's invitation to an owner alone)."""
    if actor_role is not None:
        _check_can_assign(actor_role, invitation.role)
    revoked = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit_record(
            action="invitation.revoke", target=invitation, actor=actor, api_key=api_key,
            organisation=invitation.organisation,
            before={"email": invitation.email},
        )
    return bool(revoked)


# ---------------------------------------------------------------- API keys


def api_key_seeded_raw(seed: str) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{seed}".encode()).hexdigest()
    return f"{API_KEY_PREFIX}{digest[:12]}_{digest[12:56]}"


def api_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *, org: Organisation, user: User, role: str, name: str, scopes: list[str], seed: str | None = None
) -> tuple[ApiKey, str]:
    """Create a key; returns it with the raw secret, which is never stored and never shown again.

    `seed` derives the key deterministically from SECRET_KEY; only demo data uses it,
    so that reloading the demo prints the same key.
    """
    allowed = set(scopes_for_role(role))
    refused = sorted(set(scopes) - allowed)
    if refused:
        raise ValidationError({"scopes": _("Your role cannot grant: %(scopes)s") % {"scopes": ", ".join(refused)}})
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    raw = api_key_seeded_raw(seed) if seed else f"{API_KEY_PREFIX}{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
    prefix = raw[len(API_KEY_PREFIX):].split("_", 1)[0]
    key = ApiKey.objects.create(
        organisation=org, name=name.strip(), prefix=prefix, key_hash=api_key_hash(raw),
        scopes=sorted(set(scopes)), created_by=user,
    )
    audit_record(
        action="api_key.create", target=key, actor=user, organisation=org,
        after={"name": key.name, "scopes": key.scopes, "prefix": prefix},
    )
    return key, raw


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: User, by_key: ApiKey | None = None) -> None:
    """Revoke `api_key`; `by_key`, the key the call came with, if any (it may be the same key)."""
    revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at=None).update(revoked_at=timezone.now())
    if revoked:
        audit_record(
            action="api_key.revoke", target=api_key, actor=actor, api_key=by_key, organisation=api_key.organisation,
            before={"name": api_key.name, "prefix": api_key.prefix},
        )


def api_key_revoked_at(raw_key: str) -> datetime | None:
    """When the key whose secret this is was revoked; None for an active key or one that never existed."""
    if not raw_key.startswith(API_KEY_PREFIX):
        return None
    prefix = raw_key[len(API_KEY_PREFIX):].split("_", 1)[0]
    key = ApiKey.objects.filter(prefix=prefix).exclude(revoked_at=None).first()
    if key is None or not secrets.compare_digest(key.key_hash, api_key_hash(raw_key)):
        return None
    return key.revoked_at


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, or None. Marks it used (at most once a minute, to spare writes)."""
    if not raw_key.startswith(API_KEY_PREFIX):
        return None
    prefix = raw_key[len(API_KEY_PREFIX):].split("_", 1)[0]
    key = ApiKey.objects.select_related("organisation", "created_by").filter(prefix=prefix).first()
    if key is None or not key.is_active or not secrets.compare_digest(key.key_hash, api_key_hash(raw_key)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
