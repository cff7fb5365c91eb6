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

A message a worker takes is not deleted but moved into a `taken` folder under a name that says
which process took it; acknowledging (or rejecting, or handing it back) deletes it. kombu's own
transport deleted it on taking and kept it only in the worker's memory: a worker killed with
SIGKILL lost every message it held, `acks_late` or not. A worker brings the messages of dead
takers back into the queue (`Channel._bring_back_orphans`), as Redis does after its visibility
timeout, but at once.

Alternatives considered: kombu's SQLAlchemy transport is just as synchronous (same
wedge, plus a new dependency); the solo or threads pool cannot enforce the scan time
limit; a supervisor that restarts a wedged worker treats the symptom.
"""

import functools
import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads
from kombu.utils.objects import cached_property

POLL_SECONDS = 0.05  # an empty poll is a directory listing: ~20 of them a second cost nothing
MAX_MESSAGES_PER_POLL = 100  # let the loop serve the pool between bursts
ORPHAN_CHECK_SECONDS = 2.0  # how often a worker looks for messages held by dead processes


def process_mark(pid: int) -> str | None:
    """A process id with its start time, so that a later process given the same id is not taken for it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:  # no /proc here (macOS): the id alone
        return str(pid) if _alive(pid) else None
    return f"{pid}-{stat.rsplit(')', 1)[1].split()[19]}"  # field 22, start time in clock ticks


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Channel(filesystem.Channel):
    _orphans_checked = 0.0

    @cached_property
    def taken_folder(self) -> str:
        folder = self.transport_options.get("taken_folder") or os.path.join(
            os.path.dirname(os.path.abspath(self.data_folder_in)), "taken")
        os.makedirs(folder, exist_ok=True)
        return folder

    @cached_property
    def _taken(self) -> dict:  # delivery tag -> the taken file
        return {}

    @cached_property
    def _no_ack_queues(self) -> set:
        return set()

    _getting_without_ack = False

    @cached_property
    def _own_mark(self) -> str:  # read once: `_get` runs on every turn of the worker's loop
        return process_mark(os.getpid())

    def basic_consume(self, queue, no_ack, callback, consumer_tag, **kwargs):
        if no_ack:
            self._no_ack_queues.add(queue)
        return super().basic_consume(queue, no_ack, callback, consumer_tag, **kwargs)

    def basic_get(self, queue, no_ack=False, **kwargs):
        self._getting_without_ack = no_ack
        try:
            return super().basic_get(queue, no_ack, **kwargs)
        finally:
            self._getting_without_ack = False

    def _get(self, queue):
        """Move the queue's first message into the taken folder, named for this process, and read it."""
        self._bring_back_orphans()
        wanted = f"{queue}.msg"
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.partition(".")[2] != wanted:
                continue
            taken = os.path.join(self.taken_folder, f"{self._own_mark}~{filename}")
            try:
                os.rename(os.path.join(self.data_folder_in, filename), taken)
            except OSError:  # another worker took it first
                continue
            try:
                with open(taken, "rb") as handle:
                    payload = loads(bytes_to_str(handle.read()))
            except OSError as exc:
                raise ChannelError(f"Cannot read file {taken!r} from queue.") from exc
            tag = payload.get("properties", {}).get("delivery_tag")
            if tag is None or queue in self._no_ack_queues or self._getting_without_ack:
                os.remove(taken)  # nothing will acknowledge it (control messages; bare ones in tests)
            else:
                self._taken[tag] = taken
            return payload
        raise Empty()

    def basic_ack(self, delivery_tag, multiple=False):
        super().basic_ack(delivery_tag, multiple)
        self._forget(delivery_tag)

    def basic_reject(self, delivery_tag, requeue=False):
        super().basic_reject(delivery_tag, requeue)  # a requeue writes it to the queue again (`_restore`)
        self._forget(delivery_tag)

    def _restore(self, message):
        super()._restore(message)
        self._forget(message.delivery_tag)

    def _forget(self, delivery_tag) -> None:
        taken = self._taken.pop(delivery_tag, None)
        if taken is not None:
            try:
                os.remove(taken)
            except FileNotFoundError:
                pass

    def _bring_back_orphans(self) -> None:
        """Put back into the queue, under their first names (so in their first order), the messages
        taken by processes that are gone."""
        now = monotonic()
        if now - self._orphans_checked < ORPHAN_CHECK_SECONDS:
            return
        self._orphans_checked = now
        for name in os.listdir(self.taken_folder):
            mark, _, filename = name.partition("~")
            if not filename or process_mark(int(mark.split("-")[0])) == mark:
                continue
            try:
                os.rename(os.path.join(self.taken_folder, name), os.path.join(self.data_folder_in, filename))
            except OSError:  # another worker brought it back first
                continue
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
