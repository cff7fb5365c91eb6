"""A scene's rule in plain words, in the reader's language (the scene catalog page and the request form)."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from console.words import list_words
from hosts.models import Scene

K = Scene.PlacementKind


def window_words(seconds: int) -> str:
    named = {60: _("per minute"), 3600: _("per hour"), 86400: _("per day"), 604800: _("per week")}
    if seconds in named:
        return named[seconds]
    return _("per %(n)d seconds") % {"n": seconds}


def share_cap_words(cap: int | None, window: int) -> str:
    if cap is None:
        return _("No share cap.")
    return ngettext("At most %(n)d share per program per user %(window)s.",
                    "At most %(n)d shares per program per user %(window)s.", cap) % {
        "n": cap, "window": window_words(window)}


def rule_lines(scene: Scene, category_names: dict[str, str]) -> list[str]:
    """One sentence per part of the rule that applies, most important first."""
    lines = [_("Needs a whitelist grant from the host's operators.") if scene.needs_whitelist
             else _("Open to every released program approved for this host.")]
    if scene.allowed_categories:
        names = list_words(category_names.get(code, code) for code in scene.allowed_categories)
        lines.append(_("Only these categories: %(names)s.") % {"names": names})
    if scene.service_types_only:
        lines.append(_("Only service-type categories (life services, public welfare …)."))
    if scene.needs_verified_org:
        lines.append(_("Only verified organisations."))
    if scene.share_cap is not None:
        lines.append(share_cap_words(scene.share_cap, scene.share_window_seconds))
    if scene.daily_cap is not None:
        lines.append(ngettext("At most %(n)d distribution per program per day.",
                              "At most %(n)d distributions per program per day.", scene.daily_cap) % {
            "n": scene.daily_cap})
    if scene.needs_whitelist:
        if scene.default_rollout_percent < 100:
            lines.append(_("New grants reach %(p)d %% of the host's users at first.") % {
                "p": scene.default_rollout_percent})
        lines.append(ngettext("A grant lasts at most %(n)d day.", "A grant lasts at most %(n)d days.",
                              scene.max_grant_days) % {"n": scene.max_grant_days})
    if scene.evidence_required:
        lines.append(_("Requests need evidence files."))
    if scene.placement_kind:
        lines.append({K.ACCOUNT: _("A grant names the Weibo accounts whose profile shows the card."),
                      K.TOPIC: _("A grant names the topics, their time window and a landing page."),
                      K.LOTTERY: _("A grant names the lottery campaigns, their window and a claim page.")
                      }[scene.placement_kind])
    if not scene.is_active:
        lines.insert(0, _("Paused by the platform's operators: no program appears here for now."))
    return lines
