"""runconsole's supervisor, with real child processes: a worker killed with SIGKILL comes back."""

import os
import signal
import sys
import time

import pytest

from console.supervisor import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
QUITTER = [sys.executable, "-c", "pass"]


@pytest.fixture
def supervise():
    started = []

    def make(commands, **options):
        supervisor = Supervisor(commands, log=lambda line: None, **options)
        supervisor.start()
        started.append(supervisor)
        return supervisor

    yield make
    for supervisor in started:
        supervisor.stop(timeout=5)


def _poll_until(supervisor, predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stopped = supervisor.poll()
        if stopped or predicate():
            return stopped
        time.sleep(0.05)
    raise TimeoutError("condition not met")


def test_a_worker_killed_with_sigkill_is_started_again_and_the_others_are_left_alone(supervise):
    supervisor = supervise({"web": SLEEPER, "worker": SLEEPER}, essential=("web",))
    web, worker = supervisor.processes["web"].pid, supervisor.processes["worker"].pid
    os.kill(worker, signal.SIGKILL)

    stopped = _poll_until(supervisor, lambda: supervisor.processes["worker"].pid != worker)

    assert stopped is None
    assert supervisor.processes["worker"].poll() is None  # the new one runs
    assert supervisor.processes["web"].pid == web and supervisor.processes["web"].poll() is None


def test_the_web_server_ending_stops_the_run_instead_of_restarting(supervise):
    supervisor = supervise({"web": SLEEPER, "worker": SLEEPER}, essential=("web",))
    web = supervisor.processes["web"].pid
    os.kill(web, signal.SIGKILL)

    assert _poll_until(supervisor, lambda: False) == "web"
    assert supervisor.processes["web"].pid == web  # not started again


def test_a_process_that_keeps_dying_stops_the_run_after_the_restart_limit(supervise):
    supervisor = supervise({"beat": QUITTER}, max_restarts=3, window=60)

    assert _poll_until(supervisor, lambda: False) == "beat"
    assert len(supervisor.restarts["beat"]) == 4  # three restarts allowed, the fourth death ends the run


def test_stop_ends_every_process(supervise):
    supervisor = supervise({"worker": SLEEPER, "beat": SLEEPER})
    supervisor.stop(timeout=5)
    assert {proc.poll() for proc in supervisor.processes.values()} == {-signal.SIGTERM}
