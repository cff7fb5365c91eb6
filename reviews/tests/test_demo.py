"""The reviews demo data: versions waiting in the queue, a past decision and a thread; safe to load twice."""

import pytest

from console import demo as console_demo
from programs.models import Version
from reviews import demo
from reviews.models import ReviewDecision, ReviewMessage
from reviews.selectors import QueueFilters, review_queue

pytestmark = pytest.mark.django_db


def _load():
    data = console_demo.Demo()
    console_demo.load(data)
    demo.load(data)
    return data


def test_demo_fills_the_queue_and_is_idempotent():
    data = _load()
    reviewer = data.users["reviewer"]
    waiting = {v.program.name for v in review_queue(reviewer=reviewer, filters=QueueFilters())}
    assert {"Tea Timer", "Night Market", "Harbour Ferry"} <= waiting
    assert Version.objects.get(program__name="Metro Card").awaiting_developer
    counts = (Version.objects.count(), ReviewDecision.objects.count(), ReviewMessage.objects.count())
    _load()
    assert (Version.objects.count(), ReviewDecision.objects.count(), ReviewMessage.objects.count()) == counts
    assert ReviewMessage.objects.filter(version__program__name="Harbour Ferry", from_reviewer=False).count() == 2
