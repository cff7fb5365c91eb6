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

    # The unknown fields are refused together with the known fields' own errors: `file=` for `package=` said only
    # "Unknown field", and the client fixed it to learn next that `package` was required.
    def to_internal_value(self, data):
        unknown = self._unknown_fields(data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value

    def _unknown_fields(self, data) -> dict[str, list[str]]:
        if not isinstance(data, dict):  # QueryDict too; anything else is DRF's own refusal
            return {}
        known = [name for name, field in self.fields.items() if not field.read_only]
        unknown = sorted(str(name) for name in data if name not in known and name not in self.IGNORED)
        if not unknown:
            return {}
        message = _("Unknown field: this call reads only %(fields)s.") % {"fields": ", ".join(known)}
        return {name[:100]: [message] for name in unknown[:20]}
