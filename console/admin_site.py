"""The admin site: staff only, and only once the session passed the second factor."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class ConsoleAdminSite(admin.AdminSite):
    site_header = _("Mini-program console administration")
    site_title = _("Console administration")

    def has_permission(self, request):
        # StaffTwoFactorMiddleware already sends an unverified session to the second step; this holds even
        # where the middleware is left out.
        verified = getattr(request.user, "is_verified", lambda: False)()
        return super().has_permission(request) and verified


class ConsoleAdminConfig(AdminConfig):
    """django.contrib.admin with ConsoleAdminSite as the default `admin.site` (INSTALLED_APPS names this)."""

    default_site = "console.admin_site.ConsoleAdminSite"
