"""The embedded broker: kombu's file-system transport, driven by the worker's event loop.

Why not plain `filesystem://`: kombu marks that transport synchronous, so Celery runs
its worker in the blocking `synloop` with billiard's *threaded* prefork pool, where
every idle child waits for work on one shared pipe guarded by one shared lock. A child
killed with SIGKILL while it holds that lock (an idle child always does) takes the lock
to its grave: the replacement children block on it forever, the worker keeps receiving
messages that no child ever runs, and only a restart helps. The blocking loop also
sleeps a whole `polling_interval` (1 s) after every empty poll, so the worker picked
up about one task a second.

This transport declares itself asynchronous and polls the queue folder from the worker's
event loop (the hub) on every turn of the loop, with a timer that turns it at least every
`POLL_SECONDS`. Celery then runs the same `asynloop` and `AsynPool` as on Redis: one
pipe per child, children watched through their process sentinels, a killed child replaced
and its task rejected (and, with `task_reject_on_worker_lost`, re-queued). Polling on every
turn means a child that finishes a task takes the next one at once (its result wakes the
loop), not at the next tick. Messages are still files under var/broker/; publishing
now writes each one under a hidden name and renames it into place (see `Channel._put`).

Alternatives considered: kombu's SQLAlchemy transport is just as synchronous (same
wedge, plus a new dependency); the solo or threads pool cannot enforce the scan time
limit; a supervisor that restarts a wedged worker treats the symptom.
"""

import functools
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

POLL_SECONDS = 0.05  # an empty poll is a directory listing: ~20 of them a second cost nothing
MAX_MESSAGES_PER_POLL = 100  # let the loop serve the pool between bursts


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Write the message under a name no reader matches, then rename it into the queue.

        kombu creates the file under its final name and then writes it, so a reader polling
        every 50 ms could take an empty file: the worker crashed on the JSON error and the
        message was gone. A rename within one folder is atomic: readers see all or nothing.
        """
        filename = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, filename)
        partial = os.path.join(self.data_folder_out, f".{filename}.partial")  # "_get" skips it
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
    implements = filesystem.Transport.implements.extend(asynchronous=True)
    polling_interval = POLL_SECONDS  # also used by a blocking `drain_events` (producers, tools)
    # A folder, not a server: no host name for kombu to fill in (it warns "No hostname was supplied").
    default_connection_params = {}

    def register_with_event_loop(self, connection, loop):
        self._on_tick = functools.partial(self._drain_ready, connection)
        loop.on_tick.add(self._on_tick)
        loop.call_repeatedly(self.polling_interval, _wake)

    def unregister_from_event_loop(self, connection, loop):
        loop.on_tick.discard(getattr(self, "_on_tick", None))

    def _drain_ready(self, connection) -> None:
        """Deliver what is waiting now (as far as the prefetch limit allows), never blocking.

        With every pool child busy the channel refuses before listing the folder, so the
        frequent calls cost nothing while the worker is saturated.
        """
        for _ in range(MAX_MESSAGES_PER_POLL):
            try:
                self.drain_events(connection, timeout=0)
            except TimeoutError:  # socket.timeout: nothing (more) to deliver now
                return


def _wake() -> None:
    """A timer entry only so that the loop turns (and polls, in on_tick) while nothing else happens."""
