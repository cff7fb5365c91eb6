"""The third-party apps the admin site lists, named in our words and in both languages.

django-axes and django-otp name their apps after their labels ("Axes", "Otp_Totp") and ship no
Chinese; django-otp's device names are not even marked for translation. Their entries in
INSTALLED_APPS point here instead, as Django suggests for renaming another package's app.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_otp.plugins.otp_static.apps import DefaultConfig as StaticDefaultConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TotpDefaultConfig

# django-axes marks its names and labels for translation but ships no Chinese: our catalogue holds them
# (listed here so that makemessages keeps them).
AXES_MESSAGES = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Form Data"),
    gettext_noop("Locked Out"),
    gettext_noop("Meta Data"),
    gettext_noop("No"),
    gettext_noop("Not set"),
    gettext_noop("Yes"),
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Time"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Logout Time"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
)


class AxesConfig(AxesAppConfig):
    verbose_name = _("Sign-in lock-out")


class TotpConfig(TotpDefaultConfig):
    verbose_name = _("Two-factor: authenticator apps")

    def ready(self):
        super().ready()
        _name_model(self.get_model("TOTPDevice"), _("authenticator app"), _("authenticator apps"))


class StaticConfig(StaticDefaultConfig):
    verbose_name = _("Two-factor: recovery codes")

    def ready(self):
        super().ready()
        _name_model(self.get_model("StaticDevice"), _("recovery code set"), _("recovery code sets"))
        _name_model(self.get_model("StaticToken"), _("recovery code"), _("recovery codes"))


def _name_model(model, singular, plural) -> None:
    """Name a model of a package whose names are fixed English strings (set once, at start-up)."""
    model._meta.verbose_name, model._meta.verbose_name_plural = singular, plural
