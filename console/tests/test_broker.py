"""The embedded broker's transport (console/broker.py) on real files, with a real worker elsewhere.

The worker-level faults (SIGKILL of pool children, latency) are in programs/tests/test_worker.py.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from queue import Empty

import pytest
from kombu import Connection

from console.broker import Transport

REPO = Path(__file__).resolve().parents[2]
MESSAGES = 150
BODY = "x" * 100_000  # a large message widens the window between creating a file and filling it


def _options(tmp_path) -> dict:
    folder = tmp_path / "queue"
    folder.mkdir(exist_ok=True)
    # kombu otherwise writes its broadcast exchanges into the working directory
    return {"data_folder_in": str(folder), "data_folder_out": str(folder), "store_processed": False,
            "control_folder": str(tmp_path / "control")}


def _channel(tmp_path, transport="console.broker:Transport"):
    return Connection(transport=transport, transport_options=_options(tmp_path)).default_channel


def _queue(tmp_path):
    # A queue name of its own: kombu keeps exchanges and bindings per process, and earlier tests bound "celery".
    return Connection(transport="console.broker:Transport", transport_options=_options(tmp_path)).SimpleQueue(
        "taken-test")


TAKE_AND_WAIT = """
import sys, time
import pytest
from kombu import Connection
message = Connection(transport="console.broker:Transport", transport_options=eval(sys.argv[1])).SimpleQueue(
    "taken-test").get(timeout=5)
print(message.payload, flush=True)
time.sleep(60)
"""


def test_a_message_taken_by_a_worker_killed_before_it_acked_comes_back(tmp_path):
    """kombu deleted the file on taking it and kept the message in memory only: killing runconsole's worker
    (SIGKILL) while it drained 100 stats batches lost the 2 it held, 2,000 accepted events."""
    _queue(tmp_path).put({"batch": 1})
    # From the repository's folder, whatever the test before changed it to: the taker imports console.broker.
    taker = subprocess.Popen([sys.executable, "-c", TAKE_AND_WAIT, repr(_options(tmp_path))], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        taken = taker.stdout.readline().strip()
        assert taken == "{'batch': 1}", taken or taker.stderr.read()
        with pytest.raises(Empty):
            _queue(tmp_path).get(timeout=0.5)  # held by a live worker: not for anyone else
    finally:
        os.kill(taker.pid, signal.SIGKILL)
        taker.wait()
    again = _queue(tmp_path).get(timeout=5)
    assert again.payload == {"batch": 1}
    again.ack()
    assert os.listdir(tmp_path / "taken") == []  # an acknowledged message leaves nothing behind


def test_a_reader_polling_while_messages_are_written_never_takes_a_half_written_one(tmp_path):
    """The race that crashed the worker mid-burst: kombu's reader took a file its writer had only created."""
    writer, reader = _channel(tmp_path), _channel(tmp_path)
    received, errors = [], []

    def write():
        for index in range(MESSAGES):
            writer._put("scans", {"index": index, "body": BODY})

    thread = threading.Thread(target=write)
    thread.start()
    deadline = time.monotonic() + 30
    while len(received) < MESSAGES and time.monotonic() < deadline:
        try:
            received.append(reader._get("scans")["index"])
        except Empty:
            continue
        except Exception as error:  # the stock transport: JSONDecodeError on an empty file
            errors.append(error)
    thread.join()
    assert errors == []
    assert sorted(received) == list(range(MESSAGES))  # (order within one millisecond is not kept)


def test_the_embedded_transport_runs_in_the_workers_event_loop():
    # Celery picks its non-blocking loop and the per-child-pipe pool only for asynchronous transports.
    assert Transport.implements.asynchronous is True
    assert Transport.polling_interval <= 0.1


def test_no_task_retries_after_a_longer_wait_than_the_broker_keeps_a_message_unseen(settings):
    """A retry waiting past the visibility timeout is handed to a second worker: the email went twice.
    (Celery's defaults, when a task sets none: backoff up to 600 s, or a fixed 180 s.)"""
    from console.celery import app

    app.loader.import_default_modules()
    retried = {name: task for name, task in app.tasks.items() if getattr(task, "autoretry_for", ())}

    assert "console.tasks.send_email" in retried
    waits = {name: getattr(task, "retry_backoff_max", 600) if getattr(task, "retry_backoff", False)
             else getattr(task, "default_retry_delay", 180) for name, task in retried.items()}
    too_long = {name: wait for name, wait in waits.items() if wait > settings.TASK_RETRY_WAIT_MAX_SECONDS}
    assert too_long == {}
