from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = "Statistics"

    def ready(self):
        from stats import panels  # noqa: F401  (registers the stats card on the program page)
