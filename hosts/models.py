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
