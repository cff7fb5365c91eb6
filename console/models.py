"""Accounts, organisations, memberships, invitations, API keys and the audit log."""

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group, UserManager
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from console import sql
from console.fields import SealedCharField
from console.roles import Role, StaffGroup
from console.text import refuse_invisible_characters


class EmailUserManager(UserManager):
    """Users sign in with their email address; there is no separate username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=120, blank=True, validators=[refuse_invisible_characters])
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    email_verified_at = models.DateTimeField(
        _("email verified at"), null=True, blank=True,
        help_text=_("When the user proved they receive mail at this address; until then it grants nothing."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = EmailUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self):
        return self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def group_names(self) -> frozenset[str]:
        """The names of the user's groups, read once per user object.

        Every request loads its own user object, so a group change shows on the next request; on this
        object `groups.add/remove/set/clear` and `refresh_from_db` forget the names (see below). The
        shell asks for them up to four times a page (two-factor check, navigation).
        """
        names = self.__dict__.get("_group_names")
        if names is None:
            names = frozenset(_group_names_of(self.pk)) if self.pk else frozenset()
            self.__dict__["_group_names"] = names
        return names

    def forget_group_names(self) -> None:
        self.__dict__.pop("_group_names", None)

    def refresh_from_db(self, *args, **kwargs):
        self.forget_group_names()
        super().refresh_from_db(*args, **kwargs)

    def in_staff_group(self, group: str) -> bool:
        if self.is_superuser:
            return True
        return group in self.group_names

    @property
    def is_reviewer(self) -> bool:
        return self.in_staff_group(StaffGroup.REVIEWERS)

    @property
    def is_platform_operator(self) -> bool:
        return self.in_staff_group(StaffGroup.OPERATORS)

    @property
    def is_platform_staff(self) -> bool:
        """Admin-site users, superusers and the reviewer, operator and admin groups: two-factor is required."""
        if self.is_staff or self.is_superuser:
            return True
        return not self.group_names.isdisjoint(StaffGroup.ALL)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


def _group_names_of(user_id: int) -> list[str]:
    """`user.groups.values_list("name")` in SQL of our own: every signed-in request asks (console/sql.py)."""
    through = User.groups.through
    rows = sql.fetch(Group, f"SELECT g.{sql.column(Group, 'name')} FROM {sql.table(Group)} g "
                            f"JOIN {sql.table(through)} ug ON ug.{sql.column(through, 'group')} = g.{sql.column(Group, 'id')} "
                            f"WHERE ug.{sql.column(through, 'user')} = %s", [user_id])
    return [name for (name,) in rows]


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="console.user_group_names")
def _forget_group_names(sender, instance, **kwargs):
    """`user.groups.add(...)` and the like: this user object reads its group names again.

    From the group's side (`group.user_set.add(user)`) only the users loaded afterwards see the change.
    """
    if isinstance(instance, User):
        instance.forget_group_names()


class Organisation(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        ENTERPRISE = "enterprise", _("Enterprise")

    name = models.CharField(_("name"), max_length=100, validators=[refuse_invisible_characters])
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    verified = models.BooleanField(_("verified"), default=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("created by"),
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="organisations",
                                     verbose_name=_("members"))
    expedited_reviews_per_month = models.PositiveSmallIntegerField(
        _("expedited reviews per month"), null=True, blank=True,
        help_text=_("Overrides the platform's monthly expedited-review quota. Empty: the default."),
    )
    max_package_bytes = models.PositiveBigIntegerField(
        _("package upload limit (bytes)"), null=True, blank=True,
        help_text=_("Overrides the platform's upload limit for this organisation. Empty: the default."),
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def package_upload_limit(self) -> int:
        return self.max_package_bytes or settings.PACKAGE_UPLOAD_MAX_BYTES

    @property
    def expedited_quota(self) -> int:
        if self.expedited_reviews_per_month is not None:
            return self.expedited_reviews_per_month
        return settings.EXPEDITED_REVIEWS_PER_MONTH


class Membership(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships",
                                     verbose_name=_("organisation"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
                             verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.DEVELOPER)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation__name", "user__email"]
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="one_membership_per_user")]

    def __str__(self):
        # No words and no role: the audit log stores this as its target's label, one text for readers of every
        # language (the role is in the event's before/after, which are shown in the reader's language).
        return f"{self.user} · {self.organisation}"


class Invitation(models.Model):
    """An email invitation. Only a hash of the link's token is stored."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations",
                                     verbose_name=_("organisation"))
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.DEVELOPER)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("invited by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.organisation}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()

    # A resend revokes the pending invitation it replaces, and nothing records which it was: "revoked" alone told
    # someone holding the replaced link that an admin had withdrawn it.
    STATUS_LABELS = {"accepted": _("already used"), "revoked": _("revoked or replaced by a newer invitation"),
                     "expired": _("expired"),
                     "pending": _("pending")}

    @property
    def status_label(self) -> str:
        return self.STATUS_LABELS[self.status]

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class ApiKey(models.Model):
    """An organisation API key. The secret is shown once; only its SHA-256 is kept."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_keys",
                                     verbose_name=_("organisation"))
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True,
                              help_text=_("Public part of the key, shown in lists."))
    key_hash = models.CharField(_("key hash"), max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


# How platform staff appear to organisations (console.selectors.with_public_actor); stored in English,
# shown in the reader's language.
PLATFORM_REVIEW_ACTOR = "Platform review"
PLATFORM_ACTOR = "Platform"
PUBLIC_ACTOR_LABELS = {PLATFORM_REVIEW_ACTOR: _("Platform review"), PLATFORM_ACTOR: _("Platform")}


class AuditEvent(models.Model):
    """One state change: who did what to which object, with before and after."""

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events",
        verbose_name=_("organisation"),
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              verbose_name=_("actor"))
    actor_label = models.CharField(_("actor's name"), max_length=200,
                                   help_text=_("Who acted, kept even if the user is deleted."))
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.CharField(_("target type"), max_length=80)
    target_id = models.CharField(_("target ID"), max_length=64)
    target_label = models.CharField(_("target"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "-created_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self):
        return f"{self.actor_label} {self.action} {self.target_type}:{self.target_id}"

    @property
    def shown_actor(self) -> str:
        """Who acted, as an organisation may see it (needs `with_public_actor`; else the stored label)."""
        from console.audit_words import actor_words

        label = getattr(self, "public_actor", self.actor_label)
        return str(PUBLIC_ACTOR_LABELS.get(label, actor_words(label)))

    @property
    def action_label(self) -> str:
        """The action in words for people (the stored code stays for filters and the API)."""
        from console.audit_words import action_label

        return action_label(self.action)

    @property
    def target_type_label(self) -> str:
        from console.audit_words import target_type_label

        return target_type_label(self.target_type)

    @property
    def changes(self):
        """Before/after as readable field changes (see console.audit_words.field_changes)."""
        from console.audit_words import field_changes

        return field_changes(self.before, self.after)


# ---------------------------------------------------------------- notifications and webhooks


class NotificationEvent(models.TextChoices):
    """What domain apps notify about; also the webhook event names (SPEC §8), so the values are a contract."""

    SCAN_FINISHED = "scan.finished", _("Scan finished")
    REVIEW_DECIDED = "review.decided", _("Review decided")
    REVIEW_MESSAGE = "review.message", _("Review message")
    RELEASE_CHANGED = "release.changed", _("Release changed")
    WHITELIST_DECIDED = "whitelist.decided", _("Whitelist request decided")
    WHITELIST_EXPIRING = "whitelist.expiring", _("Whitelist grant expiring")
    WHITELIST_EXPIRED = "whitelist.expired", _("Whitelist grant expired")
    WHITELIST_CHANGED = "whitelist.changed", _("Whitelist grant's caps changed")
    WHITELIST_REVOKED = "whitelist.revoked", _("Whitelist grant revoked")


class Notification(models.Model):
    """One in-app message to one user.

    `title` and `body` are in the language the user had when it was created (what the email said);
    `texts` holds them in every language of the console, so that the list reads in the language the
    user reads now (a switch to Chinese left every earlier notification English).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                             verbose_name=_("user"))
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications",
        verbose_name=_("organisation"),
    )
    event = models.CharField(_("event"), max_length=40, choices=NotificationEvent.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    texts = models.JSONField(_("texts in every language"), default=dict, blank=True)  # {language: {"title": …, "body": …}}
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            # The shell counts unread notifications on every page: a small partial index keeps that cheap.
            models.Index(fields=["user"], condition=models.Q(read_at__isnull=True), name="notification_user_unread"),
        ]

    def __str__(self):
        return f"{self.title} → {self.user}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def shown_title(self) -> str:
        """The title in the reader's language, where it was rendered in it (older rows have only `title`)."""
        return self._shown().get("title", self.title)

    @property
    def shown_body(self) -> str:
        return self._shown().get("body", self.body)

    def _shown(self) -> dict:
        return self.texts.get(get_language() or "") or {}


class NotificationPreference(models.Model):
    """A user's email choices. In-app notifications are always kept; emails can be turned off per event."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference",
        verbose_name=_("user"),
    )
    email_muted_events = models.JSONField(_("events not emailed"), default=list, blank=True,
                                          help_text=_("Events not to email about."))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return f"Notification preferences of {self.user}"

    def wants_email(self, event: str) -> bool:
        return event not in self.email_muted_events


class WebhookEndpoint(models.Model):
    """An organisation's URL that receives signed POSTs for the events it subscribes to.

    The secret is needed to sign every delivery (a hash could not sign), so it is kept sealed
    (`console.sealing`), not hashed. Only members who manage the organisation ever see it.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints",
                                     verbose_name=_("organisation"))
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=120, blank=True)
    secret = SealedCharField(_("signing secret"), max_length=255)
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.shown_url

    @property
    def shown_url(self) -> str:
        """The URL's scheme, host and port, for the audit log and lists that everyone in the organisation reads:
        receivers often carry a token in the path or query (Slack's hooks.slack.com/services/T…/B…/<secret>).
        The endpoint's own page, for those who manage webhooks, shows it whole."""
        try:
            parts = urlsplit(self.url)
            origin = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
        except ValueError:
            return "…"
        return origin if self.url.rstrip("/") == origin else f"{origin}/…"

    def subscribes_to(self, event: str) -> bool:
        return event in self.events


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one endpoint; its attempts, last response and retry plan."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("a delivery not sent yet", "Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    # The only moves a delivery makes; a retry keeps it pending.
    TRANSITIONS: dict[str, set[str]] = {
        Status.PENDING: {Status.PENDING, Status.SUCCEEDED, Status.FAILED},
        Status.SUCCEEDED: set(),
        Status.FAILED: set(),
    }

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 verbose_name=_("webhook endpoint"))
    event = models.CharField(_("event"), max_length=40)
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_body = models.TextField(_("response body"), blank=True, help_text=_("The first 2 KB of the last response."))
    error = models.TextField(_("last error"), blank=True)
    attempt_log = models.JSONField(
        _("attempt log"), default=list, blank=True,
        help_text=_("One entry per attempt: number, time, response code, error."),
    )
    next_retry_at = models.DateTimeField(_("next retry at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    redelivery_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                      verbose_name=_("redelivery of"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
            models.Index(fields=["status", "next_retry_at"], name="webhook_delivery_due"),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint} ({self.status})"


class IdempotentRequest(models.Model):
    """A write sent to the API with an `Idempotency-Key`, and the answer it got: the same key sent again by the
    same caller gets that answer back instead of a second write (console.idempotency)."""

    # Whose key: "key:<ApiKey id>" or "user:<User id>" (a session).
    scope = models.CharField(_("caller"), max_length=40)
    key = models.CharField(_("idempotency key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64,
                                   help_text=_("SHA-256 of the method, path, content type and body."))
    status_code = models.PositiveSmallIntegerField(_("answer status"), null=True)
    # Those of the answer that describe it (console.idempotency.KEPT_HEADERS).
    headers = models.JSONField(_("answer headers"), default=dict)
    # Sealed (console.sealing): a webhook's creation answers its secret.
    body = models.BinaryField(_("answer (sealed)"), default=b"")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotent_request_unique_key")]

    def __str__(self):
        return f"{self.scope} {self.key}"
