"""The admin site: staff only, and only once the session passed the second factor."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class ConsoleAdminSite(admin.AdminSite):
    site_header = "Mini-program console administration"
    site_title = "Console admin"

    def has_permission(self, request):
        # StaffTwoFactorMiddleware already sends an unverified session to the second step; this holds even
        # where the middleware is left out.
        verified = getattr(request.user, "is_verified", lambda: False)()
        return super().has_permission(request) and verified


class ConsoleAdminConfig(AdminConfig):
    """django.contrib.admin with ConsoleAdminSite as the default `admin.site` (INSTALLED_APPS names this)."""

    default_site = "console.admin_site.ConsoleAdminSite"
