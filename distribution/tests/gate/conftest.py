import types

import pytest

from distribution.tests.gate.helpers import Clock
from hosts.tests.fixtures import *  # noqa: F403 - the host-call fixtures for the gate and placements tests


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The gate caches' monotonic clock, moved by hand (`Clock`)."""
    from distribution import host_facts
    from hosts import memo

    moved = Clock()
    for module in (host_facts, memo):
        monkeypatch.setattr(module, "time", types.SimpleNamespace(monotonic=moved.monotonic))
    return moved
