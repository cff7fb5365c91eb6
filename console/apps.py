from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Console"

    def ready(self):
        from celery.signals import task_failure

        from console import metrics

        task_failure.connect(metrics.task_failure_count, weak=False, dispatch_uid="console.metrics.task_failure")
