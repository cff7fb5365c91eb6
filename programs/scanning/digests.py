"""CRC-32 and SHA-256 of member data, the large members on a helper thread.

`zlib.crc32`, `hashlib` and inflating all release the GIL on large buffers, so hashing one chunk
on a helper thread overlaps with reading and inflating the next one: on two cores the archive stage
costs little more than a bare read. Small members are digested inline, where handing them over
would cost more than hashing them. The queue is bounded, so at most QUEUE_CHUNKS chunks are held
in memory whatever the archive contains.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import zlib
from types import TracebackType

THREAD_MIN_BYTES = 64 * 1024
QUEUE_CHUNKS = 32
_STOP = object()


class InlineDigest:
    """Digests computed as the chunks arrive, on the calling thread."""

    def __init__(self) -> None:
        self.crc = 0
        self._sha = hashlib.sha256()

    def update(self, chunk: bytes) -> None:
        self.crc = zlib.crc32(chunk, self.crc)
        self._sha.update(chunk)

    def finish(self) -> tuple[int, str]:
        return self.crc, self._sha.hexdigest()


class _QueuedDigest:
    """Hands a member's chunks to the pool's thread; the result is read from `DigestPool.results`."""

    def __init__(self, pool: DigestPool, name: str) -> None:
        self._pool, self._name = pool, name

    def update(self, chunk: bytes) -> None:
        self._pool.put((self._name, chunk))

    def finish(self) -> None:
        self._pool.put((self._name, None))


class DigestPool:
    """A helper thread digesting large members; use as a context manager around the reading loop."""

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
        self._results: dict[str, tuple[int, str]] = {}
        self._thread = threading.Thread(target=self._run, name="scan-digests", daemon=True)

    def __enter__(self) -> DigestPool:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def digest_for(self, name: str, size: int) -> InlineDigest | _QueuedDigest:
        return _QueuedDigest(self, name) if size >= THREAD_MIN_BYTES else InlineDigest()

    def put(self, item: object) -> None:
        self._queue.put(item)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def results(self) -> dict[str, tuple[int, str]]:
        """(CRC-32, SHA-256 hex) of every queued member; waits for the thread to finish."""
        self.close()
        return self._results

    def _run(self) -> None:
        pending: dict[str, InlineDigest] = {}
        while (item := self._queue.get()) is not _STOP:
            name, chunk = item
            if chunk is None:
                self._results[name] = pending.pop(name, InlineDigest()).finish()
            else:
                pending.setdefault(name, InlineDigest()).update(chunk)
