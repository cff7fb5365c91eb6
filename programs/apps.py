from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Mini-programs")

    def ready(self):
        from console.audit_words import register_field_value_names, register_value_labels
        from programs import metrics, panels  # noqa: F401  (register the dashboard panel and the metrics)
        from programs.models import Version
        from programs.selectors import category_names_of

        register_value_labels(Version.Status)
        register_value_labels(Version.UploadMethod)  # "Upload method: CLI", not "cli"
        register_field_value_names("categories", category_names_of)  # "Categories: 娱乐", not "entertainment"

