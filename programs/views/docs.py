"""The finding-codes page (/docs/findings/): every code of the scanner's registry, grouped by family."""

import re
from dataclasses import dataclass

from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# The order families appear in on the page; any family the registry adds later follows these.
FAMILY_ORDER = ("archive", "structure", "size", "tabbar", "image", "privacy", "network", "code", "secret", "scan")
FAMILY_LABELS = {
    "archive": _("Archive safety"), "structure": _("Dialect and structure"), "size": _("Package sizes"),
    "tabbar": _("tabBar"), "image": _("Images"), "privacy": _("Privacy and permissions"),
    "network": _("Network domains"), "code": _("Code risks"), "secret": _("Leaked secrets"),
    "scan": _("The scan itself"),
}
_BACKTICKS = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class CodeDoc:
    code: str
    severity: str
    title: str
    explanation: str
    weight: int = 0
    fatal: bool = False

    @property
    def family(self) -> str:
        return self.code.split(".", 1)[0]

    @property
    def explanation_html(self) -> str:
        """The explanation with its `backticked` words as <code>, everything else escaped."""
        return mark_safe(_BACKTICKS.sub(r"<code>\1</code>", str(escape(self.explanation))))


def _value(entry, name: str, index: int, default=None):
    """Read a registry entry whether it is an object, a dict or a (severity, title, explanation) tuple."""
    if isinstance(entry, dict):
        return entry.get(name, default)
    if isinstance(entry, tuple | list):
        return entry[index] if len(entry) > index else default
    return getattr(entry, name, default)


def _chinese() -> bool:
    return (get_language() or "").startswith("zh")


def _in_language(entry, name: str, index: int) -> str:
    """The registry's `<name>_zh` text for Chinese readers when it has one, else the English `<name>`.

    Tuple entries carry no Chinese (index None): they always read in English.
    """
    english = str(_value(entry, name, index, "") or "")
    if not _chinese() or isinstance(entry, tuple | list):
        return english
    return str(_value(entry, f"{name}_zh", -1, "") or english)


def _doc(code: str, entry) -> CodeDoc:
    severity = _value(entry, "severity", 0, "")
    return CodeDoc(
        code=code, severity=str(getattr(severity, "value", severity)), title=_in_language(entry, "title", 1),
        explanation=_in_language(entry, "explanation", 2), weight=_value(entry, "weight", 3, 0) or 0,
        fatal=bool(_value(entry, "fatal", 4, False)),
    )


def _registry(name: str = "FINDING_CODES") -> dict:
    try:
        from programs.scanning import codes
    except ImportError:  # the scanner package is mid-change: the page still renders, empty
        return {}
    return getattr(codes, name, None) or {}


@dataclass(frozen=True)
class SignalDoc:
    code: str
    weight: int
    explanation: str


def signal_docs() -> list[SignalDoc]:
    """Risk-score contributions that are not findings (e.g. `signal.location`)."""
    return [SignalDoc(code, _value(entry, "weight", 0, 0) or 0, _in_language(entry, "explanation", 1))
            for code, entry in _registry("RISK_SIGNALS").items()]


def code_docs() -> dict[str, CodeDoc]:
    return {code: _doc(code, entry) for code, entry in _registry().items()}


def _family_rank(family: str) -> tuple:
    return (FAMILY_ORDER.index(family), "") if family in FAMILY_ORDER else (len(FAMILY_ORDER), family)


def families(docs: dict[str, CodeDoc]) -> list[tuple[str, str, list[CodeDoc]]]:
    """[(family, its label, its codes)] in FAMILY_ORDER; codes keep the registry's order."""
    grouped: dict[str, list[CodeDoc]] = {}
    for doc in docs.values():
        grouped.setdefault(doc.family, []).append(doc)
    ordered = sorted(grouped.items(), key=lambda item: _family_rank(item[0]))
    return [(family, FAMILY_LABELS.get(family, family), entries) for family, entries in ordered]


def finding_codes(request):
    docs = code_docs()
    context = {"families": families(docs), "code_count": len(docs), "signals": signal_docs()}
    return render(request, "programs/finding_codes.html", context)
