"""Counts of findings in words, with plurals right in every language ("1 error", not "1 errors")."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy


def errors_phrase(n: int):
    return ngettext_lazy("%(n)s error", "%(n)s errors", "n") % {"n": n}


def warnings_phrase(n: int):
    return ngettext_lazy("%(n)s warning", "%(n)s warnings", "n") % {"n": n}


def notices_phrase(n: int):
    return ngettext_lazy("%(n)s notice", "%(n)s notices", "n") % {"n": n}


def finding_counts(*, errors: int, warnings: int, notices: int | None = None):
    """'1 error, 2 warnings' (and ', 3 notices' when given), translated lazily."""
    if notices is None:
        return format_lazy(_("{errors}, {warnings}"), errors=errors_phrase(errors), warnings=warnings_phrase(warnings))
    return format_lazy(_("{errors}, {warnings}, {notices}"), errors=errors_phrase(errors),
                       warnings=warnings_phrase(warnings), notices=notices_phrase(notices))
