from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "distribution"
    verbose_name = "Distribution"

    def ready(self):
        from console.audit_words import register_value_labels
        from distribution import panels  # noqa: F401  (registers the program page's distribution card)
        from distribution.models import Grant, WhitelistRequest

        register_value_labels(WhitelistRequest.Status)
        register_value_labels(Grant.Status)
