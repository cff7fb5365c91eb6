"""Small pieces of wording shared by every app."""

from collections.abc import Iterable

from django.utils.translation import pgettext


def list_words(items: Iterable) -> str:
    """Items joined as the reader's language lists them: "a, b, c"; in Chinese "a、b、c" (a half-width comma
    between Chinese names read as a typo)."""
    return pgettext("between names in a list", ", ").join(str(item) for item in items)
