"""Writes of the host catalog: pausing and resuming a scene (audited)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from console.services import audit_record
from hosts.models import Scene

SCENE_PAUSE = "scene.pause"
SCENE_RESUME = "scene.resume"


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
