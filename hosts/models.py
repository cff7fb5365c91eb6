"""The catalog of host platforms (super-apps) that mini-programs are distributed into."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from console.fields import SealedCharField

# "<host>.<scene>" in lower-case letters, digits, _ and -: a scene's code reaches CSV exports, URLs and
# the hosts' own calls, so it cannot start with "=" or "@" or hold spaces.
SCENE_CODE = RegexValidator(
    r"\A[a-z0-9][a-z0-9_-]*\.[a-z0-9][a-z0-9_-]*\Z",
    _("Use “<host>.<scene>”: lower-case letters, digits, _ and -, e.g. “weibo.feed”."),
)


class Host(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True, help_text=_("Stable code, e.g. “weibo”."))
    name = models.CharField(_("name"), max_length=60)
    name_zh = models.CharField(_("Chinese name"), max_length=60, blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="operated_hosts", verbose_name=_("operators"),
        help_text=_("Platform operators who work this host's distribution queue."),
    )

    class Meta:
        verbose_name = _("host")
        verbose_name_plural = _("hosts")
        ordering = ["position", "code"]

    def __str__(self):
        return self.display_name  # in the reader's language wherever it is printed (lists, the admin site)

    @property
    def display_name(self) -> str:
        """The name in the interface language (hosts are catalog data, not gettext strings)."""
        return self.name_zh if self.name_zh and (get_language() or "").startswith("zh") else self.name


class Dialect(models.TextChoices):
    """Mini-program framework dialects a package can be written in."""

    ALIPAY = "alipay", _("Alipay")
    WECHAT = "wechat", _("WeChat")
    DOUYIN = "douyin", _("Douyin")
    BAIDU = "baidu", _("Baidu")


MB = 1024 * 1024


class PackageSizeLimit(models.Model):
    """Package size limits for a dialect, optionally overridden for one host.

    The row with no host is the dialect's default; a row naming a host replaces it
    for scans aimed at that host. Admins edit these; nothing is a constant in code.
    """

    dialect = models.CharField(_("dialect"), max_length=20, choices=Dialect.choices)
    host = models.ForeignKey(Host, null=True, blank=True, on_delete=models.CASCADE, related_name="size_limits",
                             verbose_name=_("host"))
    main_bytes = models.PositiveIntegerField(_("main package limit (bytes)"), default=2 * MB)
    subpackage_bytes = models.PositiveIntegerField(_("each subpackage limit (bytes)"), default=2 * MB)
    full_bytes = models.PositiveIntegerField(_("total limit (bytes)"), default=8 * MB)

    class Meta:
        verbose_name = _("package size limit")
        verbose_name_plural = _("package size limits")
        ordering = ["dialect", "host__code"]
        constraints = [
            models.UniqueConstraint(fields=["dialect", "host"], name="one_limit_per_dialect_and_host"),
            models.UniqueConstraint(
                fields=["dialect"], condition=models.Q(host=None), name="one_default_limit_per_dialect"
            ),
        ]

    def __str__(self):
        # No words of one language (the admin site shows it in either): the dialect, and the host it is for.
        return f"{self.get_dialect_display()} · {self.host}" if self.host_id else str(self.get_dialect_display())

    def as_dict(self) -> dict[str, int]:
        return {"main": self.main_bytes, "subpackage": self.subpackage_bytes, "full": self.full_bytes}


class Scene(models.Model):
    """A place inside a host where a mini-program can appear, with the rule operators tune.

    Scenes and their rules are data: operators tighten caps, open categories or pause a
    scene from the admin site as they learn where the "grey boundary" lies.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")

    class PlacementKind(models.TextChoices):
        NONE = "", _("No placements")
        ACCOUNT = "account", _("Named accounts' profiles")
        TOPIC = "topic", _("Topics with a time window")
        LOTTERY = "lottery", _("Lottery campaigns")

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="scenes", verbose_name=_("host"))
    code = models.CharField(
        _("code"), max_length=60, unique=True, validators=[SCENE_CODE],
        help_text=_("Stable code hosts and integrators use, “<host>.<scene>”, e.g. “weibo.feed”."),
    )
    name = models.CharField(_("name"), max_length=80)
    name_zh = models.CharField(_("Chinese name"), max_length=80, blank=True)
    description = models.TextField(_("description"), max_length=500, blank=True)
    description_zh = models.TextField(_("Chinese description"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    # The rule.
    needs_whitelist = models.BooleanField(
        _("needs a whitelist grant"), default=False,
        help_text=_("Off: open to every released program approved for the host."),
    )
    allowed_categories = models.JSONField(
        _("allowed categories"), default=list, blank=True,
        help_text=_("Category codes allowed in this scene; empty: every category (see also service types only)."),
    )
    service_types_only = models.BooleanField(
        _("service-type categories only"), default=False,
        help_text=_("Only programs whose categories are all service types (life services, public welfare …)."),
    )
    needs_verified_org = models.BooleanField(_("needs a verified organisation"), default=False)
    share_cap = models.PositiveIntegerField(
        _("share cap"), null=True, blank=True,
        help_text=_("Shares allowed per program per host user in each window; empty: no cap."),
    )
    share_window_seconds = models.PositiveIntegerField(_("share cap window (seconds)"), default=3600)
    daily_cap = models.PositiveIntegerField(
        _("daily cap"), null=True, blank=True,
        help_text=_("Distributions allowed per program per day in this scene; empty: no cap."),
    )
    default_rollout_percent = models.PositiveSmallIntegerField(
        _("default rollout %"), default=100, validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    max_grant_days = models.PositiveSmallIntegerField(
        _("longest grant validity (days)"), default=180, validators=[MinValueValidator(1)],
    )
    evidence_required = models.BooleanField(_("evidence files required"), default=False)
    placement_kind = models.CharField(
        _("placements"), max_length=10, choices=PlacementKind.choices, default=PlacementKind.NONE, blank=True,
        help_text=_("What a grant in this scene is bound to, if anything."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("scene")
        verbose_name_plural = _("scenes")
        ordering = ["host__position", "position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(default_rollout_percent__gte=1, default_rollout_percent__lte=100),
                name="scene_rollout_percent_in_range",
            ),
            models.CheckConstraint(condition=models.Q(share_window_seconds__gte=1), name="scene_window_positive"),
        ]

    def __str__(self):
        return self.code

    def clean(self):
        super().clean()
        if self.host_id and self.code and not self.code.startswith(f"{self.host.code}."):
            # The stats read a scene's host from its code (and hosts send it as their own).
            raise ValidationError({"code": _("A scene's code starts with its host's code and a dot, e.g. “%(host)s.feed”.")
                                   % {"host": self.host.code}})

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def display_name(self) -> str:
        if (get_language() or "").startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name

    def display_description(self) -> str:
        if (get_language() or "").startswith("zh") and self.description_zh:
            return self.description_zh
        return self.description


class HostCredential(models.Model):
    """A host platform's API credential: a key id and a secret that signs every call (SPEC §9).

    The secret is shown once, when an admin creates the credential; the server must compute the same
    HMAC (a hash could not), so it is kept sealed (`console.sealing`), not hashed. At most two are active
    per host, so a host can rotate: create the new one, switch, revoke the old one.
    """

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="credentials", verbose_name=_("host"))
    name = models.CharField(_("name"), max_length=80, help_text=_("What the host uses it for, e.g. “production 2026”."))
    key_id = models.CharField(_("key id"), max_length=40, unique=True, editable=False)
    secret = SealedCharField(_("secret"), max_length=255, editable=False)
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"), null=True, blank=True,
        help_text=_("Rate limit for this key; empty: the HOST_REQUESTS_PER_MINUTE setting."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        ordering = ["host__position", "-created_at"]
        verbose_name = _("host credential")
        verbose_name_plural = _("host credentials")

    def __str__(self):
        return f"{self.host.code}: {self.name} ({self.key_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
