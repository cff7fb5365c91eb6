"""Writes to the host catalog: pausing and resuming a scene, host API credentials (create with the
secret shown once, rate limit, revoke). All audited."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from console.services import audit_record
from hosts.models import Host, HostCredential, Scene

MAX_ACTIVE_CREDENTIALS = 2  # the one in use and its replacement, during a rotation
KEY_ID_PREFIX = "hk_"
SECRET_PREFIX = "hs_"

# Audit actions.
SCENE_PAUSE = "scene.pause"
SCENE_RESUME = "scene.resume"
CREDENTIAL_CREATE = "host_credential.create"
CREDENTIAL_REVOKE = "host_credential.revoke"
CREDENTIAL_RATE_LIMIT = "host_credential.rate_limit"


@transaction.atomic
def scene_set_status(*, scene: Scene, actor, status: str) -> bool:
    """Pause or resume `scene`; False when it already was. The share gate re-reads scenes at least once a
    second, so a pause reaches every host within a second without any cache to clear here."""
    if status not in Scene.Status.values:
        raise ValidationError({"status": _("Choose active or paused.")})
    current = Scene.objects.filter(pk=scene.pk).values_list("status", flat=True).first()
    if current == status:
        return False
    Scene.objects.filter(pk=scene.pk, status=current).update(status=status)
    scene.status = status
    audit_record(action=SCENE_PAUSE if status == Scene.Status.PAUSED else SCENE_RESUME, target=scene, actor=actor,
                 before={"status": current}, after={"status": status})
    return True


def demo_key_material(host_code: str) -> tuple[str, str]:
    """The demo credential's key id and secret for `host_code` (derived, nothing written)."""
    return _new_key_material(f"demo:{host_code}")


def _new_key_material(seed: str | None) -> tuple[str, str]:
    """A key id and secret: random, or derived from SECRET_KEY and `seed` (demo data only)."""
    if seed is None:
        return KEY_ID_PREFIX + secrets.token_hex(8), SECRET_PREFIX + secrets.token_urlsafe(32)
    digest = hmac.new(settings.SECRET_KEY.encode(), f"host-credential:{seed}".encode(), hashlib.sha256).hexdigest()
    return KEY_ID_PREFIX + digest[:16], SECRET_PREFIX + digest[16:64]


@transaction.atomic
def credential_create(
    *, host: Host, actor, name: str, requests_per_minute: int | None = None, seed: str | None = None
) -> tuple[HostCredential, str]:
    """Create a credential; returns it with the secret to show once.

    Refused when the host already has two active credentials: revoke the old one of a rotation first.
    The host row is locked so that two admins creating at once cannot both get past the count.
    """
    Host.objects.select_for_update().filter(pk=host.pk).first()
    if HostCredential.objects.filter(host=host, revoked_at=None).count() >= MAX_ACTIVE_CREDENTIALS:
        raise ValidationError(_("%(host)s already has %(n)d active credentials; revoke the one you are rotating "
                                "away from first.") % {"host": host.name, "n": MAX_ACTIVE_CREDENTIALS})
    key_id, secret = _new_key_material(seed)
    credential = HostCredential.objects.create(
        host=host, name=name.strip(), key_id=key_id, secret=secret, requests_per_minute=requests_per_minute,
        created_by=actor if actor is not None and actor.pk else None,
    )
    audit_record(action=CREDENTIAL_CREATE, target=credential, actor=actor,
                 after={"host": host.code, "key_id": key_id, "name": credential.name})
    return credential, secret


@transaction.atomic
def credential_revoke(*, credential: HostCredential, actor) -> HostCredential:
    """Revoke at once (compare-and-swap on revoked_at: revoking twice records one event)."""
    now = timezone.now()
    updated = HostCredential.objects.filter(pk=credential.pk, revoked_at=None).update(
        revoked_at=now, revoked_by=actor if actor is not None and actor.pk else None)
    credential.refresh_from_db()
    if updated:
        audit_record(action=CREDENTIAL_REVOKE, target=credential, actor=actor,
                     before={"revoked_at": None}, after={"host": credential.host.code, "key_id": credential.key_id,
                                                         "revoked_at": now.isoformat()})
    return credential


@transaction.atomic
def credential_set_rate_limit(*, credential: HostCredential, actor, requests_per_minute: int | None) -> HostCredential:
    """Change the key's calls per minute (None: the HOST_REQUESTS_PER_MINUTE setting); hosts see it within a second."""
    before = HostCredential.objects.select_for_update().values_list("requests_per_minute", flat=True).get(
        pk=credential.pk)
    if before != requests_per_minute:
        HostCredential.objects.filter(pk=credential.pk).update(requests_per_minute=requests_per_minute)
        audit_record(action=CREDENTIAL_RATE_LIMIT, target=credential, actor=actor,
                     before={"requests_per_minute": before}, after={"requests_per_minute": requests_per_minute})
    credential.requests_per_minute = requests_per_minute
    return credential


def demo_credential(*, host: Host, actor=None) -> tuple[HostCredential, str]:
    """The demo credential of `host`, derived from SECRET_KEY so every `make run` prints the same one.

    Restored if an admin revoked it; a new SECRET_KEY gives a new credential.
    """
    key_id, secret = demo_key_material(host.code)
    existing = HostCredential.objects.filter(key_id=key_id).first()
    if existing is None:
        return credential_create(host=host, actor=actor, name="Demo credential", seed=f"demo:{host.code}")
    if existing.revoked_at is not None:
        HostCredential.objects.filter(pk=existing.pk).update(revoked_at=None, revoked_by=None)
    return existing, secret
