from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Mini-programs"

    def ready(self):
        from console.audit_words import register_value_labels
        from programs import panels  # noqa: F401  (registers the dashboard panel)
        from programs.models import Version

        register_value_labels(Version.Status)
