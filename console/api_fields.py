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


class StrictInput:
    # A request body's serializer that refuses the fields it does not read. DRF drops unknown fields in silence:
    # `PATCH {"slogn": "…"}` answered 200 with nothing changed, and a script could not tell its typo from
    # success. Mixed in before `serializers.Serializer`; the schema says `additionalProperties: false` for these
    # bodies (`console.openapi.strict_inputs_say_so`). Comments, not a docstring: drf-spectacular shows the
    # nearest docstring in the serializer's class hierarchy as the description of every body that uses it.

    # Sent by a browser's form along with the fields; never a field of ours.
    IGNORED = frozenset({"csrfmiddlewaretoken"})

    def to_internal_value(self, data):
        if isinstance(data, dict):  # QueryDict too; anything else is DRF's own refusal
            known = [name for name, field in self.fields.items() if not field.read_only]
            unknown = sorted(str(name) for name in data if name not in known and name not in self.IGNORED)
            if unknown:
                message = _("Unknown field: this call reads only %(fields)s.") % {"fields": ", ".join(known)}
                raise serializers.ValidationError({name[:100]: [message] for name in unknown[:20]})
        return super().to_internal_value(data)
