"""Template helpers of the distribution pages: states as badges, caps and rules in words."""

from django import template

from distribution.rules import share_cap_words, window_words

register = template.Library()

BADGES = {
    "open": "badge-ok", "eligible": "badge-info", "not_eligible": "", "requested": "badge-warn",
    "granted": "badge-ok", "expiring": "badge-warn", "expired": "", "rejected": "badge-err", "revoked": "badge-err",
    "pending": "badge-warn", "approved": "badge-ok", "withdrawn": "", "active": "badge-ok", "renewed": "",
    "paused": "badge-warn",
}


@register.filter
def state_badge(state: str) -> str:
    return BADGES.get(state, "")


@register.filter
def grant_caps(grant) -> str:
    """“At most 1 share per program per user per hour.” from the grant's caps (the scene's where it sets none)."""
    return share_cap_words(grant.effective_share_cap(), grant.effective_share_window())


@register.filter
def window(seconds) -> str:
    return window_words(int(seconds)) if seconds else ""


@register.filter
def action_words(action: str) -> str:
    from distribution.lifecycle import AUDIT_WORDS

    return str(AUDIT_WORDS.get(action, action))


@register.filter
def actor_words(label: str) -> str:
    """Stored audit labels in the reader's language; operators stay behind the platform's name."""
    from django.utils.translation import gettext

    from console.audit_words import actor_words as console_actor_words
    from distribution.lifecycle import OPERATOR_LABEL

    return {OPERATOR_LABEL: gettext("Platform operations"), "system": gettext("System")}.get(
        label, console_actor_words(label))


@register.filter
def host_name(host) -> str:
    """The host's name in the reader's language (hosts are catalog data, not gettext strings)."""
    from django.utils.translation import get_language

    return host.name_zh if host.name_zh and (get_language() or "").startswith("zh") else host.name
