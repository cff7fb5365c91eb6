"""Template helpers for privacy declarations: labels in the reader's language, declared vs used."""

from django import template

from programs.models import personal_info_label

register = template.Library()


@register.simple_tag
def privacy_rows(program, report):
    """Every kind the program declares or the scanned code uses: (label, purpose or "", used, declared).

    `report` is the version's stored scan report (its `personal_info` lists the kinds code uses).
    """
    declared = {item.kind: item.purpose for item in program.privacy_items.all()}
    used = set((report or {}).get("personal_info") or [])
    kinds = _ordered(declared.keys() | used)
    return [(personal_info_label(kind), declared.get(kind, ""), kind in used, kind in declared) for kind in kinds]


def _ordered(kinds):
    from programs.scanning.personal_info import PERSONAL_INFO_KINDS

    return [kind for kind in PERSONAL_INFO_KINDS if kind in kinds]
