"""Moderation of submitted versions: canned rejection reasons, claims, decisions, the thread, auto-approval."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from programs.models import Version


class RejectionReason(models.Model):
    """An admin-editable canned reason a reviewer picks when rejecting (or asking for changes)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    title_zh = models.CharField(_("Chinese title"), max_length=120, blank=True)
    description = models.TextField(
        _("description"), blank=True, help_text=_("Shown to the developer: what is wrong and how to fix it.")
    )
    description_zh = models.TextField(
        _("Chinese description"), blank=True, help_text=_("Shown instead of the description to Chinese readers.")
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("rejection reason")
        verbose_name_plural = _("rejection reasons")
        ordering = ["position", "code"]

    def __str__(self):
        return self.title

    @property
    def display_title(self) -> str:
        if self.title_zh and (get_language() or "").startswith("zh"):
            return self.title_zh
        return self.title

    @property
    def display_description(self) -> str:
        """The description in the reader's language; reasons without a Chinese text fall back to the stored one."""
        if self.description_zh and (get_language() or "").startswith("zh"):
            return self.description_zh
        return self.description


class ReviewClaim(models.Model):
    """The one lock on a version a reviewer is working on.

    One row per version at most (the one-to-one is the database constraint); the lock is
    live while `expires_at` is in the future, so expiry needs no sweeper to be correct.
    A new reviewer takes over an expired row with a compare-and-swap update.
    """

    version = models.OneToOneField(Version, on_delete=models.CASCADE, related_name="review_claim", verbose_name=pgettext_lazy("model name", "version"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_claims",
                                 verbose_name=_("reviewer"))
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("review claim")
        verbose_name_plural = _("review claims")
        indexes = [models.Index(fields=["reviewer", "expires_at"], name="review_claim_reviewer_live")]

    def __str__(self):
        return f"{self.version} claimed by {self.reviewer}"

    @property
    def is_live(self) -> bool:
        return self.expires_at > timezone.now()


class ReviewDecision(models.Model):
    class Kind(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")
        REQUEST_CHANGES = "request_changes", _("Request changes")

    OUTCOME_LABELS = {  # what a taken decision says on badges: "Approved", not the button's "Approve"
        Kind.APPROVE: _("Approved"), Kind.REJECT: _("Rejected"), Kind.REQUEST_CHANGES: _("Changes requested"),
    }

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="review_decisions", verbose_name=pgettext_lazy("model name", "version"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_decisions",
        verbose_name=_("reviewer"), help_text=_("Empty for an automatic decision."),
    )
    kind = models.CharField(_("decision"), max_length=20, choices=Kind.choices)
    reasons = models.ManyToManyField(RejectionReason, blank=True, related_name="decisions", verbose_name=_("reasons"))
    text = models.TextField(_("message to the developer"), max_length=4000, blank=True)
    hosts = models.JSONField(_("hosts"), default=list, blank=True,
                             help_text=_("Host codes an approval covers; empty: all hosts."))
    automatic = models.BooleanField(_("automatic"), default=False)
    dry_run = models.BooleanField(
        _("dry run"), default=False,
        help_text=_("Recorded by the auto-approval policy in dry-run mode: it would have approved."),
    )
    policy_reasons = models.JSONField(_("policy's reasons"), default=list, blank=True,
                                      help_text=_("Why the policy decided as it did."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["version", "-created_at"], name="review_decision_version")]

    def __str__(self):
        who = "auto" if self.automatic else (self.reviewer or "?")
        return f"{self.get_kind_display()} {self.version} ({who}{', dry run' if self.dry_run else ''})"

    @property
    def outcome_label(self) -> str:
        return str(self.OUTCOME_LABELS.get(self.kind, self.get_kind_display()))

    @property
    def reviewer_label(self) -> str:
        if self.automatic:
            return str(_("Auto-approval policy"))
        return self.reviewer.display_name if self.reviewer else str(_("(deleted reviewer)"))


class ReviewMessage(models.Model):
    """One message of the thread between the reviewers and the developers on a version."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="review_messages", verbose_name=pgettext_lazy("model name", "version"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("author"))
    from_reviewer = models.BooleanField(_("from a reviewer"), default=False)
    body = models.TextField(_("message"), max_length=4000, blank=True)
    decision = models.ForeignKey(
        ReviewDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages",
        verbose_name=_("decision"), help_text=_("Set when the message carries a reviewer's decision (its reasons are shown with it)."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("review message")
        verbose_name_plural = _("review messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["version", "created_at"], name="review_message_thread")]

    def __str__(self):
        side = "reviewer" if self.from_reviewer else "developer"
        return f"{side} on {self.version}: {self.body[:40]}"

    @property
    def author_label(self) -> str:
        """What developers see: reviewers stay anonymous behind “Reviewer”."""
        if self.from_reviewer:
            return str(_("Reviewer"))
        return self.author.display_name if self.author else str(_("(deleted user)"))


class AutoApprovalPolicy(models.Model):
    """The one policy row (pk=1) the auto-approval task applies; edited in the admin."""

    enabled = models.BooleanField(_("enabled"), default=False)
    dry_run = models.BooleanField(
        _("dry run"), default=True,
        help_text=_("Record “would have approved” decisions without approving anything."),
    )
    max_risk_score = models.PositiveIntegerField(_("highest risk score"), default=10)
    min_prior_releases = models.PositiveIntegerField(
        _("prior releases"), default=3,
        help_text=_("How many versions the organisation must have released before (any of its programs)."),
    )
    require_verified_org = models.BooleanField(_("verified organisations only"), default=True)
    allow_new_permissions = models.BooleanField(_("allow new permissions"), default=False)
    allow_new_domains = models.BooleanField(_("allow new domains"), default=False)
    allow_new_categories = models.BooleanField(_("allow new categories"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("auto-approval policy")
        verbose_name_plural = _("auto-approval policy")

    def __str__(self):
        if not self.enabled:
            return str(_("Auto-approval (off)"))
        return str(_("Auto-approval (dry run)")) if self.dry_run else str(_("Auto-approval (on)"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> "AutoApprovalPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class AutoApprovalEvaluation(models.Model):
    """The policy looked at one submission: whether it qualified and why. One per submission (idempotence)."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Approved")
        WOULD_APPROVE = "would_approve", _("Would have approved (dry run)")
        NOT_ELIGIBLE = "not_eligible", _("Not eligible")

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="auto_evaluations", verbose_name=pgettext_lazy("model name", "version"))
    submitted_at = models.DateTimeField(_("submitted at"),
                                        help_text=_("The submission evaluated (the version's submitted_at then)."))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    evaluated_at = models.DateTimeField(_("evaluated at"), default=timezone.now)

    class Meta:
        verbose_name = _("auto-approval evaluation")
        verbose_name_plural = _("auto-approval evaluations")
        ordering = ["-evaluated_at"]
        constraints = [
            models.UniqueConstraint(fields=["version", "submitted_at"], name="one_auto_evaluation_per_submission"),
        ]

    def __str__(self):
        return f"{self.version}: {self.get_outcome_display()}"
