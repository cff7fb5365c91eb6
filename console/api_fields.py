"""Serializer fields of our own, for the API's input."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class ChoiceField(serializers.ChoiceField):
    """DRF's ChoiceField, whose refusal names what may be sent: `"year" is not one of "day", "week", "month".`
    DRF's says only `"year" is not a valid choice.`, and a client had to open the schema to find the choices."""

    default_error_messages = {"invalid_choice": _('"{input}" is not one of {choices}.')}

    def fail(self, key, **kwargs):
        if key == "invalid_choice":
            kwargs["choices"] = ", ".join(f'"{choice}"' for choice in self.choice_strings_to_values)
        super().fail(key, **kwargs)
