"""Template helpers for privacy declarations: labels in the reader's language, declared vs used."""

from django import template

from programs.models import personal_info_label

register = template.Library()


@register.simple_tag
def privacy_rows(version):
    """Every kind declared or used by the version's code: (label, purpose or "", used, declared).

    The declaration is the one submitted with the version (its `submitted_metadata`), or the program's
    current one for versions submitted before it was recorded; `personal_info` of the scan report lists
    the kinds the code uses.
    """
    declared = (version.submitted_metadata or {}).get("privacy")
    if declared is None:
        declared = {item.kind: item.purpose for item in version.program.privacy_items.all()}
    used = set((version.scan_report or {}).get("personal_info") or [])
    kinds = _ordered(declared.keys() | used)
    return [(personal_info_label(kind), declared.get(kind, ""), kind in used, kind in declared) for kind in kinds]


def _ordered(kinds):
    from programs.scanning.personal_info import PERSONAL_INFO_KINDS

    return [kind for kind in PERSONAL_INFO_KINDS if kind in kinds]
