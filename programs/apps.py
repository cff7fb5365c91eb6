from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Mini-programs")

    def ready(self):
        from django.utils.functional import lazy

        from console.audit_words import register_field_labels, register_field_value_names, register_value_labels
        from programs import metrics, panels  # noqa: F401  (register the dashboard panel and the metrics)
        from programs.models import Version, personal_info_label
        from programs.scanning.personal_info import PERSONAL_INFO_KINDS
        from programs.selectors import category_names_of

        register_value_labels(Version.Status)
        register_value_labels(Version.UploadMethod)  # "Upload method: CLI", not "cli"
        register_field_value_names("categories", category_names_of)  # "Categories: 娱乐", not "entertainment"
        # A privacy declaration is audited as {kind: purpose}: "手机号: …", not "Phone number: …" on a Chinese page.
        register_field_labels({kind: lazy(personal_info_label, str)(kind) for kind in PERSONAL_INFO_KINDS})

