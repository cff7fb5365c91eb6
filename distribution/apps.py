from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "distribution"
    verbose_name = "Distribution"

    def ready(self):
        from distribution import panels  # noqa: F401  (registers the program page's distribution card)
