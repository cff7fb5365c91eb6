"""The scan's time budget and its progress reporting."""

from __future__ import annotations

import time
from collections.abc import Callable

ProgressCallback = Callable[[int, str], None]


class ScanTimeout(Exception):
    """Raised inside the scan when the time limit passes; the engine turns it into `scan.timeout`."""

    def __init__(self, stage: str) -> None:
        super().__init__(stage)
        self.stage = stage


class Deadline:
    """A monotonic-clock deadline checked at loop boundaries (members, chunks, files)."""

    def __init__(self, seconds: float) -> None:
        self.started = time.monotonic()
        self.expires = self.started + seconds
        self.stage = "start"

    def check(self) -> None:
        if time.monotonic() >= self.expires:
            raise ScanTimeout(self.stage)

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)


class Progress:
    """Forwards progress to the caller's callback, only when the percentage moves forward."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.percent = -1

    def __call__(self, percent: int, stage: str) -> None:
        percent = max(0, min(100, int(percent)))
        if self.callback is not None and percent > self.percent:
            self.percent = percent
            self.callback(percent, stage)

    def span(self, start: int, end: int, stage: str) -> Callable[[float], None]:
        """A callback mapping a 0..1 fraction of one stage onto the [start, end] percent range."""
        return lambda fraction: self(start + int((end - start) * min(1.0, fraction)), stage)
