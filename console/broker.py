"""The embedded broker: kombu's file-system transport, driven by the worker's event loop.

Why not plain `filesystem://`: kombu marks that transport synchronous, so Celery runs
its worker in the blocking `synloop` with billiard's *threaded* prefork pool, where
every idle child waits for work on one shared pipe guarded by one shared lock. A child
killed with SIGKILL while it holds that lock (an idle child always does) takes the lock
to its grave: the replacement children block on it forever, the worker keeps receiving
messages that no child ever runs, and only a restart helps. The blocking loop also
sleeps a whole `polling_interval` (1 s) after every empty poll, so the worker picked
up about one task a second.

This transport declares itself asynchronous and polls the queue folder from a timer
of the worker's event loop (the hub), every `POLL_SECONDS`. Celery then runs the same
`asynloop` and `AsynPool` as on Redis: one pipe per child, children watched through
their process sentinels, a killed child replaced and its task rejected (and, with
`task_reject_on_worker_lost`, re-queued). Nothing else changes: messages are still
files under var/broker/, and the web process publishes exactly as before.

Alternatives considered: kombu's SQLAlchemy transport is just as synchronous (same
wedge, plus a new dependency); the solo or threads pool cannot enforce the scan time
limit; a supervisor that restarts a wedged worker treats the symptom.
"""

from kombu.transport import filesystem

POLL_SECONDS = 0.05  # an empty poll is a directory listing: ~20 of them a second cost nothing
MAX_MESSAGES_PER_POLL = 100  # let the loop serve the pool between bursts


class Transport(filesystem.Transport):
    implements = filesystem.Transport.implements.extend(asynchronous=True)
    polling_interval = POLL_SECONDS  # also used by a blocking `drain_events` (producers, tools)

    def register_with_event_loop(self, connection, loop):
        loop.call_repeatedly(self.polling_interval, self._drain_ready, connection)

    def _drain_ready(self, connection) -> None:
        """Deliver what is waiting now (as far as the prefetch limit allows), never blocking."""
        for _ in range(MAX_MESSAGES_PER_POLL):
            try:
                self.drain_events(connection, timeout=0)
            except TimeoutError:  # socket.timeout: nothing (more) to deliver now
                return
