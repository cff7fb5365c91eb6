from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = _("Console")

    def ready(self):
        from celery.signals import task_failure

        from console import checks, metrics  # noqa: F401 - checks registers the system checks
        from console.audit_words import register_value_labels
        from console.roles import Role

        task_failure.connect(metrics.task_failure_count, weak=False, dispatch_uid="console.metrics.task_failure")
        register_value_labels(Role)
