"""A small process supervisor for `runconsole`: start named commands, restart the ones that die.

`make run` keeps web, the scan worker, the maintenance worker and beat alive the way
systemd or Kubernetes keep them alive in production: a worker killed with SIGKILL (or
crashed) is started again within about a second, without anyone restarting the console.
An *essential* process (the web server) ending stops everything: that is a port in use or
a broken configuration, and restarting it forever would hide it. A process that keeps
dying (more than `max_restarts` in `window` seconds) stops everything too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable


class Supervisor:
    def __init__(self, commands: dict[str, list[str]], *, essential: tuple[str, ...] = (), max_restarts: int = 5,
                 window: float = 60.0, log: Callable[[str], object] = print):
        self.commands, self.essential, self.log = commands, set(essential), log
        self.max_restarts, self.window = max_restarts, window
        self.processes: dict[str, subprocess.Popen] = {}
        self.restarts: dict[str, deque[float]] = {name: deque() for name in commands}

    def start(self) -> None:
        for name in self.commands:
            self._spawn(name)

    def _spawn(self, name: str) -> None:
        # Its own session: the whole group (a worker and its pool) can be signalled at once.
        self.processes[name] = subprocess.Popen(self.commands[name], start_new_session=True)

    def poll(self) -> str | None:
        """Restart what died; return the name of a process whose end must stop everything, else None."""
        for name, proc in self.processes.items():
            if proc.poll() is None:
                continue
            self._reap_group(proc)
            if name in self.essential or not self._may_restart(name):
                self.log(f"{name} exited with {proc.returncode}; stopping the others.")
                return name
            self.log(f"{name} exited with {proc.returncode}; starting it again.")
            self._spawn(name)
        return None

    def _may_restart(self, name: str) -> bool:
        now, recent = time.monotonic(), self.restarts[name]
        while recent and now - recent[0] > self.window:
            recent.popleft()
        recent.append(now)
        return len(recent) <= self.max_restarts

    @staticmethod
    def _reap_group(proc: subprocess.Popen) -> None:
        """A worker's main process killed with SIGKILL may leave pool children behind: end them too."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 15) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()  # the main process only: Celery then stops its own pool (a warm shutdown)
        deadline = time.monotonic() + timeout
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
