from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Mini-programs")

    def ready(self):
        from console.audit_words import register_field_value_names, register_value_labels
        from programs import metrics, panels  # noqa: F401  (register the dashboard panel and the metrics)
        from programs.models import Version

        register_value_labels(Version.Status)
        register_value_labels(Version.UploadMethod)  # "Upload method: CLI", not "cli"
        register_field_value_names("categories", _category_names)  # "Categories: 娱乐", not "entertainment"


def _category_names(codes: list[str]) -> dict[str, str]:
    """Category codes as names in the reader's language; the catalog is read at most once a minute (an audit
    page names the categories of many events)."""
    from django.utils.translation import get_language

    chinese = (get_language() or "").startswith("zh")
    catalog = _CATEGORY_CATALOG.get("all", _category_catalog)
    return {code: (zh if chinese and zh else en) for code, (en, zh) in catalog.items() if code in codes}


def _category_catalog() -> dict[str, tuple[str, str]]:
    from programs.models import Category

    return {code: (name, name_zh) for code, name, name_zh in Category.objects.values_list("code", "name", "name_zh")}


def _memo():
    from hosts.memo import TtlMemo

    return TtlMemo(lambda: 60)


_CATEGORY_CATALOG = _memo()
