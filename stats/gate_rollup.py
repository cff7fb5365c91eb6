"""The share gate's recorded answers, rolled up per program × scene × day × reason for operators.

The gate records each answer in the runtime store without touching the database; a beat task
takes them in batches (`distribution.gate.gate_answers_take`) and adds them up here, once per batch:
the batch's token is stored with its counts, in one transaction.
"""

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from stats.models import GateBatch

BATCH = 5_000
# A token must outlive any chance of its batch being taken again: that is minutes (the next beat).
BATCH_TOKENS_KEPT = timedelta(days=7)


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


@transaction.atomic
def gate_batch_store(token: str, answers: list[dict]) -> int:
    """Count a taken batch unless its token says it was counted already; returns how many answers were counted."""
    _, created = GateBatch.objects.get_or_create(token=token, defaults={"counted_at": timezone.now()})
    return gate_answers_store(answers) if created else 0


def gate_batch_tokens_prune() -> int:
    return GateBatch.objects.filter(counted_at__lt=timezone.now() - BATCH_TOKENS_KEPT).delete()[0]
