from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistributionConfig(AppConfig):
    name = "distribution"
    verbose_name = _("Distribution")

    def ready(self):
        from console.audit_words import register_value_labels
        from distribution import panels  # noqa: F401  (registers the program page's distribution card)
        from distribution.models import Grant, WhitelistRequest

        register_value_labels(WhitelistRequest.Status)
        register_value_labels(Grant.Status)
