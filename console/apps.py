from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Console"

    def ready(self):
        from console.audit_words import register_value_labels
        from console.roles import Role

        register_value_labels(Role)
