"""Serializer fields shared by the apps' APIs."""

from rest_framework import serializers


class SlugLookupField(serializers.SlugRelatedField):
    """A SlugRelatedField that refuses NUL characters before it queries: PostgreSQL cannot compare text with
    NUL, so the lookup would fail with a DataError (a 500) instead of "does not exist"."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value="\\x00")
        return super().to_internal_value(data)
