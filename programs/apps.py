from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Mini-programs"

    def ready(self):
        from programs import metrics, panels  # noqa: F401  (register the dashboard panel and the metrics)
