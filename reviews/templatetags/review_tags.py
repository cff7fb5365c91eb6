"""Small presentation helpers for the reviewer pages."""

from django import template
from django.template.defaultfilters import filesizeformat

from hosts.selectors import host_names_of

register = template.Library()


@register.filter
def signed_size(delta) -> str:
    """+1.2 KB / −300 bytes / ±0 bytes, for size changes in the diff."""
    if not isinstance(delta, int):
        return ""
    if delta == 0:
        return "±0"
    sign = "+" if delta > 0 else "−"
    return f"{sign}{filesizeformat(abs(delta))}"


@register.filter
def host_names(codes) -> list[str]:
    """Host codes as their names in the reader's language (the catalog's, cached); a code no longer active as is."""
    names = host_names_of(codes or [])
    return [names.get(code, code) for code in codes or []]


@register.filter
def risk_level(score) -> str:
    """A colour band for a risk score: low, medium or high (CSS classes risk-low …)."""
    if score is None:
        return "unknown"
    if score >= 50:
        return "high"
    return "medium" if score >= 20 else "low"


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key) if isinstance(mapping, dict) else key
