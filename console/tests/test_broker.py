"""The embedded broker's transport (console/broker.py) on real files, with a real worker elsewhere.

The worker-level faults (SIGKILL of pool children, latency) are in programs/tests/test_worker.py.
"""

import threading
import time
from queue import Empty

from kombu import Connection

from console.broker import Transport

MESSAGES = 150
BODY = "x" * 100_000  # a large message widens the window between creating a file and filling it


def _channel(tmp_path, transport="console.broker:Transport"):
    folder = tmp_path / "queue"
    folder.mkdir(exist_ok=True)
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "store_processed": False}
    return Connection(transport=transport, transport_options=options).default_channel


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
