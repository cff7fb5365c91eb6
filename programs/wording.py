"""Counts of findings in words, with plurals right in every language ("1 error", not "1 errors").

Lazy, to the end: `ngettext_lazy(…) % {…}` translates at once, in the language active then. A notification
built in the actor's request or in the worker (English) and rendered for a Chinese recipient read
"2 errors，0 warnings，1 notice。", Chinese commas around English counts.
"""

from collections.abc import Callable

from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


def _when_read(phrase: Callable[[], str]):
    """`phrase()`, called only when the text is read (in the language active then)."""
    return lazy(phrase, str)()


def errors_phrase(n: int):
    return _when_read(lambda: ngettext("%(n)s error", "%(n)s errors", n) % {"n": n})


def warnings_phrase(n: int):
    return _when_read(lambda: ngettext("%(n)s warning", "%(n)s warnings", n) % {"n": n})


def notices_phrase(n: int):
    return _when_read(lambda: ngettext("%(n)s notice", "%(n)s notices", n) % {"n": n})


def finding_counts(*, errors: int, warnings: int, notices: int | None = None):
    """'1 error, 2 warnings' (and ', 3 notices' when given), translated lazily."""
    if notices is None:
        return format_lazy(_("{errors}, {warnings}"), errors=errors_phrase(errors), warnings=warnings_phrase(warnings))
    return format_lazy(_("{errors}, {warnings}, {notices}"), errors=errors_phrase(errors),
                       warnings=warnings_phrase(warnings), notices=notices_phrase(notices))
