from django import template

from console.words import list_words as _list_words

register = template.Library()


@register.filter
def list_words(items) -> str:
    """`{{ names|list_words }}`: joined as the reader's language lists them (console.words.list_words)."""
    return _list_words(items or [])
