"""Each stats user's day of being new, so that a second `new_user` for the same person counts nothing.

Users counted new before this migration get the day of the earliest "new" set that holds them (the
all-hosts level), read from the stored bitmaps: the raw events may have passed their retention.
"""

from collections import defaultdict

from django.db import migrations, models


def _ordinals(bits: bytes):
    value = int.from_bytes(bits, "little")
    while value:
        low = value & -value
        yield low.bit_length() - 1
        value ^= low


def backfill_new_on(apps, schema_editor):
    user_set = apps.get_model("stats", "UserSet")
    stats_user = apps.get_model("stats", "StatsUser")
    new_sets = user_set.objects.filter(kind="new", host="", scene="").order_by("program_id", "day")
    first_day: dict[int, dict[int, object]] = defaultdict(dict)
    for program_id, day, bits in new_sets.values_list("program_id", "day", "bits").iterator():
        for ordinal in _ordinals(bytes(bits)):
            first_day[program_id].setdefault(ordinal, day)
    for program_id, days in first_day.items():
        by_day = defaultdict(list)
        for ordinal, day in days.items():
            by_day[day].append(ordinal)
        for day, ordinals in by_day.items():
            for start in range(0, len(ordinals), 500):
                stats_user.objects.filter(program_id=program_id, ordinal__in=ordinals[start:start + 500]).update(new_on=day)


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0009_early_arrival'),
    ]

    operations = [
        migrations.AddField(
            model_name='statsuser',
            name='new_on',
            field=models.DateField(blank=True, help_text="The day of the user's new_user event that counted; a later one for the same user counts nothing.", null=True),
        ),
        migrations.RunPython(backfill_new_on, migrations.RunPython.noop),
    ]
