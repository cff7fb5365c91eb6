"""The share gate's recorded answers, rolled up per program × scene × day × reason for operators.

The gate records each answer in the runtime store without touching the database; a beat task
takes them in batches (`distribution.gate.gate_answers_drain`) and adds them up here.
"""

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

BATCH = 5_000


def gate_answer_counts(answers: list[dict]) -> Counter:
    zone = ZoneInfo(settings.STATS_TIME_ZONE)
    counts: Counter = Counter()
    for answer in answers:
        try:
            day = datetime.fromisoformat(answer["time"]).astimezone(zone).date()
            key = (str(answer.get("appid") or "")[:40], answer["host"][:30], str(answer.get("scene") or "")[:60], day,
                   bool(answer["allow"]), str(answer.get("reason") or "")[:40])
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # a malformed record is not worth losing the batch over
        counts[key] += 1
    return counts


@transaction.atomic
def gate_answers_store(answers: list[dict]) -> int:
    counts = gate_answer_counts(answers)
    if not counts:
        return 0
    rows = [(*key, n) for key, n in counts.items()]
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO stats_gatedaily (appid, host, scene, day, allowed, reason, count) "
            f"VALUES {placeholders} ON CONFLICT (appid, host, scene, day, allowed, reason) "
            "DO UPDATE SET count = stats_gatedaily.count + excluded.count",
            [value for row in rows for value in row],
        )
    return sum(counts.values())
