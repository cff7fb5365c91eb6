from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Mini-programs"

    def ready(self):
        from programs import panels  # noqa: F401  (registers the dashboard panel)
