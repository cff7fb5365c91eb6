"""The catalog of host platforms (super-apps) that mini-programs are distributed into."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Host(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True, help_text=_("Stable code, e.g. “weibo”."))
    name = models.CharField(_("name"), max_length=60)
    name_zh = models.CharField(_("Chinese name"), max_length=60, blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)
    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="operated_hosts",
        help_text=_("Platform operators who work this host's distribution queue."),
    )

    class Meta:
        ordering = ["position", "code"]

    def __str__(self):
        return self.name


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
    host = models.ForeignKey(Host, null=True, blank=True, on_delete=models.CASCADE, related_name="size_limits")
    main_bytes = models.PositiveIntegerField(_("main package limit (bytes)"), default=2 * MB)
    subpackage_bytes = models.PositiveIntegerField(_("each subpackage limit (bytes)"), default=2 * MB)
    full_bytes = models.PositiveIntegerField(_("total limit (bytes)"), default=8 * MB)

    class Meta:
        ordering = ["dialect", "host__code"]
        constraints = [
            models.UniqueConstraint(fields=["dialect", "host"], name="one_limit_per_dialect_and_host"),
            models.UniqueConstraint(
                fields=["dialect"], condition=models.Q(host=None), name="one_default_limit_per_dialect"
            ),
        ]

    def __str__(self):
        return f"{self.get_dialect_display()} limits{f' on {self.host}' if self.host_id else ''}"

    def as_dict(self) -> dict[str, int]:
        return {"main": self.main_bytes, "subpackage": self.subpackage_bytes, "full": self.full_bytes}
