"""Forms of the notifications page and the webhook pages (input only; the services hold the rules)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from console.models import NotificationEvent, WebhookDelivery
from console.notify.webhooks import private_targets_allowed


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label=_("Payload URL"), max_length=500, assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/console"}),
        help_text=_("HTTPS only. We POST JSON here, signed with the endpoint's secret."),
    )
    description = forms.CharField(label=_("Description"), max_length=120, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=NotificationEvent.choices, widget=forms.CheckboxSelectMultiple,
        initial=NotificationEvent.values,
    )


    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if private_targets_allowed():
            self.fields["url"].help_text = _(
                "HTTPS only (in development, plain http to 127.0.0.1 or localhost works too). "
                "We POST JSON here, signed with the endpoint's secret."
            )


class NotificationPreferenceForm(forms.Form):
    email_events = forms.MultipleChoiceField(
        label=_("Email me about"), choices=NotificationEvent.choices, widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Unticked events still appear here, in the console; they are just not emailed."),
    )


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *WebhookDelivery.Status.choices],
        widget=forms.Select(attrs={"class": "input", "aria-label": _("Status")}),
    )
    event = forms.ChoiceField(
        label=_("Event"), required=False, choices=[("", _("All events")), ("ping", "ping"), *NotificationEvent.choices],
        widget=forms.Select(attrs={"class": "input", "aria-label": _("Event")}),
    )
