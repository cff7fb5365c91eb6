"""Django's own words that our Chinese catalog words better (ours is read before Django's).

Only here so that `makemessages` keeps them in our catalog: Django's "%(num)d 月" reads as a month's
name ("2 月" is February), so "2 months, 3 weeks" on the grants list read as a date; "%(num)d 日" is
a day of the month, where "天" counts days.
"""

from django.utils.translation import ngettext_lazy

TIMESINCE = (
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
)
