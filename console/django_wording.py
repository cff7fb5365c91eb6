"""Django's own words that our Chinese catalog words better or that its catalog lacks (ours is read before Django's).

Only here so that `makemessages` keeps them in our catalog: Django's "%(num)d 月" reads as a month's
name ("2 月" is February), so "2 months, 3 weeks" on the grants list read as a date; "%(num)d 日" is
a day of the month, where "天" counts days.
"""

from django.utils.translation import gettext_lazy, ngettext_lazy, npgettext_lazy

TIMESINCE = (
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
)

# timesince and timeuntil (and naturaltime through them) join their two parts with gettext(", "), which Django's
# Chinese makes "，": "4 天，23 小时后" read as two clauses. Chinese writes a span as "4 天 23 小时". Our own lists
# join with pgettext("between list items", ", ") or ("between names in a list", ", "), never with this one.
TIMESINCE_SEPARATOR = gettext_lazy(", ")

# humanize's naturaltime ("3 days ago"): Django's Chinese writes "1 日前" and "1 月前" (a day of the month, a
# month's name), "5小时之前" beside our "3 天前", and "4 天，23 小时之后".
NATURALTIME = (
    npgettext_lazy("naturaltime-past", "%(num)d month", "%(num)d months", "num"),
    npgettext_lazy("naturaltime-past", "%(num)d day", "%(num)d days", "num"),
    npgettext_lazy("naturaltime-future", "%(num)d month", "%(num)d months", "num"),
    npgettext_lazy("naturaltime-future", "%(num)d day", "%(num)d days", "num"),
    gettext_lazy("%(delta)s from now"),
    ngettext_lazy("an hour ago", "%(count)s hours ago", "count"),
    ngettext_lazy("a minute ago", "%(count)s minutes ago", "count"),
    ngettext_lazy("a second ago", "%(count)s seconds ago", "count"),
    ngettext_lazy("a second from now", "%(count)s seconds from now", "count"),
    ngettext_lazy("a minute from now", "%(count)s minutes from now", "count"),
    ngettext_lazy("an hour from now", "%(count)s hours from now", "count"),
)

# The admin's app list names its (visually hidden) columns for screen readers; Django's Chinese lacks them.
ADMIN_APP_LIST = (
    gettext_lazy("Model name"),
    gettext_lazy("Add link"),
    gettext_lazy("Change or view list link"),
)

# Django 5.2 reworded the minimum-length message and its Chinese catalog kept the old wording: the sign-up
# and password pages showed it in English between two Chinese errors.
PASSWORD_TOO_SHORT = ngettext_lazy(  # django.contrib.auth.password_validation.MinimumLengthValidator
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "min_length",
)
