from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HostsConfig(AppConfig):
    name = "hosts"
    verbose_name = _("Host platforms")

    def ready(self):
        from console.audit_words import register_field_value_names
        from hosts.selectors import host_names_of

        for field in ("hosts", "approved_hosts"):  # "Hosts: 微博、支付宝", not "weibo, alipay"
            register_field_value_names(field, host_names_of)
