"""Distribution into host scenes: whitelist requests, grants with their caps, and placements.

The scenes and their rules live in the hosts catalog (`hosts.Scene`); this app records who asked
for which scene, what operators decided, and what a grant binds the program to.
"""

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hosts.models import Scene
from programs.models import MiniProgram


class DistributionRejectionReason(models.Model):
    """An admin-editable canned reason an operator picks when rejecting or revoking."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    title_zh = models.CharField(_("Chinese title"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_zh = models.TextField(_("Chinese description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("distribution rejection reason")
        verbose_name_plural = _("distribution rejection reasons")
        ordering = ["position", "code"]

    def __str__(self):
        return self.title

    @property
    def display_title(self) -> str:
        return self.title_zh if self.title_zh and (get_language() or "").startswith("zh") else self.title

    @property
    def display_description(self) -> str:
        zh = (get_language() or "").startswith("zh")
        return self.description_zh if self.description_zh and zh else self.description


class WhitelistRequest(models.Model):
    """A developer's request to distribute a released program into a whitelist scene."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="whitelist_requests",
                                verbose_name=_("mini program"))
    scene = models.ForeignKey(Scene, on_delete=models.PROTECT, related_name="whitelist_requests",
                              verbose_name=_("scene"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    justification = models.TextField(_("justification"), max_length=2000)
    renewal_of = models.ForeignKey(
        "Grant", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewal_requests",
        verbose_name=_("renewal of"), help_text=_("The grant this request would carry over when approved."),
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("requested by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.ForeignKey(
        DistributionRejectionReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("rejection reason"),
    )
    decision_text = models.TextField(_("operator's note"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("whitelist request")
        verbose_name_plural = _("whitelist requests")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "scene"], condition=models.Q(status="pending"),
                name="one_pending_request_per_program_scene",
            ),
        ]

    def __str__(self):
        return f"{self.program} → {self.scene}"


def evidence_path(evidence, filename):
    return f"distribution/evidence/{evidence.request.program.appid}/{evidence.request_id}/{filename}"


class EvidenceFile(models.Model):
    """A file a developer attaches to a request (licences, agreements with the named accounts …)."""

    request = models.ForeignKey(WhitelistRequest, on_delete=models.CASCADE, related_name="evidence",
                                verbose_name=_("whitelist request"))
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_name


class Grant(models.Model):
    """An operator's approval: the program may appear in the scene until `valid_until`, within its caps.

    Caps left empty fall back to the scene's rule, so an operator tightening a scene tightens every
    grant that did not say otherwise.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Granted")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")
        RENEWED = "renewed", _("Renewed")

    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="grants",
                                verbose_name=_("mini program"))
    scene = models.ForeignKey(Scene, on_delete=models.PROTECT, related_name="grants", verbose_name=_("scene"))
    request = models.OneToOneField(WhitelistRequest, on_delete=models.PROTECT, related_name="grant",
                                   verbose_name=_("whitelist request"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE,
                              db_index=True)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), db_index=True)
    share_cap = models.PositiveIntegerField(_("share cap"), null=True, blank=True)
    share_window_seconds = models.PositiveIntegerField(_("share cap window (seconds)"), null=True, blank=True)
    daily_cap = models.PositiveIntegerField(_("daily cap"), null=True, blank=True)
    rollout_percent = models.PositiveSmallIntegerField(
        _("rollout %"), default=100, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("granted by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("revoked by"),
    )
    revoke_reason = models.ForeignKey(
        DistributionRejectionReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("revocation reason"),
    )
    revoke_text = models.TextField(_("revocation note"), max_length=2000, blank=True)
    expiry_notice_sent_at = models.DateTimeField(_("expiry notice sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "scene"], condition=models.Q(status="active"),
                name="one_active_grant_per_program_scene",
            ),
            models.CheckConstraint(
                condition=models.Q(rollout_percent__gte=1, rollout_percent__lte=100), name="grant_rollout_in_range"
            ),
        ]

    def __str__(self):
        # No words: the audit log keeps this label as written, and its readers use either language.
        return f"{self.program} → {self.scene} · {self.valid_until:%Y-%m-%d}"

    def effective_share_cap(self) -> int | None:
        return self.share_cap if self.share_cap is not None else self.scene.share_cap

    def effective_share_window(self) -> int:
        return self.share_window_seconds or self.scene.share_window_seconds

    def effective_daily_cap(self) -> int | None:
        return self.daily_cap if self.daily_cap is not None else self.scene.daily_cap


# The most a grant's caps may say (their columns hold up to 2^31 - 1: 9,250,147,349 was a 500 on PostgreSQL).
CAP_MAX = 1_000_000
WINDOW_MAX_SECONDS = 30 * 86400


class Placement(models.Model):
    """Where a grant's card shows: a named account's profile, a topic, or a lottery campaign."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="placements", verbose_name=_("grant"))
    kind = models.CharField(_("kind"), max_length=10, choices=Scene.PlacementKind.choices[1:])
    # weibo.profile: the account whose profile shows the card.
    account_uid = models.CharField(_("account uid"), max_length=40, blank=True, db_index=True)
    account_name = models.CharField(_("account display name"), max_length=80, blank=True)
    # Hot-search topics and lottery campaigns: an identifier, a title and a window.
    topic = models.CharField(_("topic or campaign id"), max_length=120, blank=True, db_index=True)
    title = models.CharField(_("title"), max_length=120, blank=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    landing_page = models.CharField(
        _("landing or claim page"), max_length=200, blank=True, help_text=_("A page path inside the program.")
    )

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ["id"]

    def __str__(self):
        return self.account_name or self.title or self.topic or self.account_uid

    @property
    def window(self) -> tuple[datetime | None, datetime | None]:
        """When the card shows: the placement's own window within its grant's. Hosts get this one (the
        placements call); the grant page shows it too, where it showed the window as typed, past the grant's end."""
        grant = self.grant
        return max(filter(None, [self.starts_at, grant.valid_from])), min(filter(None, [self.ends_at, grant.valid_until]))

    @property
    def ends_with_grant(self) -> bool:
        """Whether the grant's end cuts the window short (or the placement gave no end)."""
        return self.window[1] == self.grant.valid_until and self.ends_at != self.grant.valid_until
