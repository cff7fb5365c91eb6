"""Django's Chinese formats, with numbers grouped by thousands as Chinese consoles and our charts show them.

Django's zh_Hans formats group nothing ("9137"), while Chart.js (the browser's zh-CN) writes "9,137": a card
and the axis beside it disagreed.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
