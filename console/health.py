"""/healthz/: the database, cache, storage, broker, workers and beat, checked for real (django-health-check).

JSON, 200 when every check passes and 503 when one fails, so that a load balancer or an orchestrator
takes the instance out. The checks name no credentials: the broker and the cache are named by kind only.
"""

import dataclasses
import datetime
import time

from django.core.cache import cache
from health_check.base import HealthCheck
from health_check.checks import Cache, Database, Storage
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from kombu.exceptions import ChannelError

from console.celery import app as celery_app

HEARTBEAT_KEY = "health:heartbeat"
# Beat sends the heartbeat task every minute (settings.CELERY_BEAT_SCHEDULE); three missed beats fail.
HEARTBEAT_MAX_AGE = datetime.timedelta(minutes=3)


def heartbeat_record() -> float:
    """Called by the heartbeat task, on a worker: beat scheduled it and a worker ran it."""
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker answers: a passive declare of the default queue is a round trip on every transport
    (a Redis connection is lazy, so connecting alone proves nothing)."""

    timeout = datetime.timedelta(seconds=3)

    def run(self):
        try:
            with celery_app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
                try:
                    connection.default_channel.queue_declare(queue="celery", passive=True)
                except ChannelError:  # "no such queue yet" is an answer too
                    pass
        except Exception as exc:
            raise ServiceUnavailable("The broker cannot be reached.") from exc

    def __repr__(self):
        return "Broker"


@dataclasses.dataclass
class Workers(HealthCheck):
    """Live workers answer a broadcast (Celery's ping, asking for their queues); every queue the console
    routes tasks to (settings.CELERY_TASK_ROUTES and the default) has a consumer."""

    queues: tuple = ("celery", "scans", "maintenance")
    # The broadcast waits 1.5 s for every worker's answer; the file-system broker adds ~1.5 s of polling.
    timeout = datetime.timedelta(seconds=4)

    def run(self):
        try:
            replies = celery_app.control.inspect(timeout=1.5).active_queues() or {}
        except OSError as exc:
            raise ServiceUnavailable("The broker cannot be reached.") from exc
        if not replies:
            raise ServiceUnavailable("No worker answers.")
        consumed = {queue.get("name") for queues in replies.values() for queue in queues}
        for queue in self.queues:
            if queue not in consumed:
                raise ServiceUnavailable(f"No worker consumes the queue {queue}.")

    def __repr__(self):
        return "Workers"


@dataclasses.dataclass
class Heartbeat(HealthCheck):
    """Beat scheduled the heartbeat task lately and a worker ran it."""

    def run(self):
        beat = cache.get(HEARTBEAT_KEY)
        if beat is None:
            raise ServiceUnavailable("No heartbeat from beat and the workers yet.")
        age = time.time() - beat
        if age > HEARTBEAT_MAX_AGE.total_seconds():
            raise ServiceUnavailable(f"The last heartbeat is {int(age)} seconds old.")

    def __repr__(self):
        return "Heartbeat"


class HealthView(HealthCheckView):
    checks = (Database, Cache, Storage, Broker, Workers, Heartbeat)

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        # django-health-check answers 500 for a failed check; "unavailable" is what a balancer expects.
        if response.status_code == 500:
            response.status_code = 503
        return response

    async def dispatch(self, request, *args, **kwargs):
        request.META["HTTP_ACCEPT"] = "application/json"  # JSON whatever the client asks for
        return await super().dispatch(request, *args, **kwargs)
